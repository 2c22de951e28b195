package dev.balancer.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.balancer.core.health.CheckResult;
import dev.balancer.core.health.CheckStatus;
import dev.balancer.core.health.Prober;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** observe, error-limit, on-error, on-marked-down/up: real traffic outcomes drive the health. */
class PassiveCheckTest {

  private final ManualScheduler time = new ManualScheduler();
  private final List<Long> probes = new ArrayList<>();
  private final Prober alwaysOk = t -> {
    probes.add(time.nanoTime() / 1_000_000);
    return CompletableFuture.completedFuture(new CheckResult(CheckStatus.L4OK, 0, "", Duration.ZERO));
  };
  private Balancer balancer;

  private Balancer start(String server) {
    balancer = Balancer.create(TestConfigs.app(server + "  server other 127.0.0.1:2\n"), new SplittableRandom(1), time, alwaysOk);
    time.advance(Duration.ZERO);
    return balancer;
  }

  @AfterEach
  void close() {
    balancer.close();
  }

  private Lease lease() {
    while (true) {
      Decision.Forward f = (Decision.Forward) balancer.decide("www", RequestView.of("GET", "/"));
      if (f.lease().server().name().equals("s1")) {
        return f.lease();
      }
      f.lease().release();
    }
  }

  private void report(Outcome o, int status) {
    Lease l = lease();
    l.report(o, status);
    l.release();
  }

  @Test
  void layer7ErrorsUpToTheLimitMarkTheServerDownAndValidAnswersResetTheCount() {
    start("  server s1 127.0.0.1:1 check inter 10s observe layer7 error-limit 3 on-error mark-down\n");
    assertThat(balancer.state("app", "s1")).isEqualTo("UP");

    report(Outcome.RESPONSE, 503);
    report(Outcome.RESPONSE, 502);
    report(Outcome.RESPONSE, 404);
    report(Outcome.RESPONSE, 503);
    report(Outcome.TIMEOUT, 0);
    assertThat(balancer.state("app", "s1")).isEqualTo("UP");
    report(Outcome.RESPONSE, 500);

    assertThat(balancer.state("app", "s1")).isEqualTo("DOWN");
    assertThat(balancer.lastCheck("app", "s1").orElseThrow().status()).isEqualTo(CheckStatus.HANA);
    assertThat(balancer.lastCheck("app", "s1").orElseThrow().info())
        .isEqualTo("Detected 3 consecutive errors, last one was: HTTP status 500");
  }

  @Test
  void layer4CountsOnlyConnectionErrorsAndFailCheckCountsAsOneFailedCheck() {
    start("  server s1 127.0.0.1:1 check inter 10s observe layer4 error-limit 2 on-error fail-check\n");

    report(Outcome.RESPONSE, 503);
    report(Outcome.TIMEOUT, 0);
    assertThat(balancer.state("app", "s1")).isEqualTo("UP");
    report(Outcome.CONNECTION_ERROR, 0);
    report(Outcome.CONNECTION_ERROR, 0);

    assertThat(balancer.state("app", "s1")).isEqualTo("UP 2/3");
  }

  @Test
  void suddenDeathLeavesOneFailureBeforeDownAndTheNextCheckComesAtFastinter() {
    start("  server s1 127.0.0.1:1 check inter 10s fastinter 500ms observe layer7 error-limit 1 on-error sudden-death\n");
    probes.clear();

    report(Outcome.INVALID_RESPONSE, 0);

    assertThat(balancer.state("app", "s1")).isEqualTo("UP 1/3");
    time.advance(Duration.ofMillis(500));
    assertThat(probes).containsExactly(500L);
  }

  @Test
  void onMarkedDownShutdownSessionsCutsTheRequestsInFlight() {
    start("  server s1 127.0.0.1:1 check inter 10s observe layer4 error-limit 1 on-error mark-down on-marked-down shutdown-sessions\n");
    AtomicInteger aborted = new AtomicInteger();
    Lease inFlight = lease();
    inFlight.onAbort(aborted::incrementAndGet);

    report(Outcome.CONNECTION_ERROR, 0);

    assertThat(balancer.state("app", "s1")).isEqualTo("DOWN");
    assertThat(aborted.get()).isEqualTo(1);
    inFlight.release();
  }
}
