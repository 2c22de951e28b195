package dev.balancer.core;

/**
 * A server's operational state, as health checks see it (HAProxy's {@code UP}, {@code UP 1/3},
 * {@code DOWN}, {@code DOWN 1/2}, {@code NOLB}). A server without {@code check} is always UP.
 */
public enum Health {
  /** Up. */
  UP(true, true),
  /** Up, but a check failed: still takes traffic ({@code UP 2/3}). */
  GOING_DOWN(true, true),
  /** Up but asked to take no new traffic ({@code http-check disable-on-404}): persistent traffic only. */
  NOLB(false, true),
  /** Down, but a check succeeded: no traffic yet ({@code DOWN 1/2}). */
  GOING_UP(false, false),
  /** Down. */
  DOWN(false, false);

  private final boolean balanced;
  private final boolean persistent;

  Health(boolean balanced, boolean persistent) {
    this.balanced = balanced;
    this.persistent = persistent;
  }

  /** Whether the state receives new, balanced traffic. */
  public boolean takesBalancedTraffic() {
    return balanced;
  }

  /** Whether the state receives persistent traffic (a cookie naming the server). */
  public boolean takesPersistentTraffic() {
    return persistent;
  }
}
