package dev.balancer.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlueGreenDemoIT {

  @Test
  void rolloutServesEveryRequestAndEndsOnTheNewVersion(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream narration = new ByteArrayOutputStream();

    BlueGreenDemo.Result result = new BlueGreenDemo(
        new PrintStream(narration, true, StandardCharsets.UTF_8), dir, Duration.ofMillis(500)).run();

    String text = narration.toString(StandardCharsets.UTF_8);
    assertThat(result.failed()).as(text).isZero();
    assertThat(result.requestsPerInstance()).containsOnlyKeys("webapp1", "webapp2");
    assertThat(result.requestsPerInstance().get("webapp2")).isPositive();
    assertThat(text)
        .contains("requests sent to webapp1 since the reload: 0")
        .contains("the slow request ended with 200 from webapp1")
        .contains("failed requests: 0");
  }
}
