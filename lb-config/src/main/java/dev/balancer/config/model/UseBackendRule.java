package dev.balancer.config.model;

import dev.balancer.config.Location;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code use_backend NAME [if|unless COND]}.
 *
 * @param backend the backend name, or a log-format expression when {@code dynamic}
 * @param dynamic whether the name is computed per request ({@code %[...]})
 */
public record UseBackendRule(String backend, boolean dynamic, Optional<Condition> condition, Location location) {

  public UseBackendRule {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(condition, "condition");
    Objects.requireNonNull(location, "location");
  }
}
