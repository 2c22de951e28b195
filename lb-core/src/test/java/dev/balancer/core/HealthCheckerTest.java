package dev.balancer.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.balancer.config.model.Config;
import dev.balancer.core.health.CheckResult;
import dev.balancer.core.health.CheckStatus;
import dev.balancer.core.health.CheckTarget;
import dev.balancer.core.health.Prober;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Check timing and states with a fake clock and a prober that answers as told. */
class HealthCheckerTest {

  private final ManualScheduler time = new ManualScheduler();
  /** Which status each port answers; every probe is recorded with the time it ran. */
  private final Map<Integer, CheckStatus> answers = new HashMap<>();
  private final List<String> probes = new ArrayList<>();
  private final Prober prober = new Prober() {
    @Override
    public CompletableFuture<CheckResult> probe(CheckTarget t) {
      probes.add(t.port() + "@" + time.nanoTime() / 1_000_000);
      return CompletableFuture.completedFuture(
          new CheckResult(answers.getOrDefault(t.port(), CheckStatus.L4OK), 0, "", Duration.ZERO));
    }
  };
  private Balancer balancer;

  private static Config config(String servers) {
    return TestConfigs.app("  timeout connect 1s\n", servers);
  }

  private Balancer start(String servers) {
    balancer = Balancer.create(config(servers), new SplittableRandom(1), time, prober);
    return balancer;
  }

  @AfterEach
  void stop() {
    balancer.close();
  }

  @Test
  void firstChecksAreSpreadOverTheSmallestInterInConfigOrder() {
    start("""
          server s1 127.0.0.1:1001 check inter 2s
          server s2 127.0.0.1:1002 check inter 4s
          server s3 127.0.0.1:1003 check inter 2s
          server s4 127.0.0.1:1004 check inter 2s
        """);

    time.advance(Duration.ZERO);
    time.advance(Duration.ofMillis(1600));

    assertThat(probes).startsWith("1001@0", "1002@500", "1003@1000", "1004@1500");
  }

  @Test
  void aCheckedServerStartsUpOneFailureAwayAndTheFirstFailureMarksItDown() {
    Balancer b = start("  server s1 127.0.0.1:1001 check inter 1s\n  server s2 127.0.0.1:1002\n");
    assertThat(b.state("app", "s1")).isEqualTo("UP 1/3");
    assertThat(b.state("app", "s2")).isEqualTo("UP");
    answers.put(1001, CheckStatus.L4CON);

    time.advance(Duration.ZERO);

    assertThat(b.state("app", "s1")).isEqualTo("DOWN");
    assertThat(b.lastCheck("app", "s1").orElseThrow().status()).isEqualTo(CheckStatus.L4CON);
    assertThat(b.pool("app")).extracting(BackendServer::name).containsExactly("s2");
  }

  @Test
  void recoveryGoesThroughDown1Of2AtDowninterThenUpAtFastinterThenInter() {
    Balancer b = start("  server s1 127.0.0.1:1001 check inter 1s fastinter 200ms downinter 3s\n");
    answers.put(1001, CheckStatus.L4CON);
    time.advance(Duration.ZERO);
    assertThat(b.state("app", "s1")).isEqualTo("DOWN");
    answers.put(1001, CheckStatus.L4OK);

    time.advance(Duration.ofMillis(2999));
    assertThat(b.state("app", "s1")).isEqualTo("DOWN");
    time.advance(Duration.ofMillis(1));
    assertThat(b.state("app", "s1")).isEqualTo("DOWN 1/2");
    time.advance(Duration.ofMillis(199));
    assertThat(b.state("app", "s1")).isEqualTo("DOWN 1/2");
    time.advance(Duration.ofMillis(1));
    // reaching rise restores full health at once, as HAProxy does
    assertThat(b.state("app", "s1")).isEqualTo("UP");
    time.advance(Duration.ofMillis(1000));
    assertThat(probes).containsExactly("1001@0", "1001@3000", "1001@3200", "1001@4200");
  }

  @Test
  void goingDownTakesFallFailuresAtFastinter() {
    Balancer b = start("  server s1 127.0.0.1:1001 check inter 1s fastinter 100ms rise 2 fall 3\n");
    time.advance(Duration.ZERO);
    assertThat(b.state("app", "s1")).isEqualTo("UP");
    answers.put(1001, CheckStatus.L7STS);

    // the success at 0 ms made it fully up: the next check is due at inter
    time.advance(Duration.ofMillis(999));
    assertThat(b.state("app", "s1")).isEqualTo("UP");
    time.advance(Duration.ofMillis(1));
    assertThat(b.state("app", "s1")).isEqualTo("UP 2/3");
    time.advance(Duration.ofMillis(100));
    assertThat(b.state("app", "s1")).isEqualTo("UP 1/3");
    time.advance(Duration.ofMillis(100));
    assertThat(b.state("app", "s1")).isEqualTo("DOWN");
  }

  @Test
  void maintenanceStopsChecksAndLeavingItStartsAtUp1Of3() {
    Balancer b = start("  server s1 127.0.0.1:1001 check inter 1s\n");
    answers.put(1001, CheckStatus.L4CON);
    time.advance(Duration.ZERO);
    assertThat(b.state("app", "s1")).isEqualTo("DOWN");

    b.server("app", "s1").orElseThrow().setAdminState(AdminState.MAINT);
    int before = probes.size();
    time.advance(Duration.ofSeconds(5));
    assertThat(probes).hasSize(before);
    assertThat(b.state("app", "s1")).isEqualTo("MAINT");

    answers.put(1001, CheckStatus.L4OK);
    b.server("app", "s1").orElseThrow().setAdminState(AdminState.READY);
    assertThat(b.pool("app")).extracting(BackendServer::name).containsExactly("s1");
    time.advance(Duration.ofSeconds(1));
    assertThat(b.state("app", "s1")).startsWith("UP");
  }

  @Test
  void aReloadKeepsTheHealthOfUnchangedServersAndStopsRemovedOnes() {
    Balancer b = start("  server s1 127.0.0.1:1001 check inter 1s\n  server s2 127.0.0.1:1002 check inter 1s\n");
    answers.put(1001, CheckStatus.L4CON);
    time.advance(Duration.ZERO);
    time.advance(Duration.ofMillis(500));
    assertThat(b.state("app", "s1")).isEqualTo("DOWN");

    b.apply(config("  server s1 127.0.0.1:1001 check inter 1s\n  server s3 127.0.0.1:1003 check inter 1s\n"));
    probes.clear();
    time.advance(Duration.ofSeconds(3));

    assertThat(b.state("app", "s1")).isEqualTo("DOWN");
    assertThat(probes).noneMatch(p -> p.startsWith("1002@")).anyMatch(p -> p.startsWith("1003@"));
  }
}
