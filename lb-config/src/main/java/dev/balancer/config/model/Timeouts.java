package dev.balancer.config.model;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code timeout} settings of a proxy. An empty value means unset, which in HAProxy means no
 * limit (and a warning).
 */
public record Timeouts(
    Optional<Duration> connect, Optional<Duration> client, Optional<Duration> server) {

  /** No timeout set. */
  public static final Timeouts NONE = new Timeouts(Optional.empty(), Optional.empty(), Optional.empty());

  public Timeouts {
    Objects.requireNonNull(connect, "connect");
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(server, "server");
  }

  public Timeouts withConnect(Duration d) {
    return new Timeouts(Optional.of(d), client, server);
  }

  public Timeouts withClient(Duration d) {
    return new Timeouts(connect, Optional.of(d), server);
  }

  public Timeouts withServer(Duration d) {
    return new Timeouts(connect, client, Optional.of(d));
  }
}
