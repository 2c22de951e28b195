package dev.balancer.config.model;

import java.util.Objects;
import java.util.Optional;

/**
 * {@code option forwardfor [except NETWORK] [header NAME] [if-none]}.
 *
 * @param header the header to add ({@code X-Forwarded-For})
 */
public record ForwardFor(Optional<String> except, String header, boolean ifNone) {

  public ForwardFor {
    Objects.requireNonNull(except, "except");
    Objects.requireNonNull(header, "header");
  }
}
