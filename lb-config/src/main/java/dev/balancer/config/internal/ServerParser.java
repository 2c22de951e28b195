package dev.balancer.config.internal;

import dev.balancer.config.Location;
import dev.balancer.config.internal.ProxyParser.Bad;
import dev.balancer.config.model.Server;
import dev.balancer.config.model.ServerSettings;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/** {@code server}, {@code default-server} and {@code server-template} lines. */
final class ServerParser {

  private final Parser parser;
  private final ProxyParser proxyParser;

  ServerParser(Parser parser, ProxyParser proxyParser) {
    this.parser = parser;
    this.proxyParser = proxyParser;
  }

  void server(ProxyBuilder p, Location at, List<String> args) {
    if (args.size() < 2) {
      throw new Bad("'server' expects <name> and <addr> as arguments.");
    }
    String name = args.get(0);
    String where = "'server " + p.name + "/" + name + "' : ";
    if (!Parser.NAME.matcher(name).matches()) {
      throw new Bad(where + "invalid server name '" + name + "'.");
    }
    for (Server s : p.servers) {
      if (s.name().equals(name)) {
        throw new Bad("backend '" + p.name + "', another server named '" + name + "' was already defined at line "
            + s.location().line() + ", please use distinct names.");
      }
    }
    HostPort hp = address(where, args.get(1));
    Options o = options(p, where, args.subList(2, args.size()), p.defaultServer, at);
    p.servers.add(new Server(name, hp.host(), port(where, hp), o.id.orElse(AUTO_ID), o.settings, at));
    p.explicitIds.add(o.id.isPresent());
  }

  void defaultServer(ProxyBuilder p, Location at, List<String> args) {
    p.defaultServer = options(p, "'default-server' : ", args, p.defaultServer, at).settings;
  }

  void template(ProxyBuilder p, Location at, List<String> args) {
    if (args.size() < 3) {
      throw new Bad("'server-template' expects <prefix> <nb | range> <addr>[:<port>] as arguments.");
    }
    String prefix = args.get(0);
    String range = args.get(1);
    int from;
    int to;
    try {
      int dash = range.indexOf('-');
      if (dash > 0) {
        from = Integer.parseInt(range.substring(0, dash));
        to = Integer.parseInt(range.substring(dash + 1));
      } else {
        from = 1;
        to = Integer.parseInt(range);
      }
    } catch (NumberFormatException e) {
      throw new Bad("'server-template " + prefix + "' : invalid range '" + range + "'.");
    }
    if (from < 1 || to < from) {
      throw new Bad("'server-template " + prefix + "' : invalid range '" + range + "'.");
    }
    String where = "'server-template " + p.name + "/" + prefix + "' : ";
    HostPort hp = address(where, args.get(2));
    int port = port(where, hp);
    Options o = options(p, where, args.subList(3, args.size()), p.defaultServer, at);
    if (o.id.isPresent() && to > from) {
      throw new Bad(where + "'id' cannot be given to a template of several servers.");
    }
    for (int i = from; i <= to; i++) {
      String name = prefix + i;
      if (p.servers.stream().anyMatch(s -> s.name().equals(name))) {
        throw new Bad("backend '" + p.name + "', another server named '" + name + "' was already defined, please use distinct names.");
      }
      p.servers.add(new Server(name, hp.host(), port, o.id.orElse(AUTO_ID), o.settings, at));
      p.explicitIds.add(o.id.isPresent());
    }
  }

  /** A placeholder until {@link #assignIds} runs, once every explicit id of the backend is known. */
  private static final int AUTO_ID = Integer.MAX_VALUE;

  /**
   * HAProxy's automatic server ids ({@code cfgparse.c}): in config order, a server without an id
   * takes the smallest unused id at or above a counter that advances after every server, explicit
   * ids included ({@code s1, s2 id 1, s3} gives 2, 1, 4).
   */
  static void assignIds(ProxyBuilder p) {
    Set<Integer> used = new HashSet<>();
    for (int i = 0; i < p.servers.size(); i++) {
      if (p.explicitIds.get(i)) {
        used.add(p.servers.get(i).id());
      }
    }
    int next = 1;
    for (int i = 0; i < p.servers.size(); i++) {
      if (!p.explicitIds.get(i)) {
        while (used.contains(next)) {
          next++;
        }
        Server s = p.servers.get(i);
        p.servers.set(i, new Server(s.name(), s.host(), s.port(), next, s.settings(), s.location()));
        used.add(next);
      }
      next++;
    }
  }

  private HostPort address(String where, String raw) {
    String text = parser.tokenizer().expandUnquoted(raw);
    HostPort hp = HostPort.parse(text);
    if (hp == null) {
      throw new Bad(where + "unsupported address '" + raw + "' (Balancer takes host:port, [ipv6]:port or ipv6@addr:port).");
    }
    return hp;
  }

  private static int port(String where, HostPort hp) {
    String p = hp.port();
    if (p.isEmpty() || p.startsWith("+") || p.startsWith("-")) {
      throw new Bad(where + "address '" + hp.host() + (p.isEmpty() ? "" : ":" + p) + "' has no fixed port; HAProxy would use the client's destination port, which Balancer does not support.");
    }
    int port;
    try {
      port = Integer.parseInt(p);
    } catch (NumberFormatException e) {
      throw new Bad(where + "invalid port '" + p + "'");
    }
    if (port == 0) {
      throw new Bad(where + "port 0 means the client's destination port in HAProxy, which Balancer does not support.");
    }
    if (port < 0 || port > 65535) {
      throw new Bad(where + "invalid port '" + p + "'");
    }
    return port;
  }

  private static final class Options {
    ServerSettings settings;
    OptionalInt id = OptionalInt.empty();
  }

  private Options options(ProxyBuilder p, String where, List<String> args, ServerSettings base, Location at) {
    ServerSettings.Builder b = base.toBuilder();
    Options o = new Options();
    for (int i = 0; i < args.size(); i++) {
      String opt = args.get(i);
      Integer arity = Keywords.SERVER_OPTIONS.get(opt);
      if (arity == null) {
        String hint = Suggestions.closest(opt, Keywords.SERVER_OPTIONS.keySet()).map(s -> "; did you mean '" + s + "' maybe ?").orElse("");
        throw new Bad(where + "unknown keyword '" + opt + "'" + hint);
      }
      if (arity > 0 && i + arity >= args.size()) {
        throw new Bad(where + "'" + opt + "' expects an argument.");
      }
      String v = arity > 0 ? args.get(i + 1) : null;
      switch (opt) {
        case "check" -> b.check(true);
        case "no-check" -> b.check(false);
        case "disabled" -> b.disabled(true);
        case "enabled" -> b.disabled(false);
        case "backup" -> b.backup(true);
        case "no-backup" -> b.backup(false);
        case "weight" -> {
          int w = proxyParser.lenientInt(at, v, "weight");
          if (w < 0 || w > ServerSettings.MAX_WEIGHT) {
            throw new Bad(where + "weight of server " + (where.contains("/") ? where.substring(where.indexOf('/') + 1, where.indexOf("' :")) : "") + " is not within 0 and 256 (" + w + ").");
          }
          b.weight(w);
        }
        case "inter" -> b.inter(positiveDuration(where, opt, v));
        case "fastinter" -> b.fastinter(Optional.of(positiveDuration(where, opt, v)));
        case "downinter" -> b.downinter(Optional.of(positiveDuration(where, opt, v)));
        case "rise" -> b.rise(positive(where, opt, v));
        case "fall" -> b.fall(positive(where, opt, v));
        case "port" -> {
          int port = integer(where, opt, v);
          if (port < 1 || port > 65535) {
            throw new Bad(where + "invalid port '" + v + "'.");
          }
          b.checkPort(OptionalInt.of(port));
        }
        case "addr" -> b.checkAddr(Optional.of(v));
        case "maxconn" -> b.maxconn(nonNegative(where, opt, v));
        case "maxqueue" -> b.maxqueue(nonNegative(where, opt, v));
        case "minconn" -> b.minconn(nonNegative(where, opt, v));
        case "slowstart" -> b.slowstart(Optional.of(ProxyParser.duration(v, "slowstart", ChronoUnit.MILLIS)));
        case "cookie" -> b.cookie(Optional.of(v));
        case "observe" -> b.observe(Optional.of(switch (v) {
          case "layer4" -> ServerSettings.Observe.LAYER4;
          case "layer7" -> ServerSettings.Observe.LAYER7;
          default -> throw new Bad(where + "'observe' expects one of 'none', 'layer4', 'layer7' but got '" + v + "'.");
        }));
        case "error-limit" -> b.errorLimit(positive(where, opt, v));
        case "on-error" -> b.onError(switch (v) {
          case "fastinter" -> ServerSettings.OnError.FASTINTER;
          case "fail-check" -> ServerSettings.OnError.FAIL_CHECK;
          case "sudden-death" -> ServerSettings.OnError.SUDDEN_DEATH;
          case "mark-down" -> ServerSettings.OnError.MARK_DOWN;
          default -> throw new Bad(where + "'on-error' expects one of 'fastinter', 'fail-check', 'sudden-death' or 'mark-down' but got '" + v + "'.");
        });
        case "on-marked-down" -> {
          if (!v.equals("shutdown-sessions")) {
            throw new Bad(where + "'on-marked-down' expects 'shutdown-sessions' but got '" + v + "'.");
          }
          b.shutdownSessionsOnDown(true);
        }
        case "on-marked-up" -> {
          if (!v.equals("shutdown-backup-sessions")) {
            throw new Bad(where + "'on-marked-up' expects 'shutdown-backup-sessions' but got '" + v + "'.");
          }
          b.shutdownBackupSessionsOnUp(true);
        }
        case "init-addr" -> {
          List<String> methods = List.of(v.split(","));
          for (String m : methods) {
            if (!Set.of("last", "libc", "none").contains(m) && HostPort.parse(m) == null) {
              throw new Bad(where + "'init-addr' : unknown method '" + m + "'.");
            }
          }
          b.initAddr(methods);
        }
        case "resolvers" -> b.resolvers(Optional.of(v));
        case "agent-check" -> b.agentCheck(true);
        case "no-agent-check" -> b.agentCheck(false);
        case "agent-port" -> b.agentPort(OptionalInt.of(positive(where, opt, v)));
        case "agent-inter" -> b.agentInter(positiveDuration(where, opt, v));
        case "agent-addr" -> b.agentAddr(Optional.of(v));
        case "agent-send" -> b.agentSend(Optional.of(v));
        case "track" -> b.track(Optional.of(v));
        case "ssl" -> b.ssl(true);
        case "no-ssl" -> b.ssl(false);
        case "send-proxy", "send-proxy-v2" -> b.sendProxy(true);
        case "no-send-proxy", "no-send-proxy-v2" -> b.sendProxy(false);
        case "id" -> {
          if (where.startsWith("'default-server")) {
            throw new Bad(where + "'id' is not allowed in 'default-server'.");
          }
          o.id = OptionalInt.of(positive(where, opt, v));
        }
        default -> {
          // known to HAProxy, not modelled
        }
      }
      if (!Keywords.SERVER_SUPPORTED.contains(opt)) {
        parser.warnOnce("server-option:" + p.name + ":" + opt, at, where + "option '" + opt + "' is not supported yet; ignored");
      }
      i += arity;
    }
    o.settings = b.build();
    if (o.settings.ssl() && !where.startsWith("'default-server")) {
      // ignoring it would send plain HTTP to a TLS port: every request would fail
      throw new Bad(where + "option 'ssl' is not supported yet: Balancer connects to servers in plain HTTP only");
    }
    return o;
  }

  private static int integer(String where, String opt, String v) {
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new Bad(where + "'" + opt + "' expects an integer argument (got '" + v + "').");
    }
  }

  private static int positive(String where, String opt, String v) {
    int n = integer(where, opt, v);
    if (n <= 0) {
      throw new Bad(where + "'" + opt + "' has to be > 0.");
    }
    return n;
  }

  private static int nonNegative(String where, String opt, String v) {
    int n = integer(where, opt, v);
    if (n < 0) {
      throw new Bad(where + "'" + opt + "' must be a positive integer (got '" + v + "').");
    }
    return n;
  }

  private static java.time.Duration positiveDuration(String where, String opt, String v) {
    java.time.Duration d = ProxyParser.duration(v, opt, ChronoUnit.MILLIS);
    if (d.isZero()) {
      throw new Bad(where + "invalid value 0 for argument '" + opt + "'.");
    }
    return d;
  }
}
