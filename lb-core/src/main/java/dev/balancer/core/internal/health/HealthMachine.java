package dev.balancer.core.internal.health;

import dev.balancer.config.model.ServerSettings;
import dev.balancer.core.Health;
import dev.balancer.core.health.CheckStatus;
import java.time.Duration;

/**
 * HAProxy's health counter for one checked server. It runs from 0 to {@code rise + fall - 1}; the
 * server is UP at {@code rise} or above. A success moves it up by one, and reaching {@code rise}
 * restores full health at once ({@code DOWN 1/2} then {@code UP}, never {@code UP 1/3} on the way
 * up); a failure moves it down by one while above {@code rise}, and otherwise marks the server DOWN
 * at once, with the counter at 0. A checked server starts at {@code rise}: UP, one
 * failure away from DOWN ({@code UP 1/3}), and so it is again when it leaves maintenance.
 */
public final class HealthMachine {

  private final int rise;
  private final int fall;
  private int health;
  private boolean nolb;

  public HealthMachine(int rise, int fall) {
    this.rise = rise;
    this.fall = fall;
    this.health = rise;
  }

  /** Back to the initial state, as when a server leaves maintenance. */
  public void reset() {
    health = rise;
    nolb = false;
  }

  /**
   * Applies a result.
   *
   * @return true when the state seen by balancing (UP/DOWN/NOLB and the transitions) changed
   */
  public boolean apply(CheckStatus status) {
    Health before = state();
    if (status.success()) {
      if (health < rise + fall - 1) {
        health++;
        if (health >= rise) {
          // HAProxy's "OK now": reaching rise restores full health at once
          health = rise + fall - 1;
        }
      }
      nolb = status == CheckStatus.L7OKC;
    } else if (health > rise) {
      health--;
    } else {
      health = 0;
      nolb = false;
    }
    return state() != before;
  }

  /**
   * {@code on-error sudden-death}: a pre-fatal failure, so that one more failed check marks the
   * server down. Apply a failure after it.
   */
  public void suddenDeath() {
    if (health > rise) {
      health = rise + 1;
    }
  }

  /** {@code on-error mark-down}: the failure applied next marks the server down at once. */
  public void markDownNext() {
    health = rise;
  }

  /** The state as balancing sees it. */
  public Health state() {
    if (health >= rise) {
      if (nolb) {
        return Health.NOLB;
      }
      return health == rise + fall - 1 ? Health.UP : Health.GOING_DOWN;
    }
    return health == 0 ? Health.DOWN : Health.GOING_UP;
  }

  /** Whether the server counts as UP (including going down and NOLB). */
  public boolean isUp() {
    return health >= rise;
  }

  /** HAProxy's stats wording: {@code UP}, {@code UP 1/3}, {@code DOWN}, {@code DOWN 1/2}, {@code NOLB}. */
  public String display() {
    if (health >= rise) {
      if (nolb) {
        return "NOLB";
      }
      return health == rise + fall - 1 ? "UP" : "UP " + (health - rise + 1) + "/" + fall;
    }
    return health == 0 ? "DOWN" : "DOWN " + health + "/" + rise;
  }

  /** The next interval: {@code inter} when fully up, {@code downinter} when down, {@code fastinter} in between. */
  public Duration interval(ServerSettings s) {
    if (health == rise + fall - 1) {
      return s.inter();
    }
    if (health == 0) {
      return s.effectiveDowninter();
    }
    return s.effectiveFastinter();
  }

  /** The check counter behind {@link #display()}: equal counters, equal display. */
  public int health() {
    return health;
  }
}
