package dev.balancer.config.model;

import dev.balancer.config.Location;
import java.util.Objects;

/**
 * A {@code server} line (or one server of a {@code server-template}).
 *
 * @param id the numeric id: {@code id N}, else its position in the backend from 1
 * @param settings everything after the address, with {@code default-server} applied
 */
public record Server(String name, String host, int port, int id, ServerSettings settings, Location location) {

  /** HAProxy's default server weight. */
  public static final int DEFAULT_WEIGHT = 1;

  /** HAProxy's largest server weight. */
  public static final int MAX_WEIGHT = ServerSettings.MAX_WEIGHT;

  public Server {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(location, "location");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    if (id < 1) {
      throw new IllegalArgumentException("id must be positive: " + id);
    }
  }

  /** A server with HAProxy's default settings but for weight, check and disabled (tests, code). */
  public static Server of(String name, String host, int port, int weight, boolean check, boolean disabled, Location location) {
    return new Server(name, host, port, 1,
        ServerSettings.builder().weight(weight).check(check).disabled(disabled).build(), location);
  }

  /** {@code weight}, 0 to 256. */
  public int weight() {
    return settings.weight();
  }

  /** Whether {@code check} was given. */
  public boolean check() {
    return settings.check();
  }

  /** Whether {@code disabled} was given: the server starts in maintenance. */
  public boolean disabled() {
    return settings.disabled();
  }

  /** Whether it is a {@code backup} server. */
  public boolean backup() {
    return settings.backup();
  }

  /** {@code host:port}. */
  public String address() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
