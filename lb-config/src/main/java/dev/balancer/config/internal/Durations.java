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
    return parse(text, what, ChronoUnit.MILLIS);
  }

  /** Parses a time value whose bare number counts in {@code bareUnit} (seconds for a few keywords). */
  static Duration parse(String text, String what, ChronoUnit bareUnit) {
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
          case "" -> bareUnit;
          case "ms" -> ChronoUnit.MILLIS;
          case "us" -> ChronoUnit.MICROS;
          case "s" -> ChronoUnit.SECONDS;
          case "m" -> ChronoUnit.MINUTES;
          case "h" -> ChronoUnit.HOURS;
          case "d" -> ChronoUnit.DAYS;
          default -> throw new IllegalArgumentException(
              "unexpected character '" + unit.charAt(0) + "' in '" + what + "'");
        };
    Duration d;
    try {
      d = Duration.of(value, u);
      if (d.toMillis() > Integer.MAX_VALUE) {
        throw new ArithmeticException();
      }
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("timer overflow in argument '" + text + "' to '" + what
          + "' (maximum value is 2147483647 ms or ~24.8 days)");
    }
    return d;
  }
}
