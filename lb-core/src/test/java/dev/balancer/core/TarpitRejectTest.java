package dev.balancer.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.balancer.config.ConfigLoader;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@code http-request tarpit} holds the request for {@code timeout tarpit} (else {@code timeout
 * connect}) and then answers 500; {@code reject} and {@code silent-drop} answer nothing at all.
 */
class TarpitRejectTest {

  private static Balancer balancer(String timeouts, ManualScheduler time) {
    var config = ConfigLoader.parse("haproxy.cfg", """
        defaults
          mode http
        %s
          timeout client 5s
          timeout server 5s
        frontend www
          bind :80
          http-request tarpit if { path_beg /tarpit }
          http-request tarpit deny_status 429 if { path_beg /slowly }
          http-request reject if { path_beg /reject }
          http-request silent-drop if { path_beg /drop }
          default_backend app
        backend app
          http-request tarpit if { path_beg /in-backend }
          server s1 10.0.0.1:80
        """.formatted(timeouts));
    assertThat(config.warnings()).as("every action is applied, none ignored").isEmpty();
    return Balancer.create(config.orThrow(), new SplittableRandom(1), time);
  }

  @Test
  void aTarpitAnswersOnlyAfterTimeoutTarpit() {
    ManualScheduler time = new ManualScheduler();
    try (Balancer b = balancer("  timeout connect 1s\n  timeout tarpit 3s\n", time)) {
      CompletableFuture<Decision> held = b.decideAsync("www", RequestView.of("GET", "/tarpit/x"));
      CompletableFuture<Decision> slowly = b.decideAsync("www", RequestView.of("GET", "/slowly"));
      CompletableFuture<Decision> inBackend = b.decideAsync("www", RequestView.of("GET", "/in-backend"));
      time.advance(Duration.ofMillis(2999));
      assertThat(held).isNotDone();
      assertThat(slowly).isNotDone();
      assertThat(inBackend).isNotDone();
      time.advance(Duration.ofMillis(1));
      assertThat(((Decision.Respond) held.join()).status()).isEqualTo(500);
      assertThat(((Decision.Respond) held.join()).errorPage()).isTrue();
      assertThat(((Decision.Respond) slowly.join()).status()).isEqualTo(429);
      assertThat(((Decision.Respond) inBackend.join()).status()).isEqualTo(500);
      // other requests are not held
      assertThat(b.decideAsync("www", RequestView.of("GET", "/"))).isCompletedWithValueMatching(d -> d instanceof Decision.Forward);
    }
  }

  @Test
  void withoutTimeoutTarpitTheConnectTimeoutHolds() {
    ManualScheduler time = new ManualScheduler();
    try (Balancer b = balancer("  timeout connect 1s\n", time)) {
      CompletableFuture<Decision> held = b.decideAsync("www", RequestView.of("GET", "/tarpit"));
      time.advance(Duration.ofMillis(999));
      assertThat(held).isNotDone();
      time.advance(Duration.ofMillis(1));
      assertThat(((Decision.Respond) held.join()).status()).isEqualTo(500);
    }
  }

  @Test
  void aClientThatLeavesATarpitCancelsIt() {
    ManualScheduler time = new ManualScheduler();
    try (Balancer b = balancer("  timeout connect 1s\n", time)) {
      CompletableFuture<Decision> held = b.decideAsync("www", RequestView.of("GET", "/tarpit"));
      held.cancel(false);
      time.advance(Duration.ofSeconds(2));
      assertThat(held).isCancelled();
    }
  }

  @Test
  void rejectAndSilentDropAnswerNothing() {
    try (Balancer b = balancer("  timeout connect 1s\n", new ManualScheduler())) {
      Decision.Respond reject = (Decision.Respond) b.decide("www", RequestView.of("GET", "/reject"));
      Decision.Respond drop = (Decision.Respond) b.decide("www", RequestView.of("GET", "/drop"));
      assertThat(reject).isSameAs(Decision.Respond.DROP);
      assertThat(reject.drop()).isTrue();
      assertThat(drop).isSameAs(Decision.Respond.SILENT_DROP);
      assertThat(drop.drop()).isTrue();
      assertThat(Decision.Respond.NO_SERVER.drop()).isFalse();
    }
  }
}
