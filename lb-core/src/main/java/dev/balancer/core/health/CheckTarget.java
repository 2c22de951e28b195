package dev.balancer.core.health;

import dev.balancer.config.model.HttpCheck;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What one check connects to and what it sends.
 *
 * @param http the HTTP check, or empty for a TCP connect check
 * @param connectTimeout how long connecting may take
 * @param totalTimeout how long the whole check may take, connect included
 */
public record CheckTarget(String host, int port, Optional<HttpCheck> http, Duration connectTimeout, Duration totalTimeout) {

  public CheckTarget {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(http, "http");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(totalTimeout, "totalTimeout");
  }
}
