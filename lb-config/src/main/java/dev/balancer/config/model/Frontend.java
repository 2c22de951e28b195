package dev.balancer.config.model;

import dev.balancer.config.Location;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@code frontend} (or the accepting half of a {@code listen}): where requests come in and which
 * backend gets them.
 *
 * @param defaultBackend the backend for requests no rule routes elsewhere; a {@code listen}
 *     section names itself
 */
public record Frontend(
    String name,
    Location location,
    List<Bind> binds,
    Optional<String> defaultBackend,
    Timeouts timeouts) {

  public Frontend {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(location, "location");
    binds = List.copyOf(binds);
    Objects.requireNonNull(defaultBackend, "defaultBackend");
    Objects.requireNonNull(timeouts, "timeouts");
  }
}
