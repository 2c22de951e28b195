package dev.balancer.core.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.balancer.config.ConfigLoader;
import dev.balancer.config.model.Config;
import dev.balancer.core.AdminState;
import dev.balancer.core.Balancer;
import dev.balancer.core.Decision;
import dev.balancer.core.RequestView;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the admin API does to a running balancer: weights, added and deleted servers, and how a reload treats them. */
class RuntimeChangesTest {

  static Config config(String servers) {
    return ConfigLoader.parse("haproxy.cfg", """
        defaults
          mode http
        frontend www
          bind :8080
          default_backend app
        backend app
          balance roundrobin
        %s
        backend fixed
          balance static-rr
          server f1 10.0.0.1:80 weight 3
        """.formatted(servers)).orThrow();
  }

  static final String TWO = "  server web1 10.0.0.1:80 weight 3\n  server web2 10.0.0.2:80\n";

  @Test
  void weightsAreAbsoluteOrAShareOfTheFilesWeight() {
    try (Balancer b = Balancer.create(config(TWO))) {
      assertThat(b.setWeight("app", "web1", "50%")).isEqualTo(1); // 50% of 3, rounded down, as HAProxy
      assertThat(b.setWeight("app", "web1", "7")).isEqualTo(7);
      assertThat(b.server("app", "web1").orElseThrow().weight()).isEqualTo(7);
      assertThatThrownBy(() -> b.setWeight("app", "web1", "300"))
          .hasMessage("Absolute weight can only be between 0 and 256 inclusive.");
      assertThatThrownBy(() -> b.setWeight("app", "web1", "heavy")).hasMessage("Require <weight> or <weight%>.");
      assertThatThrownBy(() -> b.setWeight("fixed", "f1", "2"))
          .hasMessage("Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.");
      assertThat(b.server("app", "web1").orElseThrow().weight()).isEqualTo(7);
    }
  }

  @Test
  void anAddedServerStartsInMaintAndStaysAcrossReloadsUntilTheFileNamesIt() {
    try (Balancer b = Balancer.create(config(TWO))) {
      b.addServer("app", "web3", "10.0.0.3:80 weight 2");
      assertThat(b.state("app", "web3")).isEqualTo("MAINT");
      assertThat(b.server("app", "web3").orElseThrow().id()).isEqualTo(3);
      assertThatThrownBy(() -> b.addServer("app", "web3", "10.0.0.9:80"))
          .hasMessage("Already exists a server with the same name in backend.");
      assertThatThrownBy(() -> b.addServer("fixed", "f2", "10.0.0.9:80"))
          .hasMessage("Backend must use a dynamic load balancing to support dynamic servers.");
      assertThatThrownBy(() -> b.addServer("app", "web4", "10.0.0.9:80 wieght 2")).hasMessageContaining("wieght");
      assertThatThrownBy(() -> b.addServer("nope", "x", "10.0.0.9:80")).hasMessage("No such backend.");
      b.server("app", "web3").orElseThrow().setAdminState(AdminState.READY);
      b.apply(config(TWO));
      assertThat(b.servers("app")).extracting(s -> s.name()).containsExactly("web1", "web2", "web3");
      assertThat(b.state("app", "web3")).isEqualTo("UP");
      // the file gets a web3 of its own: the file's wins
      b.apply(config(TWO + "  server web3 10.0.0.33:80\n"));
      assertThat(b.server("app", "web3").orElseThrow().address()).isEqualTo("10.0.0.33:80");
      b.apply(config(TWO));
      assertThat(b.server("app", "web3")).isEmpty();
    }
  }

  @Test
  void onlyAServerInMaintWithNothingInFlightCanBeDeleted() {
    try (Balancer b = Balancer.create(config(TWO))) {
      assertThatThrownBy(() -> b.deleteServer("app", "web2")).hasMessage("Only servers in maintenance mode can be deleted.");
      Decision.Forward f = null;
      for (int i = 0; i < 4 && f == null; i++) {
        Decision d = b.decide("www", RequestView.of("GET", "/"));
        if (d instanceof Decision.Forward fw && fw.lease().server().name().equals("web2")) {
          f = fw;
        } else if (d instanceof Decision.Forward other) {
          other.lease().release();
        }
      }
      assertThat(f).isNotNull();
      b.server("app", "web2").orElseThrow().setAdminState(AdminState.MAINT);
      assertThatThrownBy(() -> b.deleteServer("app", "web2"))
          .hasMessage("Server still has connections attached to it, cannot remove it.");
      f.lease().release();
      b.deleteServer("app", "web2");
      assertThat(b.servers("app")).extracting(s -> s.name()).containsExactly("web1");
      // the request counters show it: the rows follow the servers in force
      assertThat(b.stats()).extracting(r -> r.proxy() + "/" + r.service())
          .containsExactly("www/FRONTEND", "app/web1", "app/BACKEND", "fixed/f1", "fixed/BACKEND");
      // the file still has it: a reload brings it back
      b.apply(config(TWO));
      assertThat(b.servers("app")).extracting(s -> s.name()).containsExactly("web1", "web2");
    }
  }

  @Test
  void countersSurviveReloadsWithTheServersIdentity() {
    try (Balancer b = Balancer.create(config(TWO))) {
      for (int i = 0; i < 4; i++) {
        ((Decision.Forward) b.decide("www", RequestView.of("GET", "/"))).lease().release();
      }
      b.server("app", "web1").orElseThrow().stats().response(200, 10, 20);
      b.apply(config(TWO + "  server web5 10.0.0.5:80\n"));
      StatsRow web1 = b.stats().stream().filter(r -> r.service().equals("web1")).findFirst().orElseThrow();
      assertThat(web1.number("stot")).isEqualTo(3); // weight 3 against 1: 3 of the first 4
      assertThat(web1.number("hrsp_2xx")).isEqualTo(1);
      assertThat(web1.number("bout")).isEqualTo(20);
      assertThat(web1.text("status")).isEqualTo("no check");
      assertThat(StatsCsv.render(List.of(web1)).split("\n")[1].split(",", -1)).hasSize(StatsCsv.COLUMNS.size() + 1);
    }
  }
}
