package dev.balancer.config.model;

import dev.balancer.config.Location;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An {@code http-request} or {@code http-response} rule: an action, its arguments and an optional
 * condition. Rules inherited from a named defaults section come first, as in HAProxy.
 *
 * @param action e.g. {@code set-header}, {@code deny}, {@code redirect}
 * @param args the words between the action and {@code if}/{@code unless}
 * @param typed the same action, typed
 */
public record HttpRule(
    Phase phase, String action, List<String> args, HttpAction typed, Optional<Condition> condition, Location location) {

  public HttpRule {
    Objects.requireNonNull(typed, "typed");
    Objects.requireNonNull(phase, "phase");
    Objects.requireNonNull(action, "action");
    args = List.copyOf(args);
    Objects.requireNonNull(condition, "condition");
    Objects.requireNonNull(location, "location");
  }

  /** Which side of the exchange the rule works on. */
  public enum Phase {
    REQUEST,
    RESPONSE
  }
}
