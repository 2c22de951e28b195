package dev.balancer.config.model;

import java.util.List;
import java.util.Optional;

/**
 * A whole configuration: the frontends that accept requests and the backends they send them to. A
 * {@code listen} section appears in both lists under its own name.
 */
public record Config(List<Frontend> frontends, List<Backend> backends) {

  public Config {
    frontends = List.copyOf(frontends);
    backends = List.copyOf(backends);
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
