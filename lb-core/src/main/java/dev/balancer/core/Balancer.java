package dev.balancer.core;

import dev.balancer.config.model.Backend;
import dev.balancer.config.model.Config;
import dev.balancer.config.model.CookieSettings;
import dev.balancer.config.model.Frontend;
import dev.balancer.config.model.Server;
import dev.balancer.core.health.CheckResult;
import dev.balancer.core.health.Prober;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.random.RandomGenerator;

/**
 * The balancer's runtime state and its decisions: which backend and which server get a request.
 *
 * <pre>{@code
 * Balancer balancer = Balancer.create(ConfigLoader.load(Path.of("haproxy.cfg")).orThrow());
 * Decision d = balancer.decide("www", request);
 * if (d instanceof Decision.Forward f) {
 *   try (Lease lease = f.lease()) {
 *     // send the request to lease.server().host() : lease.server().port()
 *   }
 * }
 * balancer.apply(newConfig);   // a reload: one atomic swap, leases already taken stay valid
 * }</pre>
 *
 * <p>Everything a request reads is an immutable snapshot swapped in one step by {@link #apply}, so
 * no request ever sees half a configuration. A server that keeps its identity (backend name, server
 * name and address) across a reload keeps its counters; its admin state comes from the new file.
 * This class is thread-safe.
 */
public final class Balancer implements AutoCloseable {

  private final AtomicReference<Snapshot> current = new AtomicReference<>();
  private final Map<String, dev.balancer.core.stats.Counters> frontendStats = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<String, dev.balancer.core.stats.Counters> backendStats = new java.util.concurrent.ConcurrentHashMap<>();
  /** The configuration last given to {@link #apply} (or {@link #create}): the file's. */
  private Config fileConfig;
  /** Servers added at runtime ({@link #addServer}), per backend, in order. */
  private final Map<String, List<Server>> added = new LinkedHashMap<>();

  private final RandomGenerator random;
  private final Scheduler scheduler;
  private final HealthChecker checker;

  private Balancer(Config config, RandomGenerator random, Scheduler scheduler, Prober prober) {
    this.random = random;
    this.scheduler = scheduler;
    // on real time, check timers run on the prober's own I/O thread: no hand-off per check
    this.checker = new HealthChecker(scheduler == Scheduler.system() ? prober.scheduler().orElse(scheduler) : scheduler, prober);
    this.fileConfig = config;
    Snapshot first = build(config, Map.of(), 1);
    current.set(first);
    first.backends.values().forEach(BackendRuntime::attach);
    checker.sync(List.copyOf(first.backends.values()));
  }

  /** A balancer running the given configuration. */
  public static Balancer create(Config config) {
    return create(config, new SplittableRandom());
  }

  /** A balancer whose chance decisions ({@code balance random}) come from {@code random}. */
  public static Balancer create(Config config, RandomGenerator random) {
    return create(config, random, Scheduler.system());
  }

  /**
   * A balancer whose chance decisions come from {@code random} and whose timers (queue timeouts)
   * run on {@code scheduler}: tests pass a manual one.
   */
  public static Balancer create(Config config, RandomGenerator random, Scheduler scheduler) {
    return create(config, random, scheduler, Prober.sockets());
  }

  /**
   * A balancer whose health checks run through {@code prober} (tests pass one that answers as they
   * wish). Checks run for every server with {@code check}; {@link #close()} stops them.
   */
  public static Balancer create(Config config, RandomGenerator random, Scheduler scheduler, Prober prober) {
    return new Balancer(Objects.requireNonNull(config, "config"), Objects.requireNonNull(random, "random"),
        Objects.requireNonNull(scheduler, "scheduler"), Objects.requireNonNull(prober, "prober"));
  }

  /** The last health check result of a server, if it is checked and has been checked. */
  public Optional<CheckResult> lastCheck(String backend, String server) {
    return server(backend, server).flatMap(checker::lastResult);
  }

  /** A server's state in HAProxy's words: {@code UP}, {@code UP 1/3}, {@code DOWN 1/2}, {@code MAINT}... */
  public String state(String backend, String server) {
    BackendServer s = server(backend, server).orElseThrow(() -> new IllegalArgumentException(backend + "/" + server));
    if (s.adminState() == AdminState.MAINT) {
      return "MAINT";
    }
    if (s.adminState() == AdminState.DRAIN) {
      return "DRAIN";
    }
    return checker.display(s).orElse(switch (s.health()) {
      case UP, GOING_DOWN -> "UP";
      case NOLB -> "NOLB";
      default -> "DOWN";
    });
  }

  /** Stops the health checks. */
  @Override
  public void close() {
    checker.close();
  }

  /**
   * Replaces the configuration in one atomic step. Requests that already hold a {@link Lease} finish
   * on their server; the next request sees only the new configuration.
   */
  public synchronized void apply(Config config) {
    Objects.requireNonNull(config, "config");
    this.fileConfig = config;
    swap(withAdded(config));
    frontendStats.keySet().retainAll(config.frontends().stream().map(Frontend::name).toList());
    backendStats.keySet().retainAll(config.backends().stream().map(Backend::name).toList());
  }

  /** The file's configuration plus the servers added at runtime, which a reload keeps unless the file names them. */
  private Config withAdded(Config config) {
    added.keySet().retainAll(config.backends().stream().map(Backend::name).toList());
    if (added.isEmpty()) {
      return config;
    }
    List<Backend> backends = new ArrayList<>();
    for (Backend be : config.backends()) {
      List<Server> extra = added.get(be.name());
      if (extra != null) {
        // the file wins: a server it names replaces the one added at runtime
        extra.removeIf(s -> be.server(s.name()).isPresent());
      }
      if (extra == null || extra.isEmpty()) {
        backends.add(be);
        continue;
      }
      List<Server> servers = new ArrayList<>(be.servers());
      int id = servers.stream().mapToInt(Server::id).max().orElse(0);
      for (Server s : extra) {
        servers.add(new Server(s.name(), s.host(), s.port(), ++id, s.settings(), s.location()));
      }
      backends.add(withServers(be, servers));
    }
    return new Config(config.global(), config.frontends(), backends, config.userlists());
  }

  /** The same backend with other servers. */
  private static Backend withServers(Backend be, List<Server> servers) {
    return new Backend(be.name(), be.location(), be.balance(), be.hashType(), be.cookie(), be.options(),
        be.timeouts(), be.retries(), be.httpCheck(), be.acls(), be.httpRequestRules(), be.httpResponseRules(),
        servers, be.stats(), be.listen(), be.origins());
  }

  /**
   * HAProxy's {@code add server BACKEND/NAME ADDR [keywords]}: a new server, which starts in MAINT
   * (set it READY to send it traffic). It is kept across reloads until the file gets a server of
   * the same name. {@code default-server} lines do not apply, as in HAProxy; unlike HAProxy 2.6,
   * {@code cookie} is accepted, so that a new version can take sticky clients.
   *
   * @param spec the rest of a {@code server} line: {@code 10.0.0.5:8080 check weight 10}
   * @throws IllegalArgumentException with HAProxy's words when it is refused
   */
  public synchronized BackendServer addServer(String backend, String name, String spec) {
    Backend be = current.get().config.backend(backend)
        .orElseThrow(() -> new IllegalArgumentException("No such backend."));
    if (!name.matches("[A-Za-z0-9_.:-]+")) {
      throw new IllegalArgumentException("Invalid server name '" + name + "'.");
    }
    if (be.server(name).isPresent()) {
      throw new IllegalArgumentException("Already exists a server with the same name in backend.");
    }
    if (!dynamic(be)) {
      throw new IllegalArgumentException("Backend must use a dynamic load balancing to support dynamic servers.");
    }
    var parsed = dev.balancer.config.ConfigLoader.parse("add server", "backend " + backend + "\n  server " + name + " " + spec + " disabled\n");
    if (parsed.hasErrors()) {
      String why = parsed.errors().get(0).message();
      throw new IllegalArgumentException(why);
    }
    Server server = parsed.config().orElseThrow().backends().get(0).servers().get(0);
    added.computeIfAbsent(backend, b -> new ArrayList<>()).add(server);
    swap(withAdded(fileConfig));
    return server(backend, name).orElseThrow();
  }

  /**
   * HAProxy's {@code del server BACKEND/NAME}: only a server in MAINT with no request in flight can
   * go. A server of the file comes back at the next reload if the file still has it.
   *
   * @throws IllegalStateException with HAProxy's words when it cannot be deleted now
   */
  public synchronized void deleteServer(String backend, String name) {
    BackendServer s = server(backend, name).orElseThrow(() -> new IllegalArgumentException("No such server."));
    if (s.adminState() != AdminState.MAINT) {
      throw new IllegalStateException("Only servers in maintenance mode can be deleted.");
    }
    if (s.inFlight() > 0) {
      throw new IllegalStateException("Server still has connections attached to it, cannot remove it.");
    }
    List<Server> extra = added.get(backend);
    if (extra != null) {
      extra.removeIf(x -> x.name().equals(name));
    }
    Config now = current.get().config;
    List<Backend> backends = new ArrayList<>();
    for (Backend be : now.backends()) {
      if (!be.name().equals(backend)) {
        backends.add(be);
        continue;
      }
      List<Server> servers = new ArrayList<>(be.servers());
      servers.removeIf(x -> x.name().equals(name));
      backends.add(withServers(be, servers));
    }
    swap(new Config(now.global(), now.frontends(), backends, now.userlists()));
  }

  /**
   * HAProxy's {@code set server BACKEND/NAME weight W}: {@code 7}, or {@code 50%} of the weight in
   * the configuration (rounded down).
   *
   * @return the new weight
   * @throws IllegalArgumentException with HAProxy's words when it is refused
   */
  public int setWeight(String backend, String name, String weight) {
    BackendServer s = server(backend, name).orElseThrow(() -> new IllegalArgumentException("No such server."));
    String w = weight.trim();
    int value;
    try {
      if (w.endsWith("%")) {
        long pct = Long.parseLong(w.substring(0, w.length() - 1).trim());
        if (pct < 0) {
          throw new IllegalArgumentException("Relative weight must be positive.");
        }
        value = (int) Math.min(Integer.MAX_VALUE, s.config().weight() * pct / 100);
      } else {
        long v = Long.parseLong(w);
        value = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Require <weight> or <weight%>.");
    }
    s.setWeight(value);
    return value;
  }

  private static boolean dynamic(Backend be) {
    return switch (be.balance().algorithm()) {
      case ROUND_ROBIN, LEASTCONN, FIRST, RANDOM -> true;
      case STATIC_RR -> false;
      default -> be.hashType().method() == dev.balancer.config.model.HashType.Method.CONSISTENT;
    };
  }

  /** A frontend's traffic counters (kept while its name stays in the configuration). */
  public dev.balancer.core.stats.Counters frontendStats(String frontend) {
    dev.balancer.core.stats.Counters c = frontendStats.get(frontend); // no capturing lambda per request
    return c != null ? c : frontendStats.computeIfAbsent(frontend, n -> new dev.balancer.core.stats.Counters(scheduler::nanoTime));
  }

  /** A backend's traffic counters (kept while its name stays in the configuration). */
  public dev.balancer.core.stats.Counters backendStats(String backend) {
    dev.balancer.core.stats.Counters c = backendStats.get(backend); // no capturing lambda per request
    return c != null ? c : backendStats.computeIfAbsent(backend, n -> new dev.balancer.core.stats.Counters(scheduler::nanoTime));
  }

  /** Every frontend, backend and server with its state and counters, in HAProxy's stats order. */
  public List<dev.balancer.core.stats.StatsRow> stats() {
    return dev.balancer.core.stats.StatsTable.rows(this);
  }

  private void swap(Config config) {
    Snapshot old = current.get();
    Snapshot next = build(config, old.servers(), old.generation + 1);
    current.set(next);
    next.backends.values().forEach(BackendRuntime::attach);
    old.backends.forEach((name, rt) -> {
      BackendRuntime successor = next.backends.get(name);
      if (successor != null) {
        rt.handOver(successor);
      } else {
        rt.retire();
      }
    });
    checker.sync(List.copyOf(next.backends.values()));
  }

  /** HAProxy's answer to {@code monitor-uri}. */
  private static final Decision.Respond MONITOR_OK = Decision.Respond.errorPage(200);

  /** Whether a request is for the stats page: {@code stats enable} and the URI starts with {@code stats uri}. */
  private static boolean statsMatch(dev.balancer.config.model.StatsSettings stats, RequestView req) {
    return stats.enabled() && req.target().startsWith(stats.uri());
  }

  /** The clock and timer this balancer runs on (queue timeouts, retries' waits, slow start). */
  public Scheduler scheduler() {
    return scheduler;
  }

  /** The configuration in force. */
  public Config config() {
    return current.get().config;
  }

  /** How many configurations have been applied, counting the first. */
  public long generation() {
    return current.get().generation;
  }

  /**
   * Routes a request that arrived on a frontend: to the backend of its first matching {@code
   * use_backend} rule, else its default backend, then to a server of it.
   * With no backend or no usable server the decision is HAProxy's 503. The future completes at
   * once unless every server is at its {@code maxconn}: then the request waits in the backend
   * queue (see {@link #decide}).
   */
  public CompletableFuture<Decision> decideAsync(String frontend, RequestView request) {
    return decideAsync(frontend, request, null);
  }

  /**
   * As {@link #decideAsync(String, RequestView)}, for a retry: the balance algorithm passes over
   * {@code avoid} (the server that just failed) while another server can take the request, as
   * HAProxy's {@code srvtoavoid}; null avoids none.
   */
  CompletableFuture<Decision> decideAsync(String frontend, RequestView request, BackendServer avoid) {
    Objects.requireNonNull(frontend, "frontend");
    Objects.requireNonNull(request, "request");
    Snapshot s = current.get();
    Router router = s.routes.get(frontend);
    if (router == null) {
      return CompletableFuture.completedFuture(Decision.Respond.NO_SERVER);
    }
    Optional<Frontend> fe = s.config.frontend(frontend);
    // monitor-uri: answered before any rule, as HAProxy does (a health endpoint for orchestrators)
    Optional<String> monitor = fe.flatMap(f -> f.options().monitorUri());
    if (monitor.isPresent() && monitor.get().equals(request.target())) {
      return CompletableFuture.completedFuture(MONITOR_OK);
    }
    // HAProxy's order: the frontend's http-request rules, use_backend, the backend's rules
    EditableRequest req = EditableRequest.of(request);
    HttpRules frontendRules = s.frontendRules.getOrDefault(frontend, HttpRules.NONE);
    Decision answer = frontendRules.onRequest(req);
    if (answer != null) {
      return answered(answer, req);
    }
    // HAProxy serves its stats page after the frontend's http-request rules (auth, deny) ran
    if (fe.map(f -> statsMatch(f.stats(), req)).orElse(false)) {
      return CompletableFuture.completedFuture(new Decision.Serve("stats", frontend));
    }
    String backend = router.backend(req);
    return backend == null ? CompletableFuture.completedFuture(Decision.Respond.NO_SERVER)
        : forBackend(s, backend, req, frontendRules, avoid);
  }

  /**
   * A rule's answer: at once, or after {@code timeout tarpit} for {@code http-request tarpit}, as
   * HAProxy holds such a request (without a thread: the future completes on the scheduler). A
   * client that leaves meanwhile cancels the future, and the timer with it.
   */
  private CompletableFuture<Decision> answered(Decision answer, EditableRequest req) {
    Optional<Duration> tarpit = req.tarpitted();
    if (tarpit.isEmpty() || tarpit.get().isZero()) {
      return CompletableFuture.completedFuture(answer);
    }
    CompletableFuture<Decision> held = new CompletableFuture<>();
    Runnable cancel = scheduler.schedule(tarpit.get(), () -> held.complete(answer));
    held.whenComplete((d, failure) -> {
      if (failure != null) {
        cancel.run();
      }
    });
    return held;
  }

  /**
   * The answer for an error status, as the configuration wants it: the backend's {@code errorfile}
   * for that status, else the frontend's, else HAProxy's own page.
   *
   * @param frontend the frontend the request came in on, or null
   * @param backend the backend it was routed to, or null
   */
  public Decision.Respond errorPage(String frontend, String backend, int status) {
    Config c = current.get().config;
    java.util.function.Function<dev.balancer.config.model.ProxyOptions, String> file = o -> o.errorFiles().get(status);
    String raw = backend == null ? null : c.backend(backend).map(b -> file.apply(b.options())).orElse(null);
    if (raw == null && frontend != null) {
      raw = c.frontend(frontend).map(f -> file.apply(f.options())).orElse(null);
    }
    return raw == null ? Decision.Respond.errorPage(status) : Decision.Respond.fromErrorFile(status, raw);
  }

  /** The backend's rules, {@code option forwardfor}, then a server; the lease carries the header edits. */
  private CompletableFuture<Decision> forBackend(Snapshot s, String backend, EditableRequest req, HttpRules frontendRules,
      BackendServer avoid) {
    req.routed(backend);
    HttpRules backendRules = s.backendRules.getOrDefault(backend, HttpRules.NONE);
    Decision answer = backendRules.onRequest(req);
    if (answer != null) {
      return answered(answer, req);
    }
    if (s.config.backend(backend).map(b -> statsMatch(b.stats(), req)).orElse(false)) {
      return CompletableFuture.completedFuture(new Decision.Serve("stats", backend));
    }
    if (frontendRules.hasForwardFor()) {
      frontendRules.forwardFor(req);
    } else {
      backendRules.forwardFor(req);
    }
    // connection modes: HAProxy closes the server side if either proxy says so, the client side
    // only for the frontend's httpclose
    if (frontendRules.serverClose || backendRules.serverClose) {
      req.edit(new HeaderEdit(HeaderEdit.Kind.SET, "connection", "close"));
    }
    List<HeaderEdit> edits = req.edits();
    boolean clientClose = frontendRules.clientClose;
    boolean responseRules = clientClose || backendRules.hasResponseRules() || frontendRules.hasResponseRules();
    CompletableFuture<Decision> picked = pick(s, backend, req, avoid);
    if (edits.isEmpty() && !responseRules) {
      return picked;
    }
    return Futures.map(picked, d -> {
      if (d instanceof Decision.Forward f) {
        // HAProxy runs the backend's http-response rules, then the frontend's
        f.lease().headerRules(edits, responseRules ? () -> {
          RequestView after = req.afterForwarding();
          List<HeaderEdit> all = new ArrayList<>(backendRules.onResponse(after));
          all.addAll(frontendRules.onResponse(after));
          if (clientClose) {
            all.add(new HeaderEdit(HeaderEdit.Kind.SET, "connection", "close"));
          }
          return all;
        } : List::of);
      }
      return d;
    });
  }

  /**
   * As {@link #decideAsync}, waiting on the calling thread while the request is queued (at most
   * {@code timeout queue}).
   */
  public Decision decide(String frontend, RequestView request) {
    return decideAsync(frontend, request).join();
  }

  /** Chooses a server of the named backend, for callers that route by themselves. */
  public CompletableFuture<Decision> decideForBackendAsync(String backend, RequestView request) {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(request, "request");
    return decideForBackendAsync(backend, request, null);
  }

  /** As {@link #decideForBackendAsync(String, RequestView)}, passing over {@code avoid} (see {@link #decideAsync(String, RequestView, BackendServer)}). */
  CompletableFuture<Decision> decideForBackendAsync(String backend, RequestView request, BackendServer avoid) {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(request, "request");
    return forBackend(current.get(), backend, EditableRequest.of(request), HttpRules.NONE, avoid);
  }

  /** As {@link #decideForBackendAsync}, waiting on the calling thread while queued. */
  public Decision decideForBackend(String backend, RequestView request) {
    return decideForBackendAsync(backend, request).join();
  }

  private static CompletableFuture<Decision> pick(Snapshot s, String backend, RequestView request, BackendServer avoid) {
    BackendRuntime be = s.backends.get(backend);
    if (be == null) {
      return CompletableFuture.completedFuture(Decision.Respond.NO_SERVER);
    }
    Optional<CookieSettings> cookie = be.config().cookie();
    if (cookie.isEmpty()) {
      return be.lease(request, avoid);
    }
    return Persistence.decide(be, cookie.get(), request, be.scheduler().epochSeconds(), avoid);
  }

  /** Requests waiting in a backend's queue for a server below its {@code maxconn}. */
  public int queued(String backend) {
    BackendRuntime be = current.get().backends.get(backend);
    return be == null ? 0 : be.queued();
  }

  /** The servers of a backend, in configuration order; empty for an unknown backend. */
  public List<BackendServer> servers(String backend) {
    BackendRuntime be = current.get().backends.get(backend);
    return be == null ? List.of() : be.servers();
  }

  /** One server of a backend. */
  public Optional<BackendServer> server(String backend, String name) {
    return servers(backend).stream().filter(s -> s.name().equals(name)).findFirst();
  }

  /** The servers that take balanced traffic in a backend now: actives, else backups. */
  public List<BackendServer> pool(String backend) {
    BackendRuntime be = current.get().backends.get(backend);
    return be == null ? List.of() : be.pool();
  }

  private Snapshot build(Config config, Map<String, BackendServer> carried, long generation) {
    Map<String, dev.balancer.config.model.Userlist> users = new HashMap<>();
    config.userlists().forEach(u -> users.put(u.name(), u));
    Map<String, Router> routes = new HashMap<>();
    Map<String, HttpRules> frontendRules = new HashMap<>();
    for (Frontend fe : config.frontends()) {
      routes.put(fe.name(), Router.of(fe, users));
      frontendRules.put(fe.name(), HttpRules.of(fe.httpRequestRules(), fe.httpResponseRules(), fe.acls(), fe.options(), fe.timeouts(), users, fe.name()));
    }
    Map<String, HttpRules> backendRules = new HashMap<>();
    for (Backend be : config.backends()) {
      backendRules.put(be.name(), HttpRules.of(be.httpRequestRules(), be.httpResponseRules(), be.acls(), be.options(), be.timeouts(), users, be.name()));
    }
    Map<String, BackendRuntime> backends = new LinkedHashMap<>();
    for (Backend be : config.backends()) {
      List<BackendServer> servers = new ArrayList<>();
      for (Server srv : be.servers()) {
        BackendServer kept = carried.get(identity(be.name(), srv));
        if (kept != null) {
          kept.reconfigure(srv, be.timeouts());
          servers.add(kept);
        } else {
          servers.add(new BackendServer(be.name(), srv, be.timeouts(), scheduler));
        }
      }
      backends.put(be.name(), new BackendRuntime(be, servers, random, scheduler));
    }
    return new Snapshot(config, Map.copyOf(routes), Map.copyOf(frontendRules), Map.copyOf(backendRules), backends, generation);
  }

  private static String identity(String backend, Server srv) {
    return backend + "/" + srv.name() + "@" + srv.address();
  }

  /** One configuration in force: immutable but for the servers' counters and selectors. */
  private static final class Snapshot {
    final Config config;
    final Map<String, Router> routes;
    final Map<String, HttpRules> frontendRules;
    final Map<String, HttpRules> backendRules;
    final Map<String, BackendRuntime> backends;
    final long generation;

    Snapshot(Config config, Map<String, Router> routes, Map<String, HttpRules> frontendRules,
        Map<String, HttpRules> backendRules, Map<String, BackendRuntime> backends, long generation) {
      this.config = config;
      this.routes = routes;
      this.frontendRules = frontendRules;
      this.backendRules = backendRules;
      this.backends = backends;
      this.generation = generation;
    }

    Map<String, BackendServer> servers() {
      Map<String, BackendServer> m = new HashMap<>();
      for (BackendRuntime be : backends.values()) {
        for (BackendServer s : be.servers()) {
          m.put(identity(be.config().name(), s.config()), s);
        }
      }
      return m;
    }
  }
}
