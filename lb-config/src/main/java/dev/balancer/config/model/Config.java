package dev.balancer.config.model;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A whole configuration: global settings, the frontends that accept requests and the backends
 * they send them to. A {@code listen} section appears in both lists under its own name.
 */
public record Config(Global global, List<Frontend> frontends, List<Backend> backends, List<Userlist> userlists) {

  public Config {
    Objects.requireNonNull(global, "global");
    frontends = List.copyOf(frontends);
    backends = List.copyOf(backends);
    userlists = List.copyOf(userlists);
  }

  /** A configuration without userlists. */
  public Config(Global global, List<Frontend> frontends, List<Backend> backends) {
    this(global, frontends, backends, List.of());
  }

  /** The named {@code userlist}. */
  public Optional<Userlist> userlist(String name) {
    return userlists.stream().filter(u -> u.name().equals(name)).findFirst();
  }

  /** A configuration without global settings. */
  public Config(List<Frontend> frontends, List<Backend> backends) {
    this(Global.DEFAULTS, frontends, backends);
  }

  /** The backend (or listen section) of that name. */
  public Optional<Backend> backend(String name) {
    // once per request or more: a plain loop, no stream
    for (Backend b : backends) {
      if (b.name().equals(name)) {
        return Optional.of(b);
      }
    }
    return Optional.empty();
  }

  /** The frontend (or listen section) of that name. */
  public Optional<Frontend> frontend(String name) {
    // once per request: a plain loop, no stream
    for (Frontend f : frontends) {
      if (f.name().equals(name)) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }
}
