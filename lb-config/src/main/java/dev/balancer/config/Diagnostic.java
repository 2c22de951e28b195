package dev.balancer.config;

import java.util.Objects;

/**
 * One problem found in a configuration, with the place it was found.
 *
 * <p>{@link #toString()} reads like a compiler's message:
 * {@code haproxy.cfg:12: error: unknown keyword 'wieght' in server 'web1' (did you mean 'weight'?)}.
 */
public record Diagnostic(Severity severity, Location location, String message) {

  public Diagnostic {
    Objects.requireNonNull(severity, "severity");
    Objects.requireNonNull(location, "location");
    Objects.requireNonNull(message, "message");
  }

  /** True for {@link Severity#ERROR}. */
  public boolean isError() {
    return severity == Severity.ERROR;
  }

  @Override
  public String toString() {
    return location + ": " + severity.name().toLowerCase(java.util.Locale.ROOT) + ": " + message;
  }

  /**
   * The line {@code haproxy -c} would print for it: {@code [ALERT]    (1) : config : parsing
   * [haproxy.cfg:12] : message}, so that tools wrapping HAProxy's check can wrap ours.
   */
  public String toHaproxyFormat() {
    String tag = switch (severity) {
      case ERROR -> "[ALERT]   ";
      case WARNING -> "[WARNING] ";
      case NOTICE -> "[NOTICE]  ";
    };
    String where = location.line() > 0 ? "parsing [" + location + "] : " : "";
    return tag + " (" + ProcessHandle.current().pid() + ") : config : " + where + message;
  }
}
