package dev.balancer.config.model;

import dev.balancer.config.Location;
import java.util.Objects;

/**
 * A {@code server} line.
 *
 * @param weight 0 to 256, default {@value #DEFAULT_WEIGHT}; 0 receives no balanced traffic
 * @param check whether {@code check} was given (health checking)
 * @param disabled whether {@code disabled} was given: the server starts in maintenance
 */
public record Server(
    String name,
    String host,
    int port,
    int weight,
    boolean check,
    boolean disabled,
    Location location) {

  /** HAProxy's default server weight. */
  public static final int DEFAULT_WEIGHT = 1;

  /** HAProxy's largest server weight. */
  public static final int MAX_WEIGHT = 256;

  public Server {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(location, "location");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    if (weight < 0 || weight > MAX_WEIGHT) {
      throw new IllegalArgumentException("weight out of range: " + weight);
    }
  }

  /** {@code host:port}. */
  public String address() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
