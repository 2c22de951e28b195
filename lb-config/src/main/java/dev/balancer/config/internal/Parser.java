package dev.balancer.config.internal;

import dev.balancer.config.Diagnostic;
import dev.balancer.config.LoadResult;
import dev.balancer.config.Location;
import dev.balancer.config.Severity;
import dev.balancer.config.model.Backend;
import dev.balancer.config.model.Balance;
import dev.balancer.config.model.Bind;
import dev.balancer.config.model.Config;
import dev.balancer.config.model.Frontend;
import dev.balancer.config.model.Server;
import dev.balancer.config.model.Timeouts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads one or more files as one HAProxy configuration. Feed it with {@link #parse}, then call
 * {@link #finish} once: it validates the whole model (references between sections, duplicate
 * names) and returns it with every diagnostic.
 */
public final class Parser {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]+");

  private final Tokenizer tokenizer;
  private final List<Diagnostic> diagnostics = new ArrayList<>();
  private final Map<String, Proxy> namedDefaults = new HashMap<>();
  private final List<Proxy> proxies = new ArrayList<>();
  private final Set<String> warnedOnce = new HashSet<>();

  private Proxy lastDefaults = Proxy.builtIn();
  private Proxy current;
  private String currentKind;
  private boolean sawSection;

  /** A parser that expands variables from the process environment. */
  public Parser() {
    this(System.getenv());
  }

  /** A parser that expands variables from the given map. */
  public Parser(Map<String, String> environment) {
    this.tokenizer = Tokenizer.withEnvironment(environment);
  }

  /** Records an error found outside the text (an unreadable file, say). */
  public void error(Location location, String message) {
    diagnostics.add(new Diagnostic(Severity.ERROR, location, message));
  }

  private void warning(Location location, String message) {
    diagnostics.add(new Diagnostic(Severity.WARNING, location, message));
  }

  /** Parses the text of one file; sections do not continue across files. */
  public void parse(String file, String text) {
    closeSection();
    sawSection = false;
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      Location at = new Location(file, i + 1);
      List<String> words;
      try {
        words = tokenizer.split(lines[i]);
      } catch (Tokenizer.TokenizeException e) {
        error(at, e.getMessage() + " at position " + (e.column + 1));
        continue;
      }
      if (!words.isEmpty()) {
        line(at, words);
      }
    }
    closeSection();
  }

  private void line(Location at, List<String> words) {
    String keyword = words.get(0);
    if (Keywords.SECTIONS.contains(keyword) || Keywords.IGNORED_SECTIONS.contains(keyword)) {
      openSection(at, keyword, words.subList(1, words.size()));
      return;
    }
    if (!sawSection) {
      error(at, "unknown keyword '" + keyword + "' out of section");
      return;
    }
    switch (currentKind) {
      case "global" -> globalKeyword(at, keyword);
      case "defaults", "frontend", "backend", "listen" -> {
        if (current != null) {
          proxyKeyword(at, keyword, words.subList(1, words.size()));
        }
      }
      default -> {
        // an ignored section: its content was reported once, when it opened
      }
    }
  }

  private void openSection(Location at, String kind, List<String> args) {
    closeSection();
    sawSection = true;
    currentKind = kind;
    if (kind.equals("global")) {
      return;
    }
    if (Keywords.IGNORED_SECTIONS.contains(kind)) {
      warning(at, "'" + kind + "' sections are not supported yet; this one is ignored");
      return;
    }
    boolean defaults = kind.equals("defaults");
    String name = "";
    int i = 0;
    if (!args.isEmpty() && !args.get(0).equals("from")) {
      name = args.get(i++);
    }
    if (!defaults && name.isEmpty()) {
      error(at, "'" + kind + "' expects a name");
      name = "<unnamed@" + at.line() + ">";
    } else if (!name.isEmpty() && !NAME.matcher(name).matches()) {
      error(at, "invalid name '" + name + "' for '" + kind + "': only letters, digits, '-', '_', '.' and ':' are allowed");
    }
    Proxy base = lastDefaults;
    if (i < args.size() && args.get(i).equals("from")) {
      if (i + 1 >= args.size()) {
        error(at, "'from' expects the name of a defaults section");
      } else {
        String from = args.get(i + 1);
        Proxy named = namedDefaults.get(from);
        if (named == null) {
          error(at, "defaults section '" + from + "' not found for " + kind + " '" + name + "'");
        } else {
          base = named;
        }
        i += 2;
      }
    }
    if (i < args.size()) {
      error(at, "unexpected argument '" + args.get(i) + "' after the name of " + kind + " '" + name + "'");
    }
    // every defaults section starts again from the built-in defaults, unless it says 'from'
    Proxy start = defaults && !(args.contains("from")) ? Proxy.builtIn() : base;
    current = start.copyAs(kind, name, at);
  }

  private void closeSection() {
    if (current != null) {
      if (current.kind.equals("defaults")) {
        lastDefaults = current;
        if (!current.name.isEmpty()) {
          namedDefaults.put(current.name, current);
        }
      } else {
        proxies.add(current);
      }
    }
    current = null;
    currentKind = null;
  }

  private void globalKeyword(Location at, String keyword) {
    if (Keywords.isGlobalKeyword(keyword)) {
      warning(at, "global keyword '" + keyword + "' is not supported yet; ignored");
    } else {
      unknown(at, keyword, "'global' section", Keywords.GLOBAL);
    }
  }

  private void unknown(Location at, String keyword, String where, Set<String> known) {
    String hint = Suggestions.closest(keyword, known).map(s -> " (did you mean '" + s + "'?)").orElse("");
    error(at, "unknown keyword '" + keyword + "' in " + where + hint);
  }

  private void proxyKeyword(Location at, String keyword, List<String> args) {
    Proxy p = current;
    switch (keyword) {
      case "mode" -> {
        if (args.size() != 1) {
          error(at, "'mode' expects one of 'http', 'tcp' or 'health'");
        } else if (args.get(0).equals("http")) {
          p.mode = Optional.of("http");
        } else if (args.get(0).equals("tcp") || args.get(0).equals("health")) {
          p.mode = Optional.of(args.get(0));
          error(at, "'mode " + args.get(0) + "' is not supported: Balancer proxies HTTP only (use 'mode http')");
        } else {
          error(at, "unknown proxy mode '" + args.get(0) + "'");
        }
      }
      case "bind" -> {
        if (allowed(at, keyword, "frontend", "listen")) {
          bind(at, args);
        }
      }
      case "default_backend" -> {
        if (allowed(at, keyword, "defaults", "frontend", "listen")) {
          if (args.size() != 1) {
            error(at, "'default_backend' expects a backend name");
          } else {
            p.defaultBackend = Optional.of(new Ref(args.get(0), at));
          }
        }
      }
      case "balance" -> {
        if (allowed(at, keyword, "defaults", "backend", "listen")) {
          balance(at, args);
        }
      }
      case "timeout" -> timeout(at, args);
      case "server" -> {
        if (allowed(at, keyword, "backend", "listen")) {
          server(at, args);
        }
      }
      default -> {
        if (Keywords.PROXY.contains(keyword)) {
          warning(at, "'" + keyword + "' is not supported yet; ignored");
        } else {
          unknown(at, keyword, "'" + p.kind + "' section", Keywords.PROXY);
        }
      }
    }
  }

  private boolean allowed(Location at, String keyword, String... kinds) {
    for (String k : kinds) {
      if (k.equals(current.kind)) {
        return true;
      }
    }
    error(at, "'" + keyword + "' is not allowed in a '" + current.kind + "' section");
    return false;
  }

  private void balance(Location at, List<String> args) {
    if (args.isEmpty()) {
      error(at, "'balance' expects an algorithm");
      return;
    }
    String algo = args.get(0);
    String bare = algo.contains("(") ? algo.substring(0, algo.indexOf('(')) : algo;
    if (algo.equals("roundrobin")) {
      current.balance = Balance.ROUND_ROBIN;
      if (args.size() > 1) {
        error(at, "'balance roundrobin' takes no argument, found '" + args.get(1) + "'");
      }
    } else if (Keywords.BALANCE_ALGORITHMS.contains(bare)) {
      warning(at, "'balance " + algo + "' is not supported yet; using 'roundrobin'");
      current.balance = Balance.ROUND_ROBIN;
    } else {
      String hint = Suggestions.closest(bare, Keywords.BALANCE_ALGORITHMS)
          .map(s -> " (did you mean '" + s + "'?)").orElse("");
      error(at, "unknown balance algorithm '" + algo + "'" + hint);
    }
  }

  private void timeout(Location at, List<String> args) {
    if (args.isEmpty() || !Keywords.TIMEOUTS.contains(args.get(0))) {
      String what = args.isEmpty() ? "" : " '" + args.get(0) + "'";
      String hint = args.isEmpty() ? "" : Suggestions.closest(args.get(0), Keywords.TIMEOUTS)
          .map(s -> " (did you mean '" + s + "'?)").orElse("");
      error(at, "unknown timeout" + what + hint + "; expects one of " + String.join(", ", Keywords.TIMEOUTS.stream().sorted().toList()));
      return;
    }
    String name = args.get(0);
    if (args.size() != 2) {
      error(at, "'timeout " + name + "' expects one time value");
      return;
    }
    Duration d;
    try {
      d = Durations.parse(args.get(1), "timeout " + name);
    } catch (IllegalArgumentException e) {
      error(at, e.getMessage());
      return;
    }
    Timeouts t = current.timeouts;
    switch (name) {
      case "connect" -> current.timeouts = t.withConnect(d);
      case "client" -> current.timeouts = t.withClient(d);
      case "server" -> current.timeouts = t.withServer(d);
      default -> warning(at, "'timeout " + name + "' is not supported yet; ignored");
    }
  }

  private void bind(Location at, List<String> args) {
    if (args.isEmpty()) {
      error(at, "'bind' expects [address]:port");
      return;
    }
    for (String part : args.get(0).split(",", -1)) {
      parseBindAddress(at, part);
    }
    for (int i = 1; i < args.size(); i++) {
      String opt = args.get(i);
      Integer arity = Keywords.BIND_OPTIONS.get(opt);
      if (arity == null) {
        String hint = Suggestions.closest(opt, Keywords.BIND_OPTIONS.keySet())
            .map(s -> " (did you mean '" + s + "'?)").orElse("");
        error(at, "unknown keyword '" + opt + "' in bind '" + args.get(0) + "'" + hint);
        return;
      }
      if (arity > 0 && i + arity >= args.size()) {
        error(at, "bind option '" + opt + "' expects an argument");
        return;
      }
      if (opt.equals("ssl")) {
        error(at, "bind option 'ssl' is not supported yet: Balancer serves plain HTTP only");
      } else {
        warning(at, "bind option '" + opt + "' is not supported yet; ignored");
      }
      i += arity;
    }
  }

  private void parseBindAddress(Location at, String text) {
    HostPort hp = HostPort.parse(text);
    if (hp == null || hp.port.isEmpty()) {
      error(at, "invalid bind address '" + text + "': expects [address]:port");
      return;
    }
    String host = hp.host.equals("*") ? "" : hp.host;
    String portSpec = hp.port;
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
      error(at, "invalid port '" + portSpec + "' in bind address '" + text + "'");
      return;
    }
    if (from < 0 || to > 65535 || from > to) {
      error(at, "invalid port range '" + portSpec + "' in bind address '" + text + "'");
      return;
    }
    for (int port = from; port <= to; port++) {
      current.binds.add(new Bind(host, port, at));
    }
  }

  private void server(Location at, List<String> args) {
    if (args.size() < 2) {
      error(at, "'server' expects <name> and <address>[:port]");
      return;
    }
    String name = args.get(0);
    String where = "'server " + current.name + "/" + name + "'";
    if (!NAME.matcher(name).matches()) {
      error(at, where + " : invalid server name");
      return;
    }
    HostPort hp = HostPort.parse(args.get(1));
    int port = 0;
    if (hp == null) {
      error(at, where + " : unsupported address '" + args.get(1) + "' (expects host:port, [ipv6]:port or ipv6@addr:port)");
    } else if (hp.port.isEmpty() || hp.port.startsWith("+") || hp.port.startsWith("-")) {
      error(at, where + " : address '" + args.get(1) + "' has no fixed port; HAProxy would use the client's destination port, which Balancer does not support");
    } else {
      try {
        port = Integer.parseInt(hp.port);
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 1 || port > 65535) {
        error(at, where + " : invalid port '" + hp.port + "'");
      }
    }
    int weight = Server.DEFAULT_WEIGHT;
    boolean check = false;
    boolean disabled = false;
    for (int i = 2; i < args.size(); i++) {
      String opt = args.get(i);
      Integer arity = Keywords.SERVER_OPTIONS.get(opt);
      if (arity == null) {
        String hint = Suggestions.closest(opt, Keywords.SERVER_OPTIONS.keySet())
            .map(s -> " (did you mean '" + s + "'?)").orElse("");
        error(at, where + " : unknown keyword '" + opt + "'" + hint);
        return;
      }
      if (arity > 0 && i + arity >= args.size()) {
        error(at, where + " : '" + opt + "' expects an argument");
        return;
      }
      switch (opt) {
        case "check" -> check = true;
        case "no-check" -> check = false;
        case "disabled" -> disabled = true;
        case "enabled" -> disabled = false;
        case "weight" -> {
          String w = args.get(i + 1);
          try {
            weight = Integer.parseInt(w);
          } catch (NumberFormatException e) {
            error(at, where + " : invalid weight '" + w + "': expects an integer between 0 and 256");
            return;
          }
          if (weight < 0 || weight > Server.MAX_WEIGHT) {
            error(at, where + " : weight of server " + name + " is not within 0 and 256 (" + weight + ")");
            return;
          }
        }
        default -> warning(at, where + " : option '" + opt + "' is not supported yet; ignored");
      }
      i += arity;
    }
    if (check && warnedOnce.add("check")) {
      warning(at, where + " : health checks ('check') are not implemented yet: servers are always considered up");
    }
    for (Server s : current.servers) {
      if (s.name().equals(name)) {
        error(at, where + " : another server named '" + name + "' was already defined at " + s.location());
        return;
      }
    }
    if (hp != null && port >= 1 && port <= 65535) {
      current.servers.add(new Server(name, hp.host, port, weight, check, disabled, at));
    }
  }

  /** Validates references and names across the whole configuration, then builds the model. */
  public LoadResult finish() {
    closeSection();
    Map<String, Proxy> frontends = new LinkedHashMap<>();
    Map<String, Proxy> backends = new LinkedHashMap<>();
    for (Proxy p : proxies) {
      boolean fe = p.kind.equals("frontend") || p.kind.equals("listen");
      boolean be = p.kind.equals("backend") || p.kind.equals("listen");
      if (fe) {
        Proxy other = frontends.putIfAbsent(p.name, p);
        if (other != null) {
          error(p.location, "a frontend or listen section named '" + p.name + "' was already defined at " + other.location);
        }
      }
      if (be) {
        Proxy other = backends.putIfAbsent(p.name, p);
        if (other != null) {
          error(p.location, "a backend or listen section named '" + p.name + "' was already defined at " + other.location);
        }
      }
      if (p.mode.isEmpty()) {
        warning(p.location, p.kind + " '" + p.name + "' sets no 'mode': HAProxy would run it in 'mode tcp'; Balancer proxies it as 'mode http'");
      }
    }
    List<Frontend> fes = new ArrayList<>();
    for (Proxy p : frontends.values()) {
      Optional<String> target = p.defaultBackend.map(r -> r.name);
      if (p.kind.equals("listen")) {
        target = Optional.of(p.name);
      } else if (p.defaultBackend.isPresent() && !backends.containsKey(p.defaultBackend.get().name)) {
        Ref r = p.defaultBackend.get();
        error(r.location, "Proxy '" + p.name + "': unable to find required default_backend: '" + r.name + "'");
      }
      if (p.binds.isEmpty()) {
        warning(p.location, "Proxy '" + p.name + "' has no 'bind' directive. Please declare it as a backend if this was intended.");
      }
      if (p.timeouts.client().isEmpty()) {
        warning(p.location, "missing timeouts for " + p.kind + " '" + p.name + "': 'timeout client' is not set; client connections may stay open for ever");
      }
      fes.add(new Frontend(p.name, p.location, p.binds, target, p.timeouts));
    }
    List<Backend> bes = new ArrayList<>();
    for (Proxy p : backends.values()) {
      if (p.timeouts.connect().isEmpty() || p.timeouts.server().isEmpty()) {
        warning(p.location, "missing timeouts for " + p.kind + " '" + p.name + "': 'timeout connect' and 'timeout server' should be set");
      }
      bes.add(new Backend(p.name, p.location, p.balance, p.timeouts, p.servers));
    }
    List<Diagnostic> sorted = new ArrayList<>(diagnostics);
    // stable: keeps the order of discovery within a line, files in the order read
    List<String> fileOrder = diagnostics.stream().map(d -> d.location().file()).distinct().toList();
    sorted.sort(Comparator.comparing((Diagnostic d) -> fileOrder.indexOf(d.location().file()))
        .thenComparingInt(d -> d.location().line()));
    boolean errors = sorted.stream().anyMatch(Diagnostic::isError);
    return new LoadResult(errors ? Optional.empty() : Optional.of(new Config(fes, bes)), sorted);
  }

  private record Ref(String name, Location location) {}

  /** The settings of a proxy or defaults section while it is being read. */
  private static final class Proxy {
    String kind;
    String name;
    Location location;
    Optional<String> mode = Optional.empty();
    Balance balance = Balance.ROUND_ROBIN;
    Timeouts timeouts = Timeouts.NONE;
    Optional<Ref> defaultBackend = Optional.empty();
    final List<Bind> binds = new ArrayList<>();
    final List<Server> servers = new ArrayList<>();

    static Proxy builtIn() {
      Proxy p = new Proxy();
      p.kind = "defaults";
      p.name = "";
      p.location = Location.UNKNOWN;
      return p;
    }

    /** A new section that inherits what a defaults section may carry. */
    Proxy copyAs(String kind, String name, Location location) {
      Proxy p = new Proxy();
      p.kind = kind;
      p.name = name;
      p.location = location;
      p.mode = mode;
      p.balance = balance;
      p.timeouts = timeouts;
      p.defaultBackend = kind.equals("backend") ? Optional.empty() : defaultBackend;
      return p;
    }
  }

  /** {@code host:port}, {@code [v6]:port}, {@code ipv6@v6:port}, {@code ipv4@host:port}. */
  private record HostPort(String host, String port) {
    static HostPort parse(String text) {
      String t = text;
      if (t.startsWith("ipv4@")) {
        t = t.substring(5);
      } else if (t.startsWith("ipv6@")) {
        t = t.substring(5);
        int colon = t.lastIndexOf(':');
        return colon < 0 ? new HostPort(t, "") : new HostPort(t.substring(0, colon), t.substring(colon + 1));
      } else if (t.contains("@")) {
        return null;
      }
      if (t.startsWith("[")) {
        int close = t.indexOf(']');
        if (close < 0) {
          return null;
        }
        String host = t.substring(1, close);
        String rest = t.substring(close + 1);
        if (rest.isEmpty()) {
          return new HostPort(host, "");
        }
        return rest.startsWith(":") ? new HostPort(host, rest.substring(1)) : null;
      }
      int colon = t.lastIndexOf(':');
      if (colon < 0) {
        return new HostPort(t, "");
      }
      if (t.indexOf(':') != colon) {
        // a bare IPv6 address with no port, as HAProxy reads it
        return new HostPort(t, "");
      }
      return new HostPort(t.substring(0, colon), t.substring(colon + 1));
    }
  }
}
