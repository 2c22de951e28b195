package dev.balancer.config.model;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code stats} lines of a proxy.
 *
 * @param uri {@code stats uri} ({@code /haproxy?stats})
 * @param realm {@code stats realm} ({@code HAProxy Statistics})
 * @param credentials {@code stats auth user:password}, in order
 * @param refresh {@code stats refresh} (in seconds when no unit is given)
 * @param admin {@code stats admin if COND}
 */
public record StatsSettings(
    boolean enabled,
    String uri,
    String realm,
    List<String> credentials,
    Optional<Duration> refresh,
    Optional<Condition> admin,
    boolean hideVersion,
    List<String> scope) {

  /** HAProxy's defaults: {@code stats enable} with nothing else. */
  public static final StatsSettings DISABLED = new StatsSettings(false, "/haproxy?stats", "HAProxy Statistics",
      List.of(), Optional.empty(), Optional.empty(), false, List.of());

  public StatsSettings {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(realm, "realm");
    credentials = List.copyOf(credentials);
    Objects.requireNonNull(refresh, "refresh");
    Objects.requireNonNull(admin, "admin");
    scope = List.copyOf(scope);
  }
}
