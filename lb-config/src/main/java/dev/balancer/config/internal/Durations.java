package dev.balancer.config.internal;

import java.time.Duration;
import java.time.temporal.ChronoUnit;

/** HAProxy time values: a number and an optional unit {@code us ms s m h d}; no unit means ms. */
final class Durations {

  private Durations() {}

  /**
   * Parses a time value.
   *
   * @param what the setting, for the message ({@code timeout connect})
   * @throws IllegalArgumentException with HAProxy's wording when the value is malformed
   */
  static Duration parse(String text, String what) {
    int i = 0;
    while (i < text.length() && Character.isDigit(text.charAt(i))) {
      i++;
    }
    if (i == 0) {
      throw new IllegalArgumentException(
          text.isEmpty()
              ? "'" + what + "' expects a time value"
              : "unexpected character '" + text.charAt(0) + "' in '" + what + "'");
    }
    long value;
    try {
      value = Long.parseLong(text.substring(0, i));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("time value too large in '" + what + "'");
    }
    String unit = text.substring(i);
    ChronoUnit u =
        switch (unit) {
          case "", "ms" -> ChronoUnit.MILLIS;
          case "us" -> ChronoUnit.MICROS;
          case "s" -> ChronoUnit.SECONDS;
          case "m" -> ChronoUnit.MINUTES;
          case "h" -> ChronoUnit.HOURS;
          case "d" -> ChronoUnit.DAYS;
          default -> throw new IllegalArgumentException(
              "unexpected character '" + unit.charAt(0) + "' in '" + what + "'");
        };
    return Duration.of(value, u);
  }
}
