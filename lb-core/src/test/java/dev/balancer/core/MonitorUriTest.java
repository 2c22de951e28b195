package dev.balancer.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.balancer.config.ConfigLoader;
import org.junit.jupiter.api.Test;

/** {@code monitor-uri}: HAProxy's health endpoint, answered before any rule and without a server. */
class MonitorUriTest {

  @Test
  void theMonitorUriGetsHaproxys200BeforeAnyRule() {
    var config = ConfigLoader.parse("haproxy.cfg", """
        defaults
          mode http
          timeout connect 1s
          timeout client 1s
          timeout server 1s
        frontend www
          bind :80
          monitor-uri /healthz
          http-request deny
          default_backend app
        backend app
          server s1 10.0.0.1:80
        """);
    assertThat(config.warnings()).isEmpty();
    try (Balancer b = Balancer.create(config.orThrow())) {
      Decision d = b.decide("www", RequestView.of("GET", "/healthz"));
      assertThat(d).isInstanceOf(Decision.Respond.class);
      Decision.Respond r = (Decision.Respond) d;
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n");
      // exactly that URI: anything else meets the rules
      assertThat(((Decision.Respond) b.decide("www", RequestView.of("GET", "/healthz2"))).status()).isEqualTo(403);
      assertThat(((Decision.Respond) b.decide("www", RequestView.of("GET", "/"))).status()).isEqualTo(403);
    }
  }
}
