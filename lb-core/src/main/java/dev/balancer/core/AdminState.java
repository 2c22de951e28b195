package dev.balancer.core;

/** The state an operator gives a server, as HAProxy's {@code set server ... state}. */
public enum AdminState {
  /** Takes traffic (HAProxy {@code ready}). */
  READY,
  /**
   * Maintenance ({@code disabled} in the config): no new traffic; requests already sent to it
   * finish there.
   */
  MAINT
}
