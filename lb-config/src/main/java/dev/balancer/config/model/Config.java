package dev.balancer.config.model;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A whole configuration: global settings, the frontends that accept requests and the backends
 * they send them to. A {@code listen} section appears in both lists under its own name.
 */
public record Config(Global global, List<Frontend> frontends, List<Backend> backends) {

  public Config {
    Objects.requireNonNull(global, "global");
    frontends = List.copyOf(frontends);
    backends = List.copyOf(backends);
  }

  /** A configuration without global settings. */
  public Config(List<Frontend> frontends, List<Backend> backends) {
    this(Global.DEFAULTS, frontends, backends);
  }

  /** The backend (or listen section) of that name. */
  public Optional<Backend> backend(String name) {
    return backends.stream().filter(b -> b.name().equals(name)).findFirst();
  }

  /** The frontend (or listen section) of that name. */
  public Optional<Frontend> frontend(String name) {
    return frontends.stream().filter(f -> f.name().equals(name)).findFirst();
  }
}
