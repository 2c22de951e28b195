package dev.balancer.config.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;

class UnitsTest {

  @Test
  void timesTakeHaproxysUnitsAndABareNumberIsMilliseconds() {
    assertThat(Durations.parse("250", "t")).isEqualTo(Duration.ofMillis(250));
    assertThat(Durations.parse("250us", "t")).isEqualTo(Duration.ofNanos(250_000));
    assertThat(Durations.parse("3s", "t")).isEqualTo(Duration.ofSeconds(3));
    assertThat(Durations.parse("2m", "t")).isEqualTo(Duration.ofMinutes(2));
    assertThat(Durations.parse("1h", "t")).isEqualTo(Duration.ofHours(1));
    assertThat(Durations.parse("1d", "t")).isEqualTo(Duration.ofDays(1));
    assertThat(Durations.parse("10", "stats refresh", ChronoUnit.SECONDS)).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void badTimesNameTheCharacterAndOverflowIsRefused() {
    assertThatThrownBy(() -> Durations.parse("5x", "timeout connect"))
        .hasMessage("unexpected character 'x' in 'timeout connect'");
    assertThatThrownBy(() -> Durations.parse("25d", "timeout server")).hasMessageContaining("timer overflow");
    assertThatThrownBy(() -> Durations.parse("99999999999999999999", "timeout server")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void sizesMultiplyBy1024() {
    assertThat(Sizes.parse("100", "size")).isEqualTo(100);
    assertThat(Sizes.parse("100k", "size")).isEqualTo(102_400);
    assertThat(Sizes.parse("2m", "size")).isEqualTo(2L * 1024 * 1024);
    assertThat(Sizes.parse("1g", "size")).isEqualTo(1024L * 1024 * 1024);
    assertThatThrownBy(() -> Sizes.parse("100x", "size")).hasMessage("unexpected character 'x' in argument of 'size'.");
  }
}
