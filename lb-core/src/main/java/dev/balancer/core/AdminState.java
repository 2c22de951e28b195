package dev.balancer.core;

/** The state an operator gives a server, as HAProxy's {@code set server ... state}. */
public enum AdminState {
  /** Takes traffic (HAProxy {@code ready}). */
  READY,
  /**
   * Draining: no new balanced traffic, but clients that are persistent on it (cookie, stick)
   * still reach it, and requests already sent finish there.
   */
  DRAIN,
  /**
   * Maintenance ({@code disabled} in the config): no new traffic and no persistent traffic
   * (unless {@code option persist}); requests already sent to it finish there.
   */
  MAINT
}
