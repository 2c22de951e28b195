package dev.balancer.config.internal;

import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What HAProxy 2.6 knows, so that a keyword we do not implement yet gets a warning while a word
 * HAProxy itself would reject gets an error (with a suggestion).
 */
final class Keywords {

  private Keywords() {}

  /** Section keywords whose content Balancer reads. */
  static final Set<String> SECTIONS = Set.of("global", "defaults", "frontend", "backend", "listen");

  /** Section keywords HAProxy knows whose content Balancer does not use yet. */
  static final Set<String> IGNORED_SECTIONS =
      Set.of(
          "resolvers", "userlist", "peers", "mailers", "http-errors", "cache", "program", "ring",
          "fcgi-app", "crt-store", "log-forward");

  /** Global keywords known to HAProxy 2.6 (none is acted on yet). */
  static final Set<String> GLOBAL =
      Set.of(
          "ca-base", "chroot", "cluster-secret", "cpu-map", "crt-base", "daemon", "default-path",
          "description", "deviceatlas-json-file", "deviceatlas-log-level", "deviceatlas-separator",
          "deviceatlas-properties-cookie", "expose-experimental-directives", "external-check",
          "gid", "grace", "group", "h1-accept-payload-with-any-method",
          "h1-case-adjust", "h1-case-adjust-file", "h2-workaround-bogus-websocket-clients",
          "hard-stop-after", "insecure-fork-wanted", "insecure-setuid-wanted", "issuers-chain-path",
          "localpeer", "log", "log-send-hostname", "log-tag", "lua-load", "lua-load-per-thread",
          "lua-prepend-path", "master-worker", "mworker-max-reloads", "nbthread", "node",
          "numa-cpu-mapping", "pidfile", "pp2-never-send-local", "presetenv", "resetenv", "uid",
          "ulimit-n", "user", "set-dumpable", "set-var", "setenv", "stats", "strict-limits",
          "thread-group", "thread-groups", "unix-bind", "unsetenv", "busy-polling", "max-spread-checks",
          "maxconn", "maxconnrate", "maxcomprate", "maxcompcpuusage", "maxpipes", "maxsessrate",
          "maxsslconn", "maxsslrate", "maxzlibmem", "noepoll", "nokqueue", "noevports", "nopoll",
          "nosplice", "nogetaddrinfo", "noreuseport", "profiling.tasks", "profiling.memory",
          "spread-checks", "quiet", "zero-warning", "debug", "server-state-base",
          "server-state-file", "ssl-default-bind-ciphers", "ssl-default-bind-ciphersuites",
          "ssl-default-bind-curves", "ssl-default-bind-options", "ssl-default-server-ciphers",
          "ssl-default-server-ciphersuites", "ssl-default-server-curves",
          "ssl-default-server-options", "ssl-dh-param-file", "ssl-engine", "ssl-mode-async",
          "ssl-load-extra-files", "ssl-load-extra-del-ext", "ssl-server-verify",
          "ssl-skip-self-issued-ca", "httpclient.resolvers.id",
          "httpclient.resolvers.prefer", "httpclient.ssl.ca-file", "httpclient.ssl.verify",
          "httpclient.retries", "httpclient.timeout.connect", "51degrees-data-file",
          "51degrees-property-name-list", "51degrees-property-separator", "51degrees-cache-size",
          "wurfl-data-file", "wurfl-information-list", "wurfl-information-list-separator",
          "wurfl-cache-size", "fd-hard-limit", "anonkey", "tune.bufsize");

  /** Global keyword families known by their prefix ({@code tune.*} and the like). */
  static final Set<String> GLOBAL_PREFIXES = Set.of("tune.", "ssl-", "httpclient.", "profiling.");

  /** Proxy keywords known to HAProxy 2.6, for defaults, frontend, backend and listen sections. */
  static final Set<String> PROXY =
      Set.of(
          "acl", "backlog", "balance", "bind", "capture", "clitcpka-cnt", "clitcpka-idle",
          "clitcpka-intvl", "compression", "cookie", "declare", "default-server",
          "default_backend", "description", "disabled", "dispatch", "email-alert", "enabled",
          "errorfile", "errorfiles", "errorloc", "errorloc302", "errorloc303", "error-log-format",
          "external-check", "filter", "force-persist", "fullconn", "hash-balance-factor",
          "hash-type", "http-after-response", "http-check", "http-error", "http-request",
          "http-response", "http-reuse", "http-send-name-header", "id", "ignore-persist",
          "load-server-state-from-file", "log", "log-format", "log-format-sd", "log-tag",
          "max-keep-alive-queue", "max-session-srv-conns", "maxconn", "mode", "monitor",
          "monitor-uri", "no", "option", "persist", "rate-limit", "redirect", "retries",
          "retry-on", "server", "server-state-file-name", "server-template", "source",
          "srvtcpka-cnt", "srvtcpka-idle", "srvtcpka-intvl", "stats", "stick", "stick-table",
          "tcp-check", "tcp-request", "tcp-response", "timeout", "transparent",
          "unique-id-format", "unique-id-header", "use_backend", "use-fcgi-app", "use-server",
          "grace", "guid");

  /** Server options and how many arguments each takes. */
  static final Map<String, Integer> SERVER_OPTIONS = arities(
      // flags
      Stream.of(
          "agent-check", "allow-0rtt", "backup", "check", "check-send-proxy", "check-ssl",
          "check-via-socks4", "disabled", "enabled", "force-sslv3", "force-tlsv10",
          "force-tlsv11", "force-tlsv12", "force-tlsv13", "no-agent-check", "no-backup",
          "no-check", "no-check-ssl", "no-send-proxy", "no-send-proxy-v2", "no-send-proxy-v2-ssl",
          "no-send-proxy-v2-ssl-cn", "no-ssl", "no-ssl-reuse", "no-sslv3", "no-tfo",
          "no-tls-tickets", "no-tlsv10", "no-tlsv11", "no-tlsv12", "no-tlsv13", "no-verifyhost",
          "non-stick", "send-proxy", "send-proxy-v2", "send-proxy-v2-ssl",
          "send-proxy-v2-ssl-cn", "ssl", "ssl-reuse", "stick", "tfo", "tls-tickets"),
      // one argument each
      Stream.of(
          "addr", "agent-addr", "agent-inter", "agent-port", "agent-send", "alpn", "ca-file",
          "check-alpn", "check-proto", "check-sni", "ciphers", "ciphersuites", "client-sigalgs",
          "cookie", "crl-file", "crt", "curves", "downinter", "error-limit", "fall", "fastinter",
          "hash-key", "id", "init-addr", "inter", "log-proto", "max-reuse", "maxconn", "maxqueue",
          "minconn", "namespace", "npn", "observe", "on-error", "on-marked-down", "on-marked-up",
          "pool-low-conn", "pool-max-conn", "pool-purge-delay", "port", "proto",
          "proxy-v2-options", "redir", "resolve-net", "resolve-opts", "resolve-prefer",
          "resolvers", "rise", "shard", "sigalgs", "slowstart", "sni", "socks4", "ssl-max-ver",
          "ssl-min-ver", "tcp-ut", "track", "verify", "verifyhost", "weight", "ws", "source",
          "usesrc", "interface"));

  /** Bind options and how many arguments each takes. */
  static final Map<String, Integer> BIND_OPTIONS = arities(
      Stream.of(
          "accept-netscaler-cip", "accept-proxy", "allow-0rtt", "defer-accept", "force-sslv3",
          "force-tlsv10", "force-tlsv11", "force-tlsv12", "force-tlsv13",
          "generate-certificates", "no-ca-names", "no-sslv3", "no-tls-tickets", "no-tlsv10",
          "no-tlsv11", "no-tlsv12", "no-tlsv13", "prefer-client-ciphers", "ssl", "strict-sni",
          "tfo", "transparent", "v4v6", "v6only", "quic-force-retry"),
      Stream.of(
          "alpn", "backlog", "ca-file", "ca-ignore-err", "ca-sign-file", "ca-sign-pass",
          "ca-verify-file", "ciphers", "ciphersuites", "client-sigalgs", "crl-file", "crt",
          "crt-ignore-err", "crt-list", "curves", "ecdhe", "expose-fd", "gid", "group", "id",
          "interface", "level", "maxconn", "mode", "mss", "name", "namespace", "nice", "npn",
          "process", "proto", "quic-cc-algo", "severity-output", "sigalgs", "ssl-max-ver",
          "ssl-min-ver", "tcp-ut", "thread", "tls-ticket-keys", "uid", "user", "verify"));

  /** Balance algorithms HAProxy 2.6 knows (the bare word, before any parenthesis). */
  static final Set<String> BALANCE_ALGORITHMS =
      Set.of(
          "roundrobin", "static-rr", "leastconn", "first", "source", "uri", "url_param", "hdr",
          "random", "rdp-cookie", "hash");

  /** Timeout names HAProxy 2.6 knows. */
  static final Set<String> TIMEOUTS =
      Set.of(
          "check", "client", "client-fin", "connect", "http-keep-alive", "http-request", "queue",
          "server", "server-fin", "tarpit", "tunnel");

  static boolean isGlobalKeyword(String kw) {
    return GLOBAL.contains(kw) || GLOBAL_PREFIXES.stream().anyMatch(kw::startsWith);
  }

  private static Map<String, Integer> arities(Stream<String> flags, Stream<String> oneArg) {
    return Stream.concat(flags.map(f -> Map.entry(f, 0)), oneArg.map(f -> Map.entry(f, 1)))
        .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, Map.Entry::getValue));
  }
}
