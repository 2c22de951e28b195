package dev.balancer.config.model;

import dev.balancer.config.Location;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** A backend's {@code cookie} line: cookie-based persistence. */
public record CookieSettings(
    String name,
    Mode mode,
    boolean indirect,
    boolean nocache,
    boolean postonly,
    boolean preserve,
    boolean httponly,
    boolean secure,
    List<String> domains,
    Optional<Duration> maxidle,
    Optional<Duration> maxlife,
    boolean dynamic,
    List<String> attributes,
    Location location) {

  public CookieSettings {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(mode, "mode");
    domains = List.copyOf(domains);
    attributes = List.copyOf(attributes);
    Objects.requireNonNull(maxidle, "maxidle");
    Objects.requireNonNull(maxlife, "maxlife");
    Objects.requireNonNull(location, "location");
  }

  /** How the cookie is handled; {@code rewrite} is HAProxy's default. */
  public enum Mode {
    REWRITE,
    INSERT,
    PREFIX
  }
}
