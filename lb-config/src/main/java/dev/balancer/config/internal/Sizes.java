package dev.balancer.config.internal;

/** HAProxy sizes: a number and an optional unit {@code k}, {@code m} or {@code g} (powers of 1024). */
final class Sizes {

  private Sizes() {}

  /**
   * Parses a size.
   *
   * @param what the setting, for the message
   * @throws IllegalArgumentException with HAProxy's wording when the value is malformed
   */
  static long parse(String text, String what) {
    int i = 0;
    while (i < text.length() && Character.isDigit(text.charAt(i))) {
      i++;
    }
    if (i == 0) {
      throw new IllegalArgumentException(text.isEmpty() ? "'" + what + "' expects a size"
          : "unexpected character '" + text.charAt(0) + "' in argument of '" + what + "'.");
    }
    long value = Long.parseLong(text.substring(0, i));
    String unit = text.substring(i);
    long factor = switch (unit.toLowerCase(java.util.Locale.ROOT)) {
      case "" -> 1;
      case "k" -> 1024;
      case "m" -> 1024 * 1024;
      case "g" -> 1024L * 1024 * 1024;
      default -> throw new IllegalArgumentException("unexpected character '" + unit.charAt(0) + "' in argument of '" + what + "'.");
    };
    return Math.multiplyExact(value, factor);
  }
}
