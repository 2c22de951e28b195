package dev.balancer.config.internal;

import dev.balancer.config.Diagnostic;
import dev.balancer.config.LoadResult;
import dev.balancer.config.Location;
import dev.balancer.config.Severity;
import dev.balancer.config.internal.Keywords.ProxyKeyword;
import dev.balancer.config.internal.ProxyBuilder.Ref;
import dev.balancer.config.model.Backend;
import dev.balancer.config.model.Config;
import dev.balancer.config.model.Frontend;
import dev.balancer.config.model.Global;
import dev.balancer.config.model.Server;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads one or more files as one HAProxy configuration. Feed it with {@link #parse}, then call
 * {@link #finish} once: it validates the whole model (references between sections, duplicate
 * names) and returns it with every diagnostic.
 *
 * <p>The proxy keywords themselves are read by {@link ProxyParser}; this class handles lines,
 * conditional blocks, sections, the {@code global} section and cross-section validation.
 */
public final class Parser {

  static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]+");

  private final Map<String, String> environment;
  private final Tokenizer tokenizer;
  private final List<Diagnostic> diagnostics = new ArrayList<>();
  private final Map<String, ProxyBuilder> namedDefaults = new HashMap<>();
  private final List<ProxyBuilder> proxies = new ArrayList<>();
  private final Set<String> warnedOnce = new HashSet<>();
  private final Deque<Block> blocks = new ArrayDeque<>();
  private final ProxyParser proxyParser = new ProxyParser(this);

  private ProxyBuilder lastDefaults = ProxyBuilder.builtIn();
  private ProxyBuilder current;
  private String currentKind;
  private String currentSectionName = "";
  private boolean sawSection;
  private String file = "";
  private int lineNumber;

  private OptionalInt globalMaxconn = OptionalInt.empty();
  private OptionalInt globalNbthread = OptionalInt.empty();
  private Optional<Duration> hardStopAfter = Optional.empty();
  private Optional<String> serverStateFile = Optional.empty();

  /** An open {@code .if} block. */
  private static final class Block {
    final Location opened;
    final boolean parentActive;
    boolean active;
    boolean taken;
    boolean sawElse;

    Block(Location opened, boolean parentActive, boolean condition) {
      this.opened = opened;
      this.parentActive = parentActive;
      this.active = parentActive && condition;
      this.taken = condition;
    }
  }

  /** A parser that expands variables from the process environment. */
  public Parser() {
    this(System.getenv());
  }

  /** A parser that expands variables from the given map. */
  public Parser(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
    this.tokenizer = new Tokenizer(this::variable);
  }

  private String variable(String name) {
    return switch (name) {
      case ".FILE" -> file;
      case ".LINE" -> String.valueOf(lineNumber);
      case ".SECTION" -> currentSectionName;
      default -> environment.get(name);
    };
  }

  Tokenizer tokenizer() {
    return tokenizer;
  }

  /** Parses one text and finishes: a convenience for tests and tools. */
  public LoadResult run(String fileName, String text) {
    parse(fileName, text);
    return finish();
  }

  /** Records an error. */
  public void error(Location location, String message) {
    diagnostics.add(new Diagnostic(Severity.ERROR, location, message));
  }

  void warning(Location location, String message) {
    diagnostics.add(new Diagnostic(Severity.WARNING, location, message));
  }

  /** A warning printed once per key (the same unsupported option on many servers, say). */
  void warnOnce(String key, Location location, String message) {
    if (warnedOnce.add(key)) {
      warning(location, message);
    }
  }

  /** Parses the text of one file; sections do not continue across files. */
  public void parse(String fileName, String text) {
    closeSection();
    sawSection = false;
    file = fileName;
    String[] lines = text.split("\n", -1);
    int depth = blocks.size();
    for (int i = 0; i < lines.length; i++) {
      lineNumber = i + 1;
      Location at = new Location(fileName, lineNumber);
      List<String> words;
      try {
        words = tokenizer.split(lines[i]);
      } catch (Tokenizer.TokenizeException e) {
        if (active()) {
          error(at, e.getMessage() + " at position " + (e.column + 1) + ": " + lines[i].strip());
        }
        continue;
      }
      if (!words.isEmpty()) {
        line(at, words);
      }
    }
    int last = Math.max(1, lines.length - (text.endsWith("\n") ? 1 : 0));
    while (blocks.size() > depth) {
      Block b = blocks.pop();
      error(new Location(fileName, last), "non-terminated '.if' block (opened at line " + b.opened.line() + ").");
    }
    closeSection();
  }

  private boolean active() {
    return blocks.isEmpty() || blocks.peek().active;
  }

  /** A {@code userlist} being read. */
  private static final class UserlistBuilder {
    final String name;
    final Location at;
    final java.util.Map<String, String[]> users = new java.util.LinkedHashMap<>();
    final java.util.Map<String, java.util.List<String>> groups = new java.util.LinkedHashMap<>();

    UserlistBuilder(String name, Location at) {
      this.name = name;
      this.at = at;
    }

    dev.balancer.config.model.Userlist build() {
      java.util.Map<String, dev.balancer.config.model.Userlist.User> out = new java.util.LinkedHashMap<>();
      users.forEach((user, u) -> {
        java.util.List<String> gs = new ArrayList<>(u[2].isEmpty() ? List.of() : List.of(u[2].split(",")));
        groups.forEach((g, members) -> {
          if (members.contains(user) && !gs.contains(g)) {
            gs.add(g);
          }
        });
        out.put(user, new dev.balancer.config.model.Userlist.User(user, u[0], u[1].equals("insecure"), gs));
      });
      return new dev.balancer.config.model.Userlist(name, out, at);
    }
  }

  private final List<UserlistBuilder> userlists = new ArrayList<>();
  private UserlistBuilder currentUserlist;

  /** {@code user NAME password|insecure-password P [groups G,...]} and {@code group NAME [users U,...]}. */
  private void userlistKeyword(Location at, String keyword, List<String> args) {
    if (currentUserlist == null) {
      return;
    }
    switch (keyword) {
      case "user" -> {
        if (args.isEmpty()) {
          error(at, "'user' expects <name> as an argument.");
          return;
        }
        String password = null;
        String kind = "";
        String groups = "";
        for (int i = 1; i + 1 < args.size(); i += 2) {
          switch (args.get(i)) {
            case "password" -> {
              password = args.get(i + 1);
              kind = "hash";
            }
            case "insecure-password" -> {
              password = args.get(i + 1);
              kind = "insecure";
            }
            case "groups" -> groups = args.get(i + 1);
            default -> {
              error(at, "'user' only supports 'password', 'insecure-password' and 'groups' options (got '" + args.get(i) + "').");
              return;
            }
          }
        }
        if (password == null) {
          warning(at, "user '" + args.get(0) + "' has no password: it cannot authenticate");
          password = "";
          kind = "none";
        }
        currentUserlist.users.put(args.get(0), new String[] {password, kind, groups});
      }
      case "group" -> {
        if (args.isEmpty()) {
          error(at, "'group' expects <name> as an argument.");
          return;
        }
        java.util.List<String> members = new ArrayList<>();
        if (args.size() >= 3 && args.get(1).equals("users")) {
          members.addAll(List.of(args.get(2).split(",")));
        }
        currentUserlist.groups.put(args.get(0), members);
      }
      default -> error(at, "'" + keyword + "' is not a valid keyword in a userlist section (expecting 'user' or 'group').");
    }
  }

  private void line(Location at, List<String> words) {
    String keyword = words.get(0);
    List<String> args = words.subList(1, words.size());
    if (keyword.startsWith(".") && directive(at, keyword, args)) {
      return;
    }
    if (!active()) {
      return;
    }
    if (Keywords.SECTIONS.contains(keyword) || Keywords.IGNORED_SECTIONS.contains(keyword)) {
      openSection(at, keyword, args);
      return;
    }
    if (!sawSection) {
      error(at, "unknown keyword '" + keyword + "' out of section.");
      return;
    }
    switch (currentKind) {
      case "global" -> globalKeyword(at, keyword, args);
      case "userlist" -> userlistKeyword(at, keyword, args);
      case "defaults", "frontend", "backend", "listen" -> {
        if (current != null) {
          proxyParser.keyword(current, at, keyword, args);
        }
      }
      default -> {
        // the content of a section we do not use was reported once, when it opened
      }
    }
  }

  /** Handles {@code .if} and friends; returns false for a word that is not a directive. */
  private boolean directive(Location at, String keyword, List<String> args) {
    switch (keyword) {
      case ".if" -> blocks.push(new Block(at, active(), active() && condition(at, args)));
      case ".elif" -> {
        Block b = blocks.peek();
        if (b == null || b.sawElse) {
          error(at, "'.elif' without a matching '.if'");
          return true;
        }
        boolean c = !b.taken && b.parentActive && condition(at, args);
        b.active = b.parentActive && c;
        b.taken |= c;
      }
      case ".else" -> {
        Block b = blocks.peek();
        if (b == null || b.sawElse) {
          error(at, "'.else' without a matching '.if'");
          return true;
        }
        b.sawElse = true;
        b.active = b.parentActive && !b.taken;
        b.taken = true;
      }
      case ".endif" -> {
        if (blocks.isEmpty()) {
          error(at, "'.endif' without a matching '.if'");
        } else {
          blocks.pop();
        }
      }
      case ".notice" -> {
        if (active()) {
          diagnostics.add(new Diagnostic(Severity.NOTICE, at, String.join(" ", args)));
        }
      }
      case ".warning" -> {
        if (active()) {
          warning(at, String.join(" ", args));
        }
      }
      case ".alert" -> {
        if (active()) {
          error(at, String.join(" ", args));
        }
      }
      case ".diag" -> {
        // printed by HAProxy only with -dD: nothing to report
      }
      default -> {
        if (active()) {
          error(at, "unknown directive '" + keyword + "'");
        }
      }
    }
    return true;
  }

  private boolean condition(Location at, List<String> args) {
    try {
      return CondExpr.evaluate(args, environment::containsKey);
    } catch (IllegalArgumentException e) {
      error(at, "failed to evaluate condition: " + e.getMessage());
      return false;
    }
  }

  private void openSection(Location at, String kind, List<String> args) {
    closeSection();
    sawSection = true;
    currentKind = kind;
    currentSectionName = kind;
    if (kind.equals("global")) {
      return;
    }
    if (kind.equals("userlist")) {
      if (args.isEmpty()) {
        error(at, "'userlist' expects <name> as an argument.");
        currentUserlist = null;
      } else {
        currentUserlist = new UserlistBuilder(args.get(0), at);
        userlists.add(currentUserlist);
      }
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
      error(at, "'" + kind + "' expects <name> as an argument.");
      name = "<unnamed@" + at.line() + ">";
    } else if (!name.isEmpty() && !NAME.matcher(name).matches()) {
      error(at, "character '" + firstBadChar(name) + "' is not permitted in '" + kind + "' name '" + name + "'.");
    }
    currentSectionName = name;
    ProxyBuilder base = lastDefaults;
    boolean from = false;
    if (i < args.size() && args.get(i).equals("from")) {
      from = true;
      if (i + 1 >= args.size()) {
        error(at, "'from' expects the name of a defaults section");
      } else {
        String fromName = args.get(i + 1);
        ProxyBuilder named = namedDefaults.get(fromName);
        if (named == null) {
          error(at, "defaults section '" + fromName + "' not found for " + kind + " '" + name + "'.");
        } else {
          base = named;
          if (named.hasRules && defaults) {
            error(at, "a defaults section cannot inherit from a defaults section defining TCP/HTTP rules (defaults section at " + named.location + ").");
          }
        }
        i += 2;
      }
    }
    if (i < args.size()) {
      error(at, "unexpected argument '" + args.get(i) + "' after the name of " + kind + " '" + name + "'");
    }
    if (!defaults && base.hasRules) {
      // HAProxy: rules in defaults may serve frontends or backends, not both, and never a listen
      if (kind.equals("listen")) {
        error(at, "a listen section cannot inherit from a defaults section defining TCP/HTTP rules.");
      } else if (kind.equals("frontend") ? base.usedByBackend : base.usedByFrontend) {
        error(at, "frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules (defaults section at " + base.location + ").");
      }
      base.usedByFrontend |= kind.equals("frontend");
      base.usedByBackend |= kind.equals("backend");
    }
    // every defaults section starts again from the built-in defaults, unless it says 'from'
    ProxyBuilder start = defaults && !from ? ProxyBuilder.builtIn() : base;
    current = start.copyAs(kind, name, at);
    current.hasRules = defaults && start.hasRules;
  }

  private static char firstBadChar(String name) {
    for (char c : name.toCharArray()) {
      if (!NAME.matcher(String.valueOf(c)).matches()) {
        return c;
      }
    }
    return '?';
  }

  private void closeSection() {
    if (current != null) {
      if (current.isDefaults()) {
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

  private void globalKeyword(Location at, String keyword, List<String> args) {
    if (!Keywords.isGlobalKeyword(keyword)) {
      String hint = Suggestions.closest(keyword, Keywords.GLOBAL).map(s -> "; did you mean '" + s + "' maybe ?").orElse("");
      error(at, "unknown keyword '" + keyword + "' in 'global' section" + hint);
      return;
    }
    try {
      switch (keyword) {
        case "maxconn" -> globalMaxconn = OptionalInt.of(positiveInt(args, keyword));
        case "nbthread" -> globalNbthread = OptionalInt.of(positiveInt(args, keyword));
        case "hard-stop-after" -> hardStopAfter = Optional.of(Durations.parse(arg(args, keyword), keyword));
        case "server-state-file" -> serverStateFile = Optional.of(arg(args, keyword));
        default -> {
          // known to HAProxy, not read here
        }
      }
    } catch (IllegalArgumentException e) {
      error(at, e.getMessage());
      return;
    }
    if (!Keywords.GLOBAL_SUPPORTED.contains(keyword)) {
      warning(at, "global keyword '" + keyword + "' is not supported yet; ignored");
    }
  }

  private static String arg(List<String> args, String keyword) {
    if (args.isEmpty()) {
      throw new IllegalArgumentException("'" + keyword + "' expects an argument.");
    }
    return args.get(0);
  }

  private static int positiveInt(List<String> args, String keyword) {
    String v = arg(args, keyword);
    try {
      int n = Integer.parseInt(v);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IllegalArgumentException("'" + keyword + "' expects a positive integer, not '" + v + "'.");
  }

  /** Validates references and names across the whole configuration, then builds the model. */
  public LoadResult finish() {
    closeSection();
    Map<String, ProxyBuilder> frontends = new LinkedHashMap<>();
    Map<String, ProxyBuilder> backends = new LinkedHashMap<>();
    for (ProxyBuilder p : proxies) {
      // HAProxy 2.6 compares a new frontend or listen with the proxies that can accept, and a new
      // backend with those that can serve (so 'backend x' then 'listen x' passes, the reverse fails)
      boolean fe = p.hasFrontendCap();
      ProxyBuilder other = fe ? frontends.get(p.name) : backends.get(p.name);
      if (other != null) {
        error(p.location, display(p) + " has the same name as " + display(other) + " declared at " + other.location + ".");
        continue;
      }
      if (fe) {
        frontends.put(p.name, p);
      }
      if (p.hasBackendCap()) {
        ProxyBuilder shadowed = backends.putIfAbsent(p.name, p);
        if (shadowed != null) {
          warning(p.location, display(p) + " has the same name as " + display(shadowed) + " declared at "
              + shadowed.location + "; requests for backend '" + p.name + "' go to the first one");
        }
      }
      if (p.mode.isEmpty()) {
        warnOnce("mode", p.location, p.kind + " '" + p.name + "' sets no 'mode': HAProxy would run it in 'mode tcp'; Balancer proxies it as 'mode http'");
      }
    }
    List<Frontend> fes = new ArrayList<>();
    for (ProxyBuilder p : frontends.values()) {
      List<Ref> refs = new ArrayList<>();
      p.defaultBackend.ifPresent(refs::add);
      p.useBackends.stream().filter(r -> !r.dynamic()).forEach(r -> refs.add(new Ref(r.backend(), r.location())));
      checkRefs(p, refs, backends.keySet());
      if (p.binds.isEmpty() && p.kind.equals("frontend")) {
        warning(p.location, "Proxy '" + p.name + "' has no 'bind' directive. Please declare it as a backend if this was intended.");
      }
      if (p.timeouts.client().isEmpty()) {
        warning(p.location, "missing timeouts for " + p.kind + " '" + p.name + "': 'timeout client' is not set; client connections may stay open for ever");
      }
      fes.add(p.toFrontend());
    }
    for (ProxyBuilder p : backends.values()) {
      checkRefs(p, p.ignoredBackendRefs, backends.keySet());
    }
    List<Backend> bes = new ArrayList<>();
    for (ProxyBuilder p : backends.values()) {
      if (p.timeouts.connect().isEmpty() || p.timeouts.server().isEmpty()) {
        warning(p.location, "missing timeouts for " + p.kind + " '" + p.name + "': 'timeout connect' and 'timeout server' should be set");
      }
      checkServers(p, backends);
      bes.add(p.toBackend());
    }
    List<String> fileOrder = diagnostics.stream().map(d -> d.location().file()).distinct().toList();
    List<Diagnostic> sorted = new ArrayList<>(diagnostics);
    sorted.sort(Comparator.comparing((Diagnostic d) -> fileOrder.indexOf(d.location().file()))
        .thenComparingInt(d -> d.location().line()));
    boolean errors = sorted.stream().anyMatch(Diagnostic::isError);
    Global global = new Global(globalMaxconn, globalNbthread, hardStopAfter, serverStateFile);
    List<dev.balancer.config.model.Userlist> lists = userlists.stream().map(UserlistBuilder::build).toList();
    return new LoadResult(errors ? Optional.empty() : Optional.of(new Config(global, fes, bes, lists)), sorted);
  }

  private static String display(ProxyBuilder p) {
    return (p.kind.equals("listen") ? "proxy" : p.kind) + " '" + p.name + "'";
  }

  private void checkRefs(ProxyBuilder p, List<Ref> refs, Collection<String> backends) {
    for (Ref r : refs) {
      if (!backends.contains(r.name())) {
        String which = p.useBackends.stream().anyMatch(u -> u.location().equals(r.location()) && u.backend().equals(r.name()))
            ? "use_backend" : "default_backend";
        String hint = Suggestions.closest(r.name(), backends).map(s -> " (did you mean '" + s + "'?)").orElse("");
        error(r.location(), "Proxy '" + p.name + "': unable to find required " + which + ": '" + r.name() + "'." + hint);
      }
    }
  }

  private void checkServers(ProxyBuilder p, Map<String, ProxyBuilder> backends) {
    ServerParser.assignIds(p);
    Map<Integer, Server> ids = new HashMap<>();
    for (Server s : p.servers) {
      Server other = ids.putIfAbsent(s.id(), s);
      if (other != null) {
        error(s.location(), "'server " + p.name + "/" + s.name() + "' : id " + s.id() + " is already used by server '" + other.name() + "'.");
      }
      s.settings().track().ifPresent(t -> {
        int slash = t.indexOf('/');
        String be = slash < 0 ? p.name : t.substring(0, slash);
        String srv = slash < 0 ? t : t.substring(slash + 1);
        ProxyBuilder target = backends.get(be);
        if (target == null || target.servers.stream().noneMatch(x -> x.name().equals(srv))) {
          error(s.location(), "'server " + p.name + "/" + s.name() + "' : unable to find required server '" + t + "' for tracking.");
        }
      });
    }
  }
}
