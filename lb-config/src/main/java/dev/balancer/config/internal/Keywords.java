package dev.balancer.config.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The keyword registry: what HAProxy 2.6 knows, and what of it Balancer acts on. A keyword is
 * either {@link Support#SUPPORTED} (acted on), {@link Support#KNOWN} (HAProxy's, parsed and
 * validated, not acted on yet: a warning naming file, line and keyword) or absent (unknown: an
 * error with a "did you mean" suggestion). Each later feature flips its keywords to SUPPORTED.
 */
final class Keywords {

  private Keywords() {}

  enum Support {
    SUPPORTED,
    KNOWN
  }

  /** Section capabilities, as HAProxy names them. */
  static final int DEF = 1;
  static final int FE = 2;
  static final int BE = 4;
  static final int ALL = DEF | FE | BE;

  /**
   * A proxy keyword.
   *
   * @param caps the sections it belongs in
   * @param rule whether it is a rule, allowed in named defaults only
   * @param capError whether using it in a section without the capability is an error (else a
   *     warning and ignored, as HAProxy does for most)
   */
  record ProxyKeyword(String name, int caps, Support support, boolean rule, boolean capError) {}

  /** Section keywords whose content Balancer reads. */
  static final Set<String> SECTIONS = set("global", "defaults", "frontend", "backend", "listen", "userlist");

  /** Section keywords HAProxy knows whose content Balancer does not use yet. */
  static final Set<String> IGNORED_SECTIONS =
      set("resolvers", "peers", "mailers", "http-errors", "cache", "program", "ring");

  /** Global keywords Balancer reads. */
  static final Set<String> GLOBAL_SUPPORTED = set("hard-stop-after");

  /** Global keywords typed into the model but not acted on yet. */
  static final Set<String> GLOBAL_TYPED = set("maxconn", "nbthread", "hard-stop-after", "server-state-file");

  /** Global keywords known to HAProxy 2.6. */
  static final Set<String> GLOBAL =
      set(
          "ca-base", "chroot", "cluster-secret", "cpu-map", "crt-base", "daemon", "default-path",
          "description", "expose-experimental-directives", "external-check", "gid", "grace", "group",
          "h1-accept-payload-with-any-method", "h1-case-adjust", "h1-case-adjust-file",
          "h2-workaround-bogus-websocket-clients", "hard-stop-after", "insecure-fork-wanted",
          "insecure-setuid-wanted", "issuers-chain-path", "localpeer", "log", "log-send-hostname",
          "log-tag", "lua-load", "lua-load-per-thread", "lua-prepend-path", "master-worker",
          "mworker-max-reloads", "nbthread", "node", "numa-cpu-mapping", "pidfile",
          "pp2-never-send-local", "presetenv", "resetenv", "uid", "ulimit-n", "user", "set-dumpable",
          "set-var", "setenv", "stats", "strict-limits", "thread-group", "thread-groups",
          "unix-bind", "unsetenv", "busy-polling", "max-spread-checks", "maxconn", "maxconnrate",
          "maxcomprate", "maxcompcpuusage", "maxpipes", "maxsessrate", "maxsslconn", "maxsslrate",
          "maxzlibmem", "noepoll", "nokqueue", "noevports", "nopoll", "nosplice", "nogetaddrinfo",
          "noreuseport", "spread-checks", "quiet", "zero-warning", "debug", "server-state-base",
          "server-state-file", "ssl-default-bind-ciphers", "ssl-default-bind-ciphersuites",
          "ssl-default-bind-curves", "ssl-default-bind-options", "ssl-default-server-ciphers",
          "ssl-default-server-ciphersuites", "ssl-default-server-curves",
          "ssl-default-server-options", "ssl-dh-param-file", "ssl-engine", "ssl-mode-async",
          "ssl-load-extra-files", "ssl-load-extra-del-ext", "ssl-server-verify",
          "ssl-skip-self-issued-ca", "51degrees-data-file", "51degrees-property-name-list",
          "51degrees-property-separator", "51degrees-cache-size", "wurfl-data-file",
          "wurfl-information-list", "wurfl-information-list-separator", "wurfl-cache-size",
          "fd-hard-limit", "anonkey", "nbproc", "profiling.tasks", "profiling.memory");

  /** Global keyword families known by their prefix ({@code tune.*} and the like). */
  static final Set<String> GLOBAL_PREFIXES = set("tune.", "ssl-", "httpclient.", "profiling.", "h2-", "quic-");

  static boolean isGlobalKeyword(String kw) {
    return GLOBAL.contains(kw) || GLOBAL_PREFIXES.stream().anyMatch(kw::startsWith);
  }

  /** Proxy keywords: defaults, frontend, backend and listen sections. */
  static final Map<String, ProxyKeyword> PROXY = new HashMap<>();

  private static void kw(String name, int caps, Support support) {
    PROXY.put(name, new ProxyKeyword(name, caps, support, false, false));
  }

  private static void rule(String name, int caps) {
    PROXY.put(name, new ProxyKeyword(name, caps, Support.KNOWN, true, false));
  }

  static {
    Support s = Support.SUPPORTED;
    Support k = Support.KNOWN;
    kw("mode", ALL, s);
    PROXY.put("bind", new ProxyKeyword("bind", FE, s, false, false));
    kw("default_backend", DEF | FE, s);
    kw("balance", DEF | BE, s);
    kw("timeout", ALL, s);
    PROXY.put("server", new ProxyKeyword("server", BE, s, false, true));
    PROXY.put("server-template", new ProxyKeyword("server-template", BE, k, false, true));
    PROXY.put("default-server", new ProxyKeyword("default-server", DEF | BE, k, false, true));
    rule("acl", FE | BE | DEF);
    rule("http-request", FE | BE | DEF);
    rule("http-response", FE | BE | DEF);
    rule("http-after-response", FE | BE | DEF);
    rule("tcp-request", FE | BE | DEF);
    rule("tcp-response", BE | DEF);
    rule("redirect", FE | BE);
    rule("use_backend", FE);
    rule("use-server", BE);
    rule("force-persist", FE | BE);
    rule("ignore-persist", FE | BE);
    rule("stick", BE);
    rule("stick-table", FE | BE);
    rule("monitor", FE);
    rule("capture", FE);
    rule("filter", FE | BE);
    for (String name : new String[] {
        "backlog", "compression", "cookie", "declare", "description", "disabled", "dispatch",
        "email-alert", "enabled", "errorfile", "errorfiles", "errorloc", "errorloc302",
        "errorloc303", "external-check", "fullconn", "hash-balance-factor", "hash-type",
        "http-check", "http-error", "http-reuse", "http-send-name-header", "id",
        "load-server-state-from-file", "log", "log-format", "log-format-sd", "log-tag",
        "max-keep-alive-queue", "max-session-srv-conns", "maxconn", "monitor-uri", "no", "option",
        "persist", "rate-limit", "retries", "retry-on", "server-state-file-name", "source", "stats",
        "tcp-check", "unique-id-format", "unique-id-header", "use-fcgi-app", "error-log-format",
        "clitcpka-cnt", "clitcpka-idle", "clitcpka-intvl", "srvtcpka-cnt", "srvtcpka-idle",
        "srvtcpka-intvl", "grace"}) {
      PROXY.putIfAbsent(name, new ProxyKeyword(name, ALL, k, false, false));
    }
    // backend-only keywords (warned and ignored in a frontend, as HAProxy does)
    for (String name : new String[] {"cookie", "hash-type", "http-check", "retries", "retry-on", "dispatch",
        "http-reuse", "http-send-name-header", "fullconn", "hash-balance-factor", "persist",
        "load-server-state-from-file", "server-state-file-name", "source", "tcp-check",
        "max-session-srv-conns", "external-check", "use-fcgi-app"}) {
      ProxyKeyword p = PROXY.get(name);
      PROXY.put(name, new ProxyKeyword(name, DEF | BE, p.support(), false, false));
    }
    for (String name : new String[] {"backlog", "maxconn", "monitor-uri", "rate-limit", "unique-id-format",
        "unique-id-header", "declare", "max-keep-alive-queue", "clitcpka-cnt", "clitcpka-idle", "clitcpka-intvl"}) {
      ProxyKeyword p = PROXY.get(name);
      PROXY.put(name, new ProxyKeyword(name, DEF | FE, p.support(), false, false));
    }
  }

  /** Boolean options: {@code option X} and {@code no option X}. */
  static final Set<String> BOOLEAN_OPTIONS =
      set(
          "abortonclose", "accept-invalid-http-request", "accept-invalid-http-response",
          "allbackups", "checkcache", "clitcpka", "contstats", "disable-h2-upgrade",
          "dontlog-normal", "dontlognull", "h1-case-adjust-bogus-client",
          "h1-case-adjust-bogus-server", "http-buffer-request", "http-ignore-probes",
          "http-keep-alive", "http-no-delay", "http-pretend-keepalive", "http-server-close",
          "http-use-proxy-header", "httpclose", "idle-close-on-response", "independent-streams",
          "log-health-checks", "log-separate-errors", "logasap", "nolinger", "persist",
          "prefer-last-server", "redispatch", "socket-stats", "splice-auto", "splice-request",
          "splice-response", "srvtcpka", "tcp-smart-accept", "tcp-smart-connect", "tcpka",
          "transparent", "http-restrict-req-hdr-names", "http-drop-request-trailers",
          "http-drop-response-trailers");

  /** The names of the balance algorithms. */
  static final Set<String> BALANCE_NAMES = set("roundrobin", "static-rr", "leastconn", "first", "source", "uri",
      "url_param", "hdr", "random", "rdp-cookie", "hash");

  /** Options that take arguments or select a mode, and cannot be negated. */
  static final Set<String> OTHER_OPTIONS =
      set(
          "forwardfor", "originalto", "httpchk", "httplog", "httpslog", "tcplog", "ssl-hello-chk",
          "smtpchk", "pgsql-check", "redis-check", "mysql-check", "ldap-check", "spop-check",
          "tcp-check", "external-check");

  /** Every option name. */
  static final Set<String> ALL_OPTIONS = Stream.concat(BOOLEAN_OPTIONS.stream(), OTHER_OPTIONS.stream())
      .collect(Collectors.toUnmodifiableSet());

  /** Options that only make sense with a backend (warned and ignored in a frontend). */
  static final Set<String> BACKEND_OPTIONS =
      set(
          "allbackups", "httpchk", "ssl-hello-chk", "smtpchk", "pgsql-check", "redis-check",
          "mysql-check", "ldap-check", "spop-check", "tcp-check", "external-check", "persist",
          "redispatch", "prefer-last-server", "log-health-checks", "srvtcpka", "checkcache",
          "abortonclose", "http-pretend-keepalive", "accept-invalid-http-response",
          "h1-case-adjust-bogus-server", "tcp-smart-connect", "splice-response");

  /** Options that only make sense with a frontend. */
  static final Set<String> FRONTEND_OPTIONS =
      set(
          "dontlognull", "dontlog-normal", "clitcpka", "tcp-smart-accept", "accept-invalid-http-request",
          "h1-case-adjust-bogus-client", "http-ignore-probes", "http-use-proxy-header",
          "log-separate-errors", "logasap", "socket-stats", "httplog", "httpslog", "tcplog",
          "idle-close-on-response", "disable-h2-upgrade", "http-restrict-req-hdr-names");

  /** Server options and how many arguments each takes. */
  static final Map<String, Integer> SERVER_OPTIONS = arities(
      Stream.of(
          "agent-check", "allow-0rtt", "backup", "check", "check-send-proxy", "check-ssl",
          "check-via-socks4", "disabled", "enabled", "force-sslv3", "force-tlsv10",
          "force-tlsv11", "force-tlsv12", "force-tlsv13", "no-agent-check", "no-backup",
          "no-check", "no-check-ssl", "no-send-proxy", "no-send-proxy-v2", "no-send-proxy-v2-ssl",
          "no-send-proxy-v2-ssl-cn", "no-ssl", "no-ssl-reuse", "no-sslv3", "no-tfo",
          "no-tls-tickets", "no-tlsv10", "no-tlsv11", "no-tlsv12", "no-tlsv13", "no-verifyhost",
          "non-stick", "send-proxy", "send-proxy-v2", "send-proxy-v2-ssl",
          "send-proxy-v2-ssl-cn", "ssl", "ssl-reuse", "stick", "tfo", "tls-tickets"),
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
          "usesrc", "interface", "weight"));

  /** Server options Balancer acts on. */
  static final Set<String> SERVER_SUPPORTED = set("weight", "disabled", "enabled", "backup", "no-backup",
      "maxconn", "maxqueue", "id", "slowstart", "check", "no-check", "inter", "fastinter", "downinter", "rise",
      "fall", "port", "addr", "observe", "error-limit", "on-error", "on-marked-down", "on-marked-up", "cookie");

  /** Options Balancer acts on. */
  static final Set<String> OPTIONS_SUPPORTED = set("allbackups", "httpchk", "persist", "redispatch", "forwardfor", "httplog", "dontlognull", "http-server-close", "httpclose", "http-keep-alive");

  /** Timeouts Balancer acts on. */
  static final Set<String> TIMEOUTS_SUPPORTED = set("connect", "client", "server", "queue", "check", "tunnel", "http-request", "http-keep-alive",
      "tarpit");

  /** Bind options and how many arguments each takes. */
  static final Map<String, Integer> BIND_OPTIONS = arities(
      Stream.of(
          "accept-proxy", "allow-0rtt", "defer-accept", "force-sslv3",
          "force-tlsv10", "force-tlsv11", "force-tlsv12", "force-tlsv13",
          "generate-certificates", "no-ca-names", "no-sslv3", "no-tls-tickets", "no-tlsv10",
          "no-tlsv11", "no-tlsv12", "no-tlsv13", "prefer-client-ciphers", "ssl", "strict-sni",
          "tfo", "transparent", "v4v6", "v6only", "quic-force-retry"),
      Stream.of(
          "accept-netscaler-cip", "alpn", "backlog", "ca-file", "ca-ignore-err", "ca-sign-file", "ca-sign-pass",
          "ca-verify-file", "ciphers", "ciphersuites", "client-sigalgs", "crl-file", "crt",
          "crt-ignore-err", "crt-list", "curves", "ecdhe", "expose-fd", "gid", "group", "id",
          "interface", "level", "maxconn", "mode", "mss", "name", "namespace", "nice", "npn",
          "process", "proto", "quic-cc-algo", "severity-output", "sigalgs", "ssl-max-ver",
          "ssl-min-ver", "tcp-ut", "thread", "tls-ticket-keys", "uid", "user", "verify"));

  /** {@code http-request} actions of HAProxy 2.6. */
  static final Set<String> HTTP_REQUEST_ACTIONS =
      set(
          "add-acl", "add-header", "allow", "auth", "cache-use", "capture", "del-acl", "del-header",
          "del-map", "deny", "disable-l7-retry", "do-resolve", "early-hint", "normalize-uri",
          "redirect", "reject", "replace-header", "replace-path", "replace-pathq", "replace-uri",
          "replace-value", "return", "sc-add-gpc", "sc-inc-gpc", "sc-inc-gpc0", "sc-inc-gpc1",
          "sc-set-gpt", "sc-set-gpt0", "send-spoe-group", "set-bandwidth-limit", "set-dst",
          "set-dst-port", "set-header", "set-log-level", "set-map", "set-mark", "set-method",
          "set-nice", "set-path", "set-pathq", "set-priority-class", "set-priority-offset",
          "set-query", "set-src", "set-src-port", "set-timeout", "set-tos", "set-uri", "set-var",
          "set-var-fmt", "silent-drop", "strict-mode", "tarpit", "track-sc0", "track-sc1",
          "track-sc2", "unset-var", "use-service", "wait-for-body", "wait-for-handshake");

  /** {@code http-response} actions of HAProxy 2.6. */
  static final Set<String> HTTP_RESPONSE_ACTIONS =
      set(
          "add-acl", "add-header", "allow", "cache-store", "capture", "del-acl", "del-header",
          "del-map", "deny", "redirect", "replace-header", "replace-value", "return",
          "sc-add-gpc", "sc-inc-gpc", "sc-inc-gpc0", "sc-inc-gpc1", "sc-set-gpt", "sc-set-gpt0",
          "send-spoe-group", "set-bandwidth-limit", "set-header", "set-log-level", "set-map",
          "set-mark", "set-nice", "set-status", "set-timeout", "set-tos", "set-var",
          "set-var-fmt", "silent-drop", "strict-mode", "track-sc0", "track-sc1", "track-sc2",
          "unset-var", "wait-for-body");

  /** ACLs every proxy has without declaring them. */
  static final Set<String> PREDEFINED_ACLS =
      set(
          "FALSE", "HTTP", "HTTP_1.0", "HTTP_1.1", "HTTP_2.0", "HTTP_CONTENT", "HTTP_URL_ABS",
          "HTTP_URL_SLASH", "HTTP_URL_STAR", "LOCALHOST", "METH_CONNECT", "METH_DELETE",
          "METH_GET", "METH_HEAD", "METH_OPTIONS", "METH_POST", "METH_PUT", "METH_TRACE",
          "RDP_COOKIE", "REQ_CONTENT", "TRUE", "WAIT_END");

  /** Sample fetches of HAProxy 2.6 usable in ACLs (the base names; suffixes come below). */
  static final Set<String> FETCHES =
      set(
          "always_false", "always_true", "avg_queue", "be_conn", "be_conn_free", "be_id",
          "be_name", "be_sess_rate", "bin", "bool", "connslots", "cpu_calls", "cpu_ns_avg",
          "cpu_ns_tot", "date", "date_us", "env", "fe_conn", "fe_id", "fe_name", "fe_req_rate",
          "fe_sess_rate", "hostname", "int", "ipv4", "ipv6", "lat_ns_avg", "lat_ns_tot", "meth",
          "nbproc", "nbsrv", "pid", "proc", "queue", "rand", "srv_conn", "srv_conn_free",
          "srv_id", "srv_is_up", "srv_queue", "srv_sess_rate", "stopping", "str", "table_avl",
          "table_cnt", "thread", "var", "uuid", "bc_http_major", "be_server_timeout",
          "be_tunnel_timeout", "cur_server_timeout", "cur_tunnel_timeout", "dst", "dst_conn",
          "dst_is_local", "dst_port", "fc_http_major", "fc_rcvd_proxy", "fc_rtt", "fc_rttvar",
          "fc_src", "fc_src_port", "fc_dst", "fc_dst_port", "sc_http_req_rate", "so_id",
          "so_name", "src", "src_port", "src_is_local", "src_conn_cnt", "src_conn_cur",
          "src_conn_rate", "src_http_req_cnt", "src_http_req_rate", "src_http_err_cnt",
          "src_http_err_rate", "src_get_gpc0", "src_get_gpt0", "src_inc_gpc0", "src_kbytes_in",
          "src_kbytes_out", "src_sess_cnt", "src_sess_rate", "src_updt_conn_cnt",
          "sc0_http_req_rate", "sc1_http_req_rate", "sc2_http_req_rate", "sc0_get_gpc0",
          "sc1_get_gpc0", "sc2_get_gpc0", "sc0_conn_cur", "sc1_conn_cur", "sc2_conn_cur",
          "sc_get_gpc0", "sc_conn_cur", "sc_conn_rate", "sc0_conn_rate", "sc1_conn_rate",
          "sc2_conn_rate", "sc0_http_err_rate", "sc1_http_err_rate", "sc2_http_err_rate",
          "req.len", "req_len", "req.payload", "req.payload_lv", "req.proto_http",
          "req_proto_http", "req.rdp_cookie", "req.rdp_cookie_cnt", "req.ssl_ec_ext",
          "req.ssl_hello_type", "req.ssl_sni", "req_ssl_sni", "req.ssl_st_ext", "req.ssl_ver",
          "req_ssl_ver", "req.ssl_alpn", "res.len", "res.payload", "res.ssl_hello_type",
          "wait_end", "ssl_c_used", "ssl_c_verify", "ssl_fc", "ssl_fc_sni", "ssl_fc_alpn",
          "ssl_fc_protocol", "ssl_fc_cipher", "ssl_fc_has_crt", "ssl_fc_has_sni", "ssl_c_s_dn",
          "ssl_c_i_dn", "ssl_c_serial", "ssl_c_sha1", "ssl_c_ca_err", "ssl_c_err",
          "ssl_fc_session_id", "ssl_bc", "ssl_bc_alpn", "base", "base32", "base32+src",
          "capture.req.hdr", "capture.req.method", "capture.req.uri", "capture.req.ver",
          "capture.res.hdr", "capture.res.ver", "cook", "cookie", "cook_cnt", "cook_val",
          "hdr", "hdr_cnt", "hdr_ip", "hdr_val", "http_auth", "http_auth_bearer",
          "http_auth_group", "http_auth_pass", "http_auth_type", "http_auth_user",
          "http_first_req", "method", "path", "pathq", "query", "req.body", "req.body_len",
          "req.body_param", "req.body_size", "req.cook", "req.cook_cnt", "req.cook_val",
          "req.cook_names", "req.fhdr", "req.fhdr_cnt", "req.hdr", "req.hdr_cnt", "req.hdr_ip",
          "req.hdr_names", "req.hdr_val", "req.hdrs", "req.hdrs_bin", "req.timer.hdr",
          "req.timer.idle", "req.timer.queue", "req.timer.tq", "req.ver", "req_ver", "res.body",
          "res.body_len", "res.body_size", "res.comp", "res.comp_algo", "res.cook",
          "res.cook_cnt", "res.cook_val", "res.cook_names", "res.fhdr", "res.fhdr_cnt",
          "res.hdr", "res.hdr_cnt", "res.hdr_ip", "res.hdr_names", "res.hdr_val", "res.hdrs",
          "res.hdrs_bin", "res.timer.data", "res.timer.hdr", "res.ver", "resp_ver", "scook",
          "scook_cnt", "scook_val", "set-cookie", "shdr", "shdr_cnt", "shdr_ip", "shdr_val",
          "status", "txn.status", "txn.timer.total", "unique-id", "url", "url_ip", "url_port",
          "url_param", "url32", "url32+src", "urlp", "urlp_val", "http_req_rate",
          "req.cook_names", "be_dynamic", "src_port", "stopping", "txn.sess_term_state",
          "last_rule_file", "last_rule_line", "int", "req.hdr_cnt", "nbsrv", "quic_enabled");

  /** Fetch names made of a base fetch and a match method ({@code path_beg} = path -m beg). */
  static final Set<String> FETCH_SUFFIXES =
      set("_beg", "_end", "_sub", "_dir", "_dom", "_reg", "_len", "_cnt", "_val", "_ip", "_found", "_str", "_bin", "_int", "_rep");

  /** ACL match methods for {@code -m}. */
  static final Set<String> MATCH_METHODS =
      set("found", "bool", "int", "ip", "bin", "len", "str", "sub", "reg", "beg", "end", "dir", "dom");

  static boolean isFetch(String name) {
    if (FETCHES.contains(name)) {
      return true;
    }
    for (String suffix : FETCH_SUFFIXES) {
      if (name.endsWith(suffix) && FETCHES.contains(name.substring(0, name.length() - suffix.length()))) {
        return true;
      }
    }
    return false;
  }

  private static Set<String> set(String... names) {
    return Set.copyOf(java.util.Arrays.asList(names));
  }

  private static Map<String, Integer> arities(Stream<String> flags, Stream<String> oneArg) {
    return Stream.concat(flags.map(f -> Map.entry(f, 0)), oneArg.map(f -> Map.entry(f, 1)))
        .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a));
  }
}
