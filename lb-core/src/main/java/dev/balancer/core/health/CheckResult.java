package dev.balancer.core.health;

import java.time.Duration;
import java.util.Objects;

/**
 * One check's result.
 *
 * @param code the HTTP status of a layer 7 check, 0 otherwise
 * @param info HAProxy's detail ({@code Connection refused}, the status line's reason...)
 * @param duration how long the check took
 */
public record CheckResult(CheckStatus status, int code, String info, Duration duration) {

  public CheckResult {
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(info, "info");
    Objects.requireNonNull(duration, "duration");
  }
}
