package dev.balancer.config.model;

import dev.balancer.config.Location;
import java.util.Objects;

/**
 * One listening address of a frontend, from a {@code bind} line. A line with a comma list or a
 * port range gives one {@code Bind} per address and port.
 *
 * @param host the address to listen on; empty for all addresses ({@code *:80} or {@code :80})
 * @param port the TCP port; 0 lets the operating system choose (an extension for tests and
 *     embedding: HAProxy has no such form)
 */
public record Bind(String host, int port, Location location) {

  public Bind {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(location, "location");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }

  /** {@code host:port} as written, {@code *:port} for all addresses. */
  public String address() {
    String h = host.isEmpty() ? "*" : host.contains(":") ? "[" + host + "]" : host;
    return h + ":" + port;
  }
}
