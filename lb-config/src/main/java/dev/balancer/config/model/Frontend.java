package dev.balancer.config.model;

import dev.balancer.config.Location;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@code frontend} (or the accepting half of a {@code listen}): where requests come in, the rules
 * they go through and which backend gets them.
 *
 * @param defaultBackend the backend for requests no {@code use_backend} rule takes; a {@code listen}
 *     section names itself
 * @param useBackends {@code use_backend} rules, the first match wins
 * @param acls the named ACLs, in order (a name on several lines means any of them)
 * @param httpRequestRules named defaults' rules first, then the proxy's
 * @param origins where each setting was written: see {@link #origin(String)}
 */
public record Frontend(
    String name,
    Location location,
    List<Bind> binds,
    Optional<String> defaultBackend,
    List<UseBackendRule> useBackends,
    List<Acl> acls,
    List<HttpRule> httpRequestRules,
    List<HttpRule> httpResponseRules,
    ProxyOptions options,
    Timeouts timeouts,
    StatsSettings stats,
    Map<String, Location> origins) {

  public Frontend {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(location, "location");
    binds = List.copyOf(binds);
    Objects.requireNonNull(defaultBackend, "defaultBackend");
    useBackends = List.copyOf(useBackends);
    acls = List.copyOf(acls);
    httpRequestRules = List.copyOf(httpRequestRules);
    httpResponseRules = List.copyOf(httpResponseRules);
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(timeouts, "timeouts");
    Objects.requireNonNull(stats, "stats");
    origins = Map.copyOf(origins);
  }

  /**
   * Where a setting was last written ({@code "balance"}, {@code "timeout client"}, {@code "option
   * httplog"}...), in this section or in the defaults it inherits.
   */
  public Optional<Location> origin(String setting) {
    return Optional.ofNullable(origins.get(setting));
  }

  /** A frontend with binds and a default backend only (for code and tests). */
  public static Frontend simple(String name, List<Bind> binds, Optional<String> defaultBackend, Timeouts timeouts) {
    return new Frontend(name, Location.UNKNOWN, binds, defaultBackend, List.of(), List.of(), List.of(), List.of(),
        ProxyOptions.NONE, timeouts, StatsSettings.DISABLED, Map.of());
  }
}
