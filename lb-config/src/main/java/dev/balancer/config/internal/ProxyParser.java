package dev.balancer.config.internal;

import dev.balancer.config.Location;
import dev.balancer.config.internal.Keywords.ProxyKeyword;
import dev.balancer.config.internal.Keywords.Support;
import dev.balancer.config.internal.ProxyBuilder.Ref;
import dev.balancer.config.model.Acl;
import dev.balancer.config.model.Balance;
import dev.balancer.config.model.Bind;
import dev.balancer.config.model.Condition;
import dev.balancer.config.model.CookieSettings;
import dev.balancer.config.model.ForwardFor;
import dev.balancer.config.model.HashType;
import dev.balancer.config.model.HttpAction;
import dev.balancer.config.model.HttpCheck;
import dev.balancer.config.model.HttpRule;
import dev.balancer.config.model.Server;
import dev.balancer.config.model.ServerSettings;
import dev.balancer.config.model.StatsSettings;
import dev.balancer.config.model.TimeoutKind;
import dev.balancer.config.model.UseBackendRule;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** Reads the keywords of {@code defaults}, {@code frontend}, {@code backend} and {@code listen}. */
final class ProxyParser {

  /** A malformed line; the message is the diagnostic. */
  static final class Bad extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Bad(String message) {
      super(message, null, false, false);
    }
  }

  private static final Set<TimeoutKind> FRONTEND_TIMEOUTS =
      Set.of(TimeoutKind.CLIENT, TimeoutKind.CLIENT_FIN, TimeoutKind.HTTP_REQUEST);
  private static final Set<TimeoutKind> BACKEND_TIMEOUTS = Set.of(TimeoutKind.CONNECT, TimeoutKind.SERVER,
      TimeoutKind.SERVER_FIN, TimeoutKind.QUEUE, TimeoutKind.CHECK, TimeoutKind.TUNNEL);

  private final Parser parser;
  private final Conditions conditions;
  private final ServerParser servers;

  ProxyParser(Parser parser) {
    this.parser = parser;
    this.conditions = new Conditions(parser);
    this.servers = new ServerParser(parser, this);
  }

  void keyword(ProxyBuilder p, Location at, String keyword, List<String> args) {
    ProxyKeyword kw = Keywords.PROXY.get(keyword);
    if (kw == null) {
      String hint = Suggestions.closest(keyword, Keywords.PROXY.keySet()).map(s -> "; did you mean '" + s + "' maybe ?").orElse("");
      parser.error(at, "unknown keyword '" + keyword + "' in '" + p.kind + "' section" + hint);
      return;
    }
    if (!capable(p, at, kw, keyword)) {
      return;
    }
    try {
      handle(p, at, kw, keyword, args);
      p.origins.put(setting(keyword, args), at);
    } catch (Bad e) {
      parser.error(at, e.getMessage());
    }
  }

  /** The name a setting is known by in {@link ProxyBuilder#origins}: the keyword, and its first word where it names the setting. */
  private static String setting(String keyword, List<String> args) {
    return switch (keyword) {
      case "timeout", "option", "stats", "http-check" -> args.isEmpty() ? keyword : keyword + " " + args.get(0);
      case "no" -> args.size() < 2 ? keyword : args.get(0) + " " + args.get(1);
      default -> keyword;
    };
  }

  /** HAProxy's capability rules: an error for some keywords, a warning (and ignored) for most. */
  private boolean capable(ProxyBuilder p, Location at, ProxyKeyword kw, String keyword) {
    if (p.isDefaults()) {
      if ((kw.caps() & Keywords.DEF) == 0) {
        parser.error(at, "'" + keyword + "' not allowed in 'defaults' section.");
        return false;
      }
      if (kw.rule() && p.name.isEmpty()) {
        parser.error(at, "'" + keyword + "' not allowed in anonymous 'defaults' section.");
        return false;
      }
      return true;
    }
    boolean fe = p.hasFrontendCap() && (kw.caps() & Keywords.FE) != 0;
    boolean be = p.hasBackendCap() && (kw.caps() & Keywords.BE) != 0;
    if (fe || be) {
      return true;
    }
    String missing = (kw.caps() & Keywords.BE) != 0 ? "backend" : "frontend";
    if (kw.capError()) {
      parser.error(at, "'" + keyword + "' not allowed because " + p.kind + " '" + p.name + "' has no " + missing + " capability.");
      return false;
    }
    if (keyword.equals("default_backend") || keyword.equals("use_backend")) {
      return true; // ignored but still resolved, as HAProxy does: see handle()
    }
    parser.warning(at, "'" + keyword + "' ignored because " + p.kind + " '" + p.name + "' has no " + missing + " capability.");
    return false;
  }

  private void unsupported(Location at, String what) {
    parser.warning(at, "'" + what + "' is not supported yet; ignored");
  }

  private void handle(ProxyBuilder p, Location at, ProxyKeyword kw, String keyword, List<String> args) {
    switch (keyword) {
      case "mode" -> mode(p, at, args);
      case "bind" -> bind(p, at, args);
      case "default_backend" -> {
        Ref ref = new Ref(single(args, "default_backend", "<backend>"), at);
        if (p.hasFrontendCap()) {
          p.defaultBackend = Optional.of(ref);
        } else {
          parser.warning(at, "'default_backend' ignored because backend '" + p.name + "' has no frontend capability.");
          p.ignoredBackendRefs.add(ref);
        }
      }
      case "use_backend" -> useBackend(p, at, args);
      case "balance" -> balance(p, at, args);
      case "hash-type" -> hashType(p, at, args);
      case "timeout" -> timeout(p, at, args);
      case "errorfile" -> errorfile(p, args);
      case "monitor-uri" -> p.monitorUri = Optional.of(single(args, "monitor-uri", "<uri>"));
      case "log-format" -> {
        if (args.size() != 1) {
          throw new Bad("'log-format' expects one argument (quote it if it has spaces).");
        }
        p.logFormat = Optional.of(args.get(0));
      }
      case "retries" -> p.retries = lenientInt(at, single(args, "retries", "<number>"), "retries");
      case "server" -> servers.server(p, at, args);
      case "default-server" -> servers.defaultServer(p, at, args);
      case "server-template" -> servers.template(p, at, args);
      case "cookie" -> cookie(p, at, args);
      case "option" -> option(p, at, args, false);
      case "no" -> {
        if (!args.isEmpty() && args.get(0).equals("option")) {
          option(p, at, args.subList(1, args.size()), true);
        } else if (!args.isEmpty() && args.get(0).equals("log")) {
          unsupported(at, "no log");
        } else {
          throw new Bad("'no' expects 'option' or 'log'" + (args.isEmpty() ? "" : ", not '" + args.get(0) + "'") + ".");
        }
      }
      case "acl" -> acl(p, at, args);
      case "http-request" -> httpRule(p, at, args, HttpRule.Phase.REQUEST);
      case "http-response" -> httpRule(p, at, args, HttpRule.Phase.RESPONSE);
      case "http-check" -> httpCheck(p, at, args);
      case "stats" -> stats(p, at, args);
      case "stick-table" -> {
        p.hasRules = p.hasRules || p.isDefaults();
        for (int i = 0; i + 1 < args.size(); i++) {
          try {
            if (args.get(i).equals("size")) {
              Sizes.parse(args.get(++i), "size");
            } else if (args.get(i).equals("expire")) {
              Durations.parse(args.get(++i), "expire");
            }
          } catch (IllegalArgumentException | ArithmeticException e) {
            throw new Bad("stick-table: " + e.getMessage());
          }
        }
        unsupported(at, "stick-table");
      }
      default -> {
        if (kw.rule()) {
          p.hasRules = p.hasRules || p.isDefaults();
          // rules we do not implement yet still get their conditions checked
          int cond = conditionStart(args);
          if (keyword.equals("redirect")) {
            try {
              HttpActions.checkRedirect(cond < 0 ? args : args.subList(0, cond));
            } catch (Bad e) {
              throw new Bad("error detected in " + p.kind + " '" + p.name + "' while parsing redirect rule : " + e.getMessage());
            }
          }
          if (cond >= 0) {
            conditions.parse(p, at, keyword, args.subList(cond, args.size()));
          }
        }
        if (kw.support() != Support.SUPPORTED) {
          unsupported(at, keyword);
        }
      }
    }
  }

  // ---- simple keywords ------------------------------------------------------------------------

  private void mode(ProxyBuilder p, Location at, List<String> args) {
    String m = single(args, "mode", "'http', 'tcp' or 'health'");
    switch (m) {
      case "http" -> p.mode = Optional.of("http");
      case "tcp", "health" -> {
        p.mode = Optional.of(m);
        throw new Bad("'mode " + m + "' is not supported: Balancer proxies HTTP only (use 'mode http')");
      }
      default -> throw new Bad("unknown proxy mode '" + m + "'.");
    }
  }

  private void timeout(ProxyBuilder p, Location at, List<String> args) {
    if (args.isEmpty()) {
      throw new Bad("'timeout' expects 'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', 'http-request', 'tunnel', 'tarpit', 'client-fin' or 'server-fin'.");
    }
    Optional<TimeoutKind> kind = TimeoutKind.of(args.get(0));
    if (kind.isEmpty()) {
      String hint = Suggestions.closest(args.get(0), List.of("client", "server", "connect", "check", "queue",
          "http-keep-alive", "http-request", "tunnel", "tarpit", "client-fin", "server-fin"))
          .map(s -> " (did you mean '" + s + "'?)").orElse("");
      throw new Bad("'timeout' supports 'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', 'http-request', 'tunnel', 'tarpit', 'client-fin' and 'server-fin' (got '" + args.get(0) + "')" + hint + ".");
    }
    String what = "timeout " + args.get(0);
    if (args.size() != 2) {
      throw new Bad("'" + what + "' expects an integer value (in milliseconds)");
    }
    Duration d = duration(args.get(1), what, ChronoUnit.MILLIS);
    TimeoutKind k = kind.get();
    if (!p.hasBackendCap() && BACKEND_TIMEOUTS.contains(k)) {
      parser.warning(at, "'" + what + "' will be ignored because " + p.kind + " '" + p.name + "' has no backend capability");
      return;
    }
    if (!p.hasFrontendCap() && FRONTEND_TIMEOUTS.contains(k)) {
      parser.warning(at, "'" + what + "' will be ignored because " + p.kind + " '" + p.name + "' has no frontend capability");
      return;
    }
    p.timeouts = p.timeouts.with(k, d);
    if (!Keywords.TIMEOUTS_SUPPORTED.contains(k.keyword())) {
      unsupported(at, what);
    }
  }

  private void bind(ProxyBuilder p, Location at, List<String> args) {
    if (args.isEmpty()) {
      throw new Bad("'bind' expects {<path>|[addr1]:port1[-end1]}{,[addr]:port[-end]}... as arguments.");
    }
    String spec = parser.tokenizer().expandUnquoted(args.get(0));
    List<Bind> parsed = new ArrayList<>();
    for (String part : spec.split(",", -1)) {
      parsed.addAll(bindAddress(at, part));
    }
    for (int i = 1; i < args.size(); i++) {
      String opt = args.get(i);
      Integer arity = Keywords.BIND_OPTIONS.get(opt);
      if (arity == null) {
        String hint = Suggestions.closest(opt, Keywords.BIND_OPTIONS.keySet()).map(s -> "; did you mean '" + s + "' maybe ?").orElse("");
        throw new Bad("'bind " + args.get(0) + "' unknown keyword '" + opt + "'" + hint);
      }
      if (arity > 0 && i + arity >= args.size()) {
        throw new Bad("'bind " + args.get(0) + "' : missing argument for '" + opt + "'");
      }
      if (opt.equals("ssl")) {
        throw new Bad("bind option 'ssl' is not supported yet: Balancer serves plain HTTP only");
      }
      if (!opt.equals("name")) {
        unsupported(at, "bind ... " + opt);
      }
      i += arity;
    }
    p.binds.addAll(parsed);
  }

  private List<Bind> bindAddress(Location at, String text) {
    HostPort hp = HostPort.parse(text);
    if (hp == null) {
      throw new Bad("'bind' : unsupported address '" + text + "' (only [addr]:port is supported)");
    }
    if (hp.port().isEmpty()) {
      throw new Bad("'bind' : missing port number: '" + text + "'");
    }
    String host = hp.host().equals("*") ? "" : hp.host();
    String portSpec = hp.port();
    int dash = portSpec.indexOf('-');
    int from;
    int to;
    try {
      if (dash > 0) {
        from = Integer.parseInt(portSpec.substring(0, dash));
        to = Integer.parseInt(portSpec.substring(dash + 1));
      } else {
        from = to = Integer.parseInt(portSpec);
      }
    } catch (NumberFormatException e) {
      throw new Bad("'bind' : invalid port '" + portSpec + "' in '" + text + "'");
    }
    if (from < 0 || to > 65535 || from > to) {
      throw new Bad("'bind' : invalid port range '" + portSpec + "' in '" + text + "'");
    }
    List<Bind> binds = new ArrayList<>();
    for (int port = from; port <= to; port++) {
      binds.add(new Bind(host, port, at));
    }
    return binds;
  }

  private void useBackend(ProxyBuilder p, Location at, List<String> args) {
    if (args.isEmpty()) {
      throw new Bad("'use_backend' expects a backend name.");
    }
    String name = args.get(0);
    Optional<Condition> cond = Optional.empty();
    if (args.size() > 1) {
      if (!args.get(1).equals("if") && !args.get(1).equals("unless")) {
        throw new Bad("'use_backend' expects 'if' or 'unless' after the backend name, not '" + args.get(1) + "'.");
      }
      cond = Optional.of(conditions.parse(p, at, "use_backend", args.subList(1, args.size())));
    }
    boolean dynamic = name.contains("%[");
    UseBackendRule rule = new UseBackendRule(name, dynamic, cond, at);
    if (p.hasFrontendCap()) {
      if (dynamic) {
        parser.warning(at, "'use_backend' with a backend name computed per request is not supported yet; ignored");
      }
      p.useBackends.add(rule);
    } else {
      parser.warning(at, "'use_backend' ignored because backend '" + p.name + "' has no frontend capability.");
      if (!dynamic) {
        p.ignoredBackendRefs.add(new Ref(name, at));
      }
    }
  }

  /** HAProxy's codes for {@code errorfile}. */
  private static final Set<Integer> ERROR_CODES = Set.of(200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429,
      500, 501, 502, 503, 504);

  private void errorfile(ProxyBuilder p, List<String> args) {
    if (args.size() != 2) {
      throw new Bad("'errorfile' expects <code> and <file> as arguments.");
    }
    int code;
    try {
      code = Integer.parseInt(args.get(0));
    } catch (NumberFormatException e) {
      code = -1;
    }
    if (!ERROR_CODES.contains(code)) {
      throw new Bad("status code '" + args.get(0) + "' not handled.");
    }
    try {
      p.errorFiles.put(code, Files.readString(Path.of(args.get(1)), java.nio.charset.StandardCharsets.ISO_8859_1));
    } catch (java.io.IOException e) {
      throw new Bad("error opening file <" + args.get(1) + ">.");
    }
  }

  private void balance(ProxyBuilder p, Location at, List<String> args) {
    if (args.isEmpty()) {
      throw new Bad("'balance' expects an algorithm.");
    }
    String algo = args.get(0);
    String bare = algo.contains("(") ? algo.substring(0, algo.indexOf('(')) : algo;
    String inParens = algo.contains("(") && algo.endsWith(")") ? algo.substring(algo.indexOf('(') + 1, algo.length() - 1) : null;
    List<String> rest = args.subList(1, args.size());
    Balance b;
    switch (bare) {
      case "roundrobin", "static-rr", "leastconn", "first", "source" -> {
        noMore(rest, "balance " + bare);
        b = Balance.of(algorithm(bare));
      }
      case "uri" -> {
        int len = 0;
        int depth = 0;
        boolean whole = false;
        boolean pathOnly = false;
        for (int i = 0; i < rest.size(); i++) {
          switch (rest.get(i)) {
            case "len" -> len = positive(next(rest, ++i, "uri len"), "uri len");
            case "depth" -> depth = positive(next(rest, ++i, "uri depth"), "uri depth");
            case "whole" -> whole = true;
            case "path-only" -> pathOnly = true;
            default -> throw new Bad("'balance uri' only accepts parameters 'len', 'depth', 'path-only', and 'whole'.");
          }
        }
        b = new Balance(Balance.Algorithm.URI, Optional.empty(), len, depth, whole, pathOnly, false, false, 2);
      }
      case "url_param" -> {
        if (rest.isEmpty()) {
          throw new Bad("'balance url_param' requires an URL parameter name.");
        }
        boolean checkPost = rest.size() > 1 && rest.get(1).equals("check_post");
        if (rest.size() > 1 && !checkPost) {
          throw new Bad("'balance url_param' only accepts check_post modifier.");
        }
        b = new Balance(Balance.Algorithm.URL_PARAM, Optional.of(rest.get(0)), 0, 0, false, false, false, checkPost, 2);
      }
      case "hdr" -> {
        if (inParens == null || inParens.isEmpty()) {
          throw new Bad("hdr requires an http header field name.");
        }
        boolean domain = !rest.isEmpty() && rest.get(0).equals("use_domain_only");
        if (!rest.isEmpty() && !domain) {
          throw new Bad("'balance hdr(" + inParens + ")' only accepts 'use_domain_only' modifier.");
        }
        b = new Balance(Balance.Algorithm.HDR, Optional.of(inParens), 0, 0, false, false, domain, false, 2);
      }
      case "random" -> {
        int draws = 2;
        if (inParens != null) {
          draws = positive(inParens, "random");
        }
        b = new Balance(Balance.Algorithm.RANDOM, Optional.empty(), 0, 0, false, false, false, false, draws);
      }
      case "rdp-cookie" -> b = new Balance(Balance.Algorithm.RDP_COOKIE,
          Optional.of(inParens == null || inParens.isEmpty() ? "mstshash" : inParens), 0, 0, false, false, false, false, 2);
      case "hash" -> {
        if (rest.isEmpty()) {
          throw new Bad("'balance hash' expects a sample expression.");
        }
        b = new Balance(Balance.Algorithm.HASH, Optional.of(String.join(" ", rest)), 0, 0, false, false, false, false, 2);
      }
      default -> {
        String hint = Suggestions.closest(bare, Keywords.BALANCE_NAMES).map(s -> " (did you mean '" + s + "'?)").orElse("");
        throw new Bad("'balance' only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hash', 'hdr(name)', 'first', 'random' and 'rdp-cookie(name)' options (got '" + algo + "')" + hint + ".");
      }
    }
    p.balance = b;
    if (b.algorithm() == Balance.Algorithm.RDP_COOKIE || b.algorithm() == Balance.Algorithm.HASH) {
      parser.warning(at, "'balance " + algo + "' is not supported yet; requests are spread by round robin over the same map");
    } else if (b.checkPost()) {
      parser.warning(at, "'balance url_param ... check_post' is not supported yet: only the query string is searched");
    }
  }

  private static Balance.Algorithm algorithm(String keyword) {
    for (Balance.Algorithm a : Balance.Algorithm.values()) {
      if (a.keyword().equals(keyword)) {
        return a;
      }
    }
    throw new Bad("unknown algorithm " + keyword);
  }

  private void hashType(ProxyBuilder p, Location at, List<String> args) {
    if (args.isEmpty()) {
      throw new Bad("'hash-type' requires 'map-based' or 'consistent'.");
    }
    HashType.Method method = switch (args.get(0)) {
      case "map-based" -> HashType.Method.MAP_BASED;
      case "consistent" -> HashType.Method.CONSISTENT;
      default -> throw new Bad("'hash-type' supports 'consistent' and 'map-based'.");
    };
    HashType.Function fn = HashType.Function.SDBM;
    boolean avalanche = false;
    for (String a : args.subList(1, args.size())) {
      switch (a) {
        case "sdbm" -> fn = HashType.Function.SDBM;
        case "djb2" -> fn = HashType.Function.DJB2;
        case "wt6" -> fn = HashType.Function.WT6;
        case "crc32" -> fn = HashType.Function.CRC32;
        case "none" -> fn = HashType.Function.NONE;
        case "avalanche" -> avalanche = true;
        default -> throw new Bad("'hash-type " + args.get(0) + "' supports 'sdbm', 'djb2', 'wt6', 'crc32' and 'none' hash functions, with the 'avalanche' modifier (got '" + a + "').");
      }
    }
    if (method == HashType.Method.CONSISTENT && args.size() == 1) {
      // HAProxy: 'hash-type consistent' alone means sdbm with the avalanche modifier
      avalanche = true;
    }
    p.hashType = new HashType(method, fn, avalanche);
  }

  private void cookie(ProxyBuilder p, Location at, List<String> args) {
    if (args.isEmpty()) {
      throw new Bad("'cookie' expects <cookie_name> as argument.");
    }
    CookieSettings.Mode mode = CookieSettings.Mode.REWRITE;
    boolean indirect = false;
    boolean nocache = false;
    boolean postonly = false;
    boolean preserve = false;
    boolean httponly = false;
    boolean secure = false;
    boolean dynamic = false;
    List<String> domains = new ArrayList<>();
    List<String> attrs = new ArrayList<>();
    Optional<Duration> maxidle = Optional.empty();
    Optional<Duration> maxlife = Optional.empty();
    for (int i = 1; i < args.size(); i++) {
      String a = args.get(i);
      switch (a) {
        case "rewrite" -> mode = CookieSettings.Mode.REWRITE;
        case "insert" -> mode = CookieSettings.Mode.INSERT;
        case "prefix" -> mode = CookieSettings.Mode.PREFIX;
        case "indirect" -> indirect = true;
        case "nocache" -> nocache = true;
        case "postonly" -> postonly = true;
        case "preserve" -> preserve = true;
        case "httponly" -> httponly = true;
        case "secure" -> secure = true;
        case "dynamic" -> dynamic = true;
        case "domain" -> domains.add(next(args, ++i, "cookie domain"));
        case "attr" -> attrs.add(next(args, ++i, "cookie attr"));
        case "maxidle" -> maxidle = Optional.of(duration(next(args, ++i, "cookie maxidle"), "maxidle", ChronoUnit.SECONDS));
        case "maxlife" -> maxlife = Optional.of(duration(next(args, ++i, "cookie maxlife"), "maxlife", ChronoUnit.SECONDS));
        default -> throw new Bad("'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'domain', 'maxidle', 'dynamic', 'maxlife' and 'attr' options.");
      }
    }
    p.cookie = Optional.of(new CookieSettings(args.get(0), mode, indirect, nocache, postonly, preserve, httponly,
        secure, domains, maxidle, maxlife, dynamic, attrs, at));
    if (dynamic) {
      parser.warning(at, "'cookie ... dynamic' is not supported yet; ignored: servers without a 'cookie' value get none");
    }
  }

  private void option(ProxyBuilder p, Location at, List<String> args, boolean negated) {
    if (args.isEmpty()) {
      throw new Bad("'option' expects an option name.");
    }
    String name = args.get(0);
    List<String> rest = args.subList(1, args.size());
    boolean bool = Keywords.BOOLEAN_OPTIONS.contains(name);
    if (!bool && !Keywords.OTHER_OPTIONS.contains(name)) {
      String hint = Suggestions.closest(name, Keywords.ALL_OPTIONS).map(s -> "; did you mean '" + s + "' maybe ?").orElse("");
      throw new Bad("unknown option '" + name + "'" + hint + ".");
    }
    if (negated && !bool) {
      throw new Bad("negation/default is not supported for option '" + name + "'.");
    }
    if (!p.isDefaults()) {
      boolean beOnly = Keywords.BACKEND_OPTIONS.contains(name);
      boolean feOnly = Keywords.FRONTEND_OPTIONS.contains(name);
      if (beOnly && !p.hasBackendCap() || feOnly && !p.hasFrontendCap()) {
        parser.warning(at, "'" + name + "' ignored because " + p.kind + " '" + p.name + "' has no "
            + (beOnly ? "backend" : "frontend") + " capability.");
        return;
      }
    }
    switch (name) {
      case "redispatch" -> {
        int every = -1;
        if (!rest.isEmpty()) {
          every = integer(rest.get(0), "option redispatch");
        }
        p.flags.put(name, !negated);
        p.redispatch = negated ? Optional.empty() : Optional.of(every);
      }
      case "forwardfor" -> {
        Optional<String> except = Optional.empty();
        String header = "X-Forwarded-For";
        boolean ifNone = false;
        for (int i = 0; i < rest.size(); i++) {
          switch (rest.get(i)) {
            case "except" -> except = Optional.of(next(rest, ++i, "option forwardfor except"));
            case "header" -> header = next(rest, ++i, "option forwardfor header");
            case "if-none" -> ifNone = true;
            default -> throw new Bad("'option forwardfor' only supports optional values 'except', 'header' and 'if-none'.");
          }
        }
        p.forwardFor = Optional.of(new ForwardFor(except, header, ifNone));
        p.flags.put(name, true);
      }
      case "httpchk" -> {
        HttpCheck.Request r = switch (rest.size()) {
          case 0 -> HttpCheck.Request.DEFAULT;
          case 1 -> new HttpCheck.Request("OPTIONS", rest.get(0), "HTTP/1.0", List.of(), Optional.empty());
          case 2 -> new HttpCheck.Request(rest.get(0), rest.get(1), "HTTP/1.0", List.of(), Optional.empty());
          default -> new HttpCheck.Request(rest.get(0), rest.get(1), rest.get(2), List.of(), Optional.empty());
        };
        if (rest.size() > 3) {
          throw new Bad("'option httpchk' accepts at most 3 arguments: [<method>] [<uri>] [<version>].");
        }
        if (r.version().contains("\r\n")) {
          parser.warning(at, "'option httpchk' : hiding headers or body at the end of the version string is deprecated. Please, consider to use 'http-check send' directive instead.");
        }
        p.httpchk = Optional.of(r);
        p.flags.put(name, true);
      }
      case "httplog" -> {
        if (!rest.isEmpty() && !rest.get(0).equals("clf")) {
          throw new Bad("'option httplog' only supports the 'clf' format.");
        }
        p.flags.put(name, true);
      }
      default -> {
        if (!rest.isEmpty() && bool) {
          throw new Bad("'option " + name + "' takes no argument.");
        }
        p.flags.put(name, !negated);
      }
    }
    if (!Keywords.OPTIONS_SUPPORTED.contains(name)) {
      unsupported(at, (negated ? "no " : "") + "option " + name);
    }
  }

  private void acl(ProxyBuilder p, Location at, List<String> args) {
    p.hasRules = p.hasRules || p.isDefaults();
    if (args.isEmpty()) {
      throw new Bad("'acl' expects an ACL name and a criterion.");
    }
    String name = args.get(0);
    if (name.isEmpty()) {
      throw new Bad("'acl' expects an ACL name.");
    }
    if (!Parser.NAME.matcher(name).matches()) {
      throw new Bad("character '" + name.replaceAll("[A-Za-z0-9_.:-]", "").charAt(0) + "' is not permitted in acl name '" + name + "'.");
    }
    if (args.size() < 2) {
      throw new Bad("error detected while parsing ACL '" + name + "' : missing fetch method in ACL expression ''.");
    }
    p.acls.add(conditions.aclBody(name, args.subList(1, args.size()), at));
    unsupported(at, "acl");
  }

  private void httpRule(ProxyBuilder p, Location at, List<String> args, HttpRule.Phase phase) {
    p.hasRules = p.hasRules || p.isDefaults();
    String kw = phase == HttpRule.Phase.REQUEST ? "http-request" : "http-response";
    Set<String> actions = phase == HttpRule.Phase.REQUEST ? Keywords.HTTP_REQUEST_ACTIONS : Keywords.HTTP_RESPONSE_ACTIONS;
    if (args.isEmpty()) {
      throw new Bad("'" + kw + "' expects an action.");
    }
    String action = args.get(0);
    String base = action.contains("(") ? action.substring(0, action.indexOf('(')) : action;
    if (!actions.contains(base) && !base.startsWith("lua.")) {
      String hint = Suggestions.closest(base, actions).map(s -> "; did you mean '" + s + "' maybe ?").orElse("");
      throw new Bad("'" + kw + "' unknown action '" + action + "'" + hint + ".");
    }
    int cond = conditionStart(args);
    List<String> actionArgs = cond < 0 ? args.subList(1, args.size()) : args.subList(1, cond);
    HttpAction typed = HttpActions.parse(phase, action, actionArgs, p.kind + " '" + p.name + "'", kw + " " + action);
    Optional<Condition> condition = cond < 0 ? Optional.empty()
        : Optional.of(conditions.parse(p, at, kw + " " + action, args.subList(cond, args.size())));
    HttpRule rule = new HttpRule(phase, action, actionArgs, typed, condition, at);
    (phase == HttpRule.Phase.REQUEST ? p.requestRules : p.responseRules).add(rule);
    boolean applied = phase == HttpRule.Phase.REQUEST
        ? Set.of("allow", "deny", "tarpit", "reject", "silent-drop", "return", "redirect", "set-header", "add-header",
            "del-header", "auth").contains(base)
        : Set.of("allow", "set-header", "add-header", "del-header").contains(base);
    if (base.equals("use-service") && phase == HttpRule.Phase.REQUEST) {
      applied = actionArgs.size() == 1 && actionArgs.get(0).equals("prometheus-exporter");
    }
    if (!applied) {
      unsupported(at, kw + " " + base);
    }
  }

  private void httpCheck(ProxyBuilder p, Location at, List<String> args) {
    if (args.isEmpty()) {
      throw new Bad("'http-check' expects 'comment', 'connect', 'disable-on-404', 'expect', 'send', 'send-state', 'set-var' or 'unset-var'.");
    }
    List<String> rest = args.subList(1, args.size());
    switch (args.get(0)) {
      case "send" -> {
        String method = "GET";
        String uri = "/";
        String version = "HTTP/1.0";
        List<HttpCheck.Header> headers = new ArrayList<>();
        Optional<String> body = Optional.empty();
        for (int i = 0; i < rest.size(); i++) {
          switch (rest.get(i)) {
            case "meth" -> method = next(rest, ++i, "http-check send meth");
            case "uri", "uri-lf" -> uri = next(rest, ++i, "http-check send uri");
            case "ver" -> version = next(rest, ++i, "http-check send ver");
            case "hdr" -> {
              String n = next(rest, ++i, "http-check send hdr");
              headers.add(new HttpCheck.Header(n, next(rest, ++i, "http-check send hdr " + n)));
            }
            case "body", "body-lf" -> body = Optional.of(next(rest, ++i, "http-check send body"));
            case "comment" -> next(rest, ++i, "http-check send comment");
            default -> throw new Bad("'http-check send' : unknown argument '" + rest.get(i) + "' (expects 'meth', 'uri', 'ver', 'hdr', 'body' or 'comment').");
          }
        }
        p.checkSend = Optional.of(new HttpCheck.Request(method, uri, version, headers, body));
      }
      case "expect" -> {
        int i = 0;
        while (i < rest.size() && Set.of("min-recv", "comment", "ok-status", "error-status", "tout-status",
            "on-success", "on-error", "status-code").contains(rest.get(i))) {
          i += 2;
        }
        boolean neg = i < rest.size() && rest.get(i).equals("!");
        if (neg) {
          i++;
        }
        if (i >= rest.size()) {
          throw new Bad("'http-check expect' expects a matching method.");
        }
        String kind = rest.get(i);
        if (!Set.of("status", "rstatus", "string", "rstring", "hdr", "fhdr", "custom").contains(kind)) {
          throw new Bad("'http-check expect' only supports 'status', 'rstatus', 'string', 'rstring', 'hdr' and 'fhdr' (got '" + kind + "').");
        }
        List<String> pattern = rest.subList(i + 1, rest.size());
        if (pattern.isEmpty()) {
          throw new Bad("'http-check expect " + kind + "' expects <pattern> as an argument.");
        }
        p.expects.add(new HttpCheck.Expect(neg, kind, String.join(" ", pattern)));
      }
      case "disable-on-404" -> p.disableOn404 = true;
      case "send-state" -> p.sendState = true;
      case "connect", "comment", "set-var", "unset-var" -> {
        // accepted; not modelled
      }
      default -> throw new Bad("'http-check' expects 'comment', 'connect', 'disable-on-404', 'expect', 'send', 'send-state', 'set-var' or 'unset-var' but got '" + args.get(0) + "'.");
    }
    if (!Set.of("send", "expect", "disable-on-404").contains(args.get(0))) {
      unsupported(at, "http-check " + args.get(0));
    }
  }

  private void stats(ProxyBuilder p, Location at, List<String> args) {
    if (args.isEmpty()) {
      throw new Bad("'stats' expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'.");
    }
    StatsSettings s = p.stats;
    List<String> rest = args.subList(1, args.size());
    s = switch (args.get(0)) {
      case "enable" -> new StatsSettings(true, s.uri(), s.realm(), s.credentials(), s.refresh(), s.admin(), s.hideVersion(), s.scope());
      case "uri" -> new StatsSettings(true, single(rest, "stats uri", "<uri>"), s.realm(), s.credentials(), s.refresh(), s.admin(), s.hideVersion(), s.scope());
      case "realm" -> new StatsSettings(true, s.uri(), String.join(" ", nonEmpty(rest, "stats realm")), s.credentials(), s.refresh(), s.admin(), s.hideVersion(), s.scope());
      case "auth" -> {
        String cred = single(rest, "stats auth", "<user>:<password>");
        if (!cred.contains(":")) {
          parser.warning(at, "'stats auth " + cred + "' has no ':': HAProxy takes it as user '" + cred + "' with an empty password");
          cred = cred + ":";
        }
        List<String> creds = new ArrayList<>(s.credentials());
        creds.add(cred);
        yield new StatsSettings(true, s.uri(), s.realm(), creds, s.refresh(), s.admin(), s.hideVersion(), s.scope());
      }
      case "refresh" -> new StatsSettings(true, s.uri(), s.realm(), s.credentials(),
          Optional.of(duration(single(rest, "stats refresh", "<delay>"), "stats refresh", ChronoUnit.SECONDS)), s.admin(), s.hideVersion(), s.scope());
      case "admin" -> {
        if (rest.isEmpty() || !(rest.get(0).equals("if") || rest.get(0).equals("unless"))) {
          throw new Bad("'stats admin' requires either 'if' or 'unless' followed by a condition.");
        }
        yield new StatsSettings(true, s.uri(), s.realm(), s.credentials(), s.refresh(),
            Optional.of(conditions.parse(p, at, "stats admin", rest)), s.hideVersion(), s.scope());
      }
      case "hide-version" -> new StatsSettings(true, s.uri(), s.realm(), s.credentials(), s.refresh(), s.admin(), true, s.scope());
      case "scope" -> {
        List<String> scope = new ArrayList<>(s.scope());
        scope.add(single(rest, "stats scope", "<proxy name>"));
        yield new StatsSettings(true, s.uri(), s.realm(), s.credentials(), s.refresh(), s.admin(), s.hideVersion(), scope);
      }
      case "show-legends", "show-node", "show-desc", "show-modules", "http-request" -> s;
      case "socket", "bind-process", "timeout", "maxconn" -> throw new Bad("'stats " + args.get(0) + "' is only allowed in 'global' section.");
      default -> throw new Bad("'stats' expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends' (got '" + args.get(0) + "').");
    };
    p.stats = s;
    if (!java.util.Set.of("enable", "uri", "realm", "auth", "refresh", "admin", "hide-version", "scope").contains(args.get(0))) {
      unsupported(at, "stats " + args.get(0));
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** The index of the first {@code if}/{@code unless} word, or -1. */
  static int conditionStart(List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).equals("if") || args.get(i).equals("unless")) {
        return i;
      }
    }
    return -1;
  }

  static String single(List<String> args, String keyword, String what) {
    if (args.size() != 1) {
      throw new Bad("'" + keyword + "' expects " + what + " as " + (args.isEmpty() ? "an argument" : "its only argument") + ".");
    }
    return args.get(0);
  }

  private static List<String> nonEmpty(List<String> args, String keyword) {
    if (args.isEmpty()) {
      throw new Bad("'" + keyword + "' expects an argument.");
    }
    return args;
  }

  private static void noMore(List<String> args, String keyword) {
    if (!args.isEmpty()) {
      throw new Bad("'" + keyword + "' takes no argument (got '" + args.get(0) + "').");
    }
  }

  static String next(List<String> args, int i, String what) {
    if (i >= args.size()) {
      throw new Bad("'" + what + "' expects an argument.");
    }
    return args.get(i);
  }

  static Duration duration(String text, String what, ChronoUnit bareUnit) {
    try {
      return Durations.parse(text, what, bareUnit);
    } catch (IllegalArgumentException e) {
      throw new Bad(e.getMessage());
    }
  }

  /** A number read as HAProxy's atol() reads it: leading digits, 0 when there are none (with a warning). */
  int lenientInt(Location at, String text, String what) {
    int i = text.startsWith("-") ? 1 : 0;
    while (i < text.length() && Character.isDigit(text.charAt(i))) {
      i++;
    }
    String digits = text.substring(0, i);
    if (i < text.length() || digits.isEmpty() || digits.equals("-")) {
      parser.warning(at, "'" + what + " " + text + "' is not a number: HAProxy reads it as "
          + (digits.isEmpty() || digits.equals("-") ? "0" : digits));
    }
    try {
      return digits.isEmpty() || digits.equals("-") ? 0 : Integer.parseInt(digits);
    } catch (NumberFormatException e) {
      throw new Bad("'" + what + "' value out of range (got '" + text + "').");
    }
  }

  static int integer(String text, String what) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new Bad("'" + what + "' expects an integer argument (got '" + text + "').");
    }
  }

  static int nonNegativeInt(String text, String what) {
    int n = integer(text, what);
    if (n < 0) {
      throw new Bad("'" + what + "' expects a positive integer argument (got '" + text + "').");
    }
    return n;
  }

  static int positive(String text, String what) {
    int n = integer(text, what);
    if (n <= 0) {
      throw new Bad("'" + what + "' expects a positive integer (got '" + text + "').");
    }
    return n;
  }

  static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}
