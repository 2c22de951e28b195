package dev.balancer.config.model;

import dev.balancer.config.Location;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** A {@code backend} (or the serving half of a {@code listen}): servers and how to choose one. */
public record Backend(
    String name, Location location, Balance balance, Timeouts timeouts, List<Server> servers) {

  public Backend {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(location, "location");
    Objects.requireNonNull(balance, "balance");
    Objects.requireNonNull(timeouts, "timeouts");
    servers = List.copyOf(servers);
  }

  /** The server of that name. */
  public Optional<Server> server(String name) {
    return servers.stream().filter(s -> s.name().equals(name)).findFirst();
  }
}
