package dev.balancer.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.balancer.config.model.Config;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BalancerTest {

  private static final RequestView GET = RequestView.of("GET", "/");

  private static Config config(String servers) {
    return TestConfigs.app(servers);
  }

  private static List<String> names(Balancer b, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Decision d = b.decide("www", GET);
      if (d instanceof Decision.Forward f) {
        out.add(f.lease().server().name());
        f.lease().release();
      } else {
        out.add(((Decision.Respond) d).status() + "");
      }
    }
    return out;
  }

  @Test
  void weightedServersFollowHaproxyRoundRobinOrder() {
    Balancer b = Balancer.create(config("""
          server s1 127.0.0.1:8001 weight 1
          server s2 127.0.0.1:8002 weight 2
          server s3 127.0.0.1:8003 weight 3
        """));

    assertThat(names(b, 6)).containsExactly("s3", "s2", "s3", "s1", "s3", "s2");
  }

  @Test
  void disabledServerGetsNoRequests() {
    Balancer b = Balancer.create(config("""
          server a 127.0.0.1:8001
          server b 127.0.0.1:8002 disabled
        """));

    assertThat(names(b, 4)).containsOnly("a");
    assertThat(b.server("app", "b").orElseThrow().adminState()).isEqualTo(AdminState.MAINT);
  }

  @Test
  void noUsableServerIsHaproxys503() {
    Balancer b = Balancer.create(config("  server a 127.0.0.1:8001 disabled\n"));

    Decision d = b.decide("www", GET);

    assertThat(d).isEqualTo(Decision.Respond.NO_SERVER);
    assertThat(((Decision.Respond) d).body()).contains("No server is available to handle this request.");
    assertThat(b.decide("no-such-frontend", GET)).isEqualTo(Decision.Respond.NO_SERVER);
  }

  @Test
  void reloadMovesNewRequestsButInFlightOnesStayCountedOnTheirServer() {
    Balancer b = Balancer.create(config("""
          server a 127.0.0.1:8001
          server b 127.0.0.1:8002
        """));
    Decision.Forward first = (Decision.Forward) b.decide("www", GET);
    assertThat(first.lease().server().name()).isEqualTo("a");

    b.apply(config("""
          server a 127.0.0.1:8001 disabled
          server b 127.0.0.1:8002
        """));

    assertThat(b.generation()).isEqualTo(2);
    assertThat(names(b, 3)).containsOnly("b");
    BackendServer a = b.server("app", "a").orElseThrow();
    assertThat(a.adminState()).isEqualTo(AdminState.MAINT);
    assertThat(a.inFlight()).isEqualTo(1);
    first.lease().release();
    first.lease().release();
    assertThat(a.inFlight()).isZero();
    assertThat(a.totalRequests()).isEqualTo(1);
  }

  @Test
  void serverWhoseAddressChangesStartsWithFreshCounters() {
    Balancer b = Balancer.create(config("  server a 127.0.0.1:8001\n"));
    Decision.Forward held = (Decision.Forward) b.decide("www", GET);

    b.apply(config("  server a 127.0.0.1:9001\n"));

    assertThat(b.server("app", "a").orElseThrow().inFlight()).isZero();
    assertThat(held.lease().server().port()).isEqualTo(8001);
  }

  @Test
  void concurrentRequestsAreSpreadExactlyByWeight() throws Exception {
    Balancer b = Balancer.create(config("""
          server a 127.0.0.1:8001 weight 1
          server b 127.0.0.1:8002 weight 3
        """));
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread th = new Thread(() -> {
        for (int i = 0; i < 1000; i++) {
          ((Decision.Forward) b.decide("www", GET)).lease().release();
        }
      });
      th.start();
      threads.add(th);
    }
    for (Thread t : threads) {
      t.join();
    }

    assertThat(b.server("app", "a").orElseThrow().totalRequests()).isEqualTo(1000);
    assertThat(b.server("app", "b").orElseThrow().totalRequests()).isEqualTo(3000);
  }

  @Test
  void aReloadKeepsRuntimeStateAndWeightUnlessTheFileChangesThem() {
    String lines = "  server a 127.0.0.1:8001\n  server b 127.0.0.1:8002 weight 3\n";
    Balancer b = Balancer.create(config(lines));
    b.server("app", "a").orElseThrow().setAdminState(AdminState.DRAIN);
    b.server("app", "b").orElseThrow().setWeight(7);

    b.apply(config(lines));
    assertThat(b.server("app", "a").orElseThrow().adminState()).isEqualTo(AdminState.DRAIN);
    assertThat(b.server("app", "b").orElseThrow().weight()).isEqualTo(7);

    b.apply(config("  server a 127.0.0.1:8001 disabled\n  server b 127.0.0.1:8002 weight 2\n"));
    assertThat(b.server("app", "a").orElseThrow().adminState()).isEqualTo(AdminState.MAINT);
    assertThat(b.server("app", "b").orElseThrow().weight()).isEqualTo(2);
  }
}
