package dev.balancer.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** slowstart: after a recovery, never at start; weight and maxconn ramp up second by second. */
class SlowstartTest {

  private final ManualScheduler time = new ManualScheduler();

  private Balancer balancer() {
    return Balancer.create(TestConfigs.app("""
          server s1 127.0.0.1:1 weight 10
          server s2 127.0.0.1:2 weight 10 slowstart 10s maxconn 50
        """), new SplittableRandom(1), time);
  }

  private static long share(Balancer b, String name, int n) {
    long before = b.server("app", name).orElseThrow().totalRequests();
    for (int i = 0; i < n; i++) {
      ((Decision.Forward) b.decide("www", RequestView.of("GET", "/"))).lease().release();
    }
    return b.server("app", name).orElseThrow().totalRequests() - before;
  }

  @Test
  void noSlowStartAtProcessStart() {
    Balancer b = balancer();

    assertThat(b.server("app", "s2").orElseThrow().effectiveWeight()).isEqualTo(160);
    assertThat(share(b, "s2", 1000)).isEqualTo(500);
  }

  @Test
  void afterARecoveryWeightRampsUpLinearlyOverTheSlowstartPeriod() {
    Balancer b = balancer();
    BackendServer s2 = b.server("app", "s2").orElseThrow();
    s2.setHealth(Health.DOWN);
    s2.setHealth(Health.UP);

    assertThat(s2.inSlowstart()).isTrue();
    assertThat(s2.effectiveWeight()).isEqualTo(10);
    // 10/170 of the traffic; HAProxy's incremental re-insertion shifts the cycle by a pick or so
    assertThat(share(b, "s2", 1700)).isBetween(95L, 105L);
    time.advance(Duration.ofSeconds(5));
    assertThat(s2.effectiveWeight()).isEqualTo(90);
    assertThat(share(b, "s2", 2500)).isBetween(880L, 920L);
    time.advance(Duration.ofSeconds(5));
    assertThat(s2.inSlowstart()).isFalse();
    assertThat(s2.effectiveWeight()).isEqualTo(160);
    assertThat(share(b, "s2", 1000)).isBetween(499L, 501L);
  }

  @Test
  void leavingMaintenanceAlsoSlowStartsAndMaxconnRampsToo() {
    Balancer b = balancer();
    BackendServer s2 = b.server("app", "s2").orElseThrow();
    s2.setAdminState(AdminState.MAINT);
    s2.setAdminState(AdminState.READY);

    assertThat(s2.dynamicMaxconn()).isEqualTo(1);
    time.advance(Duration.ofSeconds(4));
    assertThat(s2.dynamicMaxconn()).isEqualTo(20);
    time.advance(Duration.ofSeconds(6));
    assertThat(s2.dynamicMaxconn()).isEqualTo(50);
  }
}
