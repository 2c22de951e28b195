package dev.balancer.config.model;

import dev.balancer.config.Location;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@code backend} (or the serving half of a {@code listen}): servers and how to choose one.
 *
 * @param retries {@code retries} (HAProxy's default 3)
 * @param origins where each setting was written: see {@link #origin(String)}
 * @param listen whether it is the serving half of a {@code listen} section (whose rules then run
 *     once, as the frontend's)
 */
public record Backend(
    String name,
    Location location,
    Balance balance,
    HashType hashType,
    Optional<CookieSettings> cookie,
    ProxyOptions options,
    Timeouts timeouts,
    int retries,
    Optional<HttpCheck> httpCheck,
    List<Acl> acls,
    List<HttpRule> httpRequestRules,
    List<HttpRule> httpResponseRules,
    List<Server> servers,
    StatsSettings stats,
    boolean listen,
    Map<String, Location> origins) {

  /** HAProxy's default {@code retries}. */
  public static final int DEFAULT_RETRIES = 3;

  public Backend {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(location, "location");
    Objects.requireNonNull(balance, "balance");
    Objects.requireNonNull(hashType, "hashType");
    Objects.requireNonNull(cookie, "cookie");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(timeouts, "timeouts");
    Objects.requireNonNull(httpCheck, "httpCheck");
    acls = List.copyOf(acls);
    httpRequestRules = List.copyOf(httpRequestRules);
    httpResponseRules = List.copyOf(httpResponseRules);
    servers = List.copyOf(servers);
    Objects.requireNonNull(stats, "stats");
    origins = Map.copyOf(origins);
  }

  /**
   * Where a setting was last written ({@code "balance"}, {@code "timeout server"}, {@code "option
   * redispatch"}...), in this section or in the defaults it inherits.
   */
  public Optional<Location> origin(String setting) {
    return Optional.ofNullable(origins.get(setting));
  }

  /** A backend with servers only, everything else at HAProxy's defaults (for code and tests). */
  public static Backend simple(String name, Timeouts timeouts, List<Server> servers) {
    return new Backend(name, Location.UNKNOWN, Balance.ROUND_ROBIN, HashType.DEFAULT, Optional.empty(),
        ProxyOptions.NONE, timeouts, DEFAULT_RETRIES, Optional.empty(), List.of(), List.of(), List.of(), servers,
        StatsSettings.DISABLED, false, Map.of());
  }

  /** The server of that name. */
  public Optional<Server> server(String name) {
    return servers.stream().filter(s -> s.name().equals(name)).findFirst();
  }
}
