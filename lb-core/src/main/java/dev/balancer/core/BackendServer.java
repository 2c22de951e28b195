package dev.balancer.core;

import dev.balancer.config.model.Server;
import dev.balancer.config.model.Timeouts;
import dev.balancer.core.internal.ServerCounters;
import java.util.List;
import java.util.Objects;

/**
 * A server of a backend as it runs: its configuration, its states and its live counters.
 *
 * <p>One {@code BackendServer} lives as long as its identity (backend name, server name, address)
 * stays in the configuration: a reload keeps it, with its counters and its health, and gives it
 * the new {@code server} line (whose {@code disabled} sets the admin state). Requests in flight
 * therefore stay counted across reloads. States and weight can also change at runtime ({@link
 * #setAdminState}, {@link #setHealth}, {@link #setWeight}); the backend's algorithm sees the change
 * on its next pick. Thread-safe.
 *
 * <p>Which traffic each state receives (HAProxy 2.6, reference §4):
 *
 * <table>
 *   <tr><th>state</th><th>new balanced traffic</th><th>persistent traffic</th></tr>
 *   <tr><td>UP, going down</td><td>yes</td><td>yes</td></tr>
 *   <tr><td>NOLB</td><td>no</td><td>yes</td></tr>
 *   <tr><td>going up, DOWN</td><td>no</td><td>no (yes with option persist)</td></tr>
 *   <tr><td>DRAIN</td><td>no</td><td>yes</td></tr>
 *   <tr><td>MAINT</td><td>no</td><td>no (yes with option persist)</td></tr>
 *   <tr><td>weight 0</td><td>no</td><td>yes</td></tr>
 * </table>
 */
public final class BackendServer {

  private final String backend;
  private final ServerCounters counters = new ServerCounters();
  private final dev.balancer.core.stats.Counters stats;
  /** When its state last changed (scheduler nanos). */
  private volatile long lastChange;
  /** When it went down (scheduler nanos), or {@link Long#MIN_VALUE} while it is not down. */
  private volatile long downSince = Long.MIN_VALUE;
  private volatile long downtimeNanos;
  private final java.util.concurrent.atomic.AtomicLong downTransitions = new java.util.concurrent.atomic.AtomicLong();
  private volatile Server config;
  /** {@code host:port} of {@link #config}, made once per server line rather than per request. */
  private volatile String address;
  private volatile Timeouts timeouts;
  private volatile AdminState adminState;
  private volatile Health health = Health.UP;
  private volatile int weight;
  private volatile BackendRuntime owner;
  private final Scheduler clock;
  /** When the current slow start began (scheduler nanos), or {@link Long#MIN_VALUE} for none. */
  private volatile long slowstartSince = Long.MIN_VALUE;

  BackendServer(String backend, Server config, Timeouts timeouts, Scheduler clock) {
    this.backend = Objects.requireNonNull(backend, "backend");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.stats = new dev.balancer.core.stats.Counters(clock::nanoTime);
    this.lastChange = clock.nanoTime();
    reconfigure(config, timeouts);
  }

  /** Whether the backend's algorithm is static (static-rr, map-based hashing): weights are fixed. */
  private volatile boolean staticAlgorithm;

  void staticAlgorithm(boolean value) {
    this.staticAlgorithm = value;
  }

  /**
   * A new server line: at start, and at each reload for a server whose identity is unchanged. The
   * file's {@code disabled} and {@code weight} apply when they differ from the previous file (so
   * that a rollout written into the file takes effect); otherwise the state and weight set at
   * runtime are kept.
   */
  void reconfigure(Server config, Timeouts timeouts) {
    Objects.requireNonNull(config, "config");
    Server previous = this.config;
    this.config = config;
    this.address = config.address();
    this.timeouts = Objects.requireNonNull(timeouts, "timeouts");
    if (previous == null || previous.disabled() != config.disabled()) {
      this.adminState = config.disabled() ? AdminState.MAINT : AdminState.READY;
      this.drainAnnounced = false;
    }
    if (previous == null || previous.weight() != config.weight()) {
      this.weight = config.weight();
    }
  }

  /** The runtime it reports changes and released leases to: its backend's newest one. */
  void owner(BackendRuntime runtime) {
    this.owner = runtime;
  }

  private void onChange() {
    BackendRuntime o = owner;
    if (o != null) {
      o.changed(this);
    }
  }

  void released() {
    BackendRuntime o = owner;
    if (o != null) {
      o.released(this);
    }
    if (counters.inFlight() == 0 && (adminState != AdminState.READY || !health.takesBalancedTraffic())
        && !drainAnnounced) {
      // once per drain: sticky clients of a DRAIN server bring it back to 0 again and again
      drainAnnounced = true;
      LOG.info("{}/{} drained, safe to stop", backend, name());
    }
  }

  /** Whether this drain's "safe to stop" was said; a state change starts a new drain. */
  private volatile boolean drainAnnounced;

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BackendServer.class);

  /** The name of its backend. */
  public String backend() {
    return backend;
  }

  /** Its name in the backend. */
  public String name() {
    return config.name();
  }

  /** Its numeric id ({@code id}, else its position from 1). */
  public int id() {
    return config.id();
  }

  /** The host to connect to. */
  public String host() {
    return config.host();
  }

  /** The port to connect to. */
  public int port() {
    return config.port();
  }

  /** {@code host:port}. */
  public String address() {
    return address;
  }

  /** The {@code server} line in force. */
  public Server config() {
    return config;
  }

  /** Its backend's timeouts ({@code timeout connect}, {@code timeout server}). */
  public Timeouts timeouts() {
    return timeouts;
  }

  /** Whether it is a {@code backup} server. */
  public boolean backup() {
    return config.backup();
  }

  /** Its current weight, 0 to 256: the configured one unless changed at runtime. */
  public int weight() {
    return weight;
  }

  /**
   * Changes the weight at runtime (HAProxy's {@code set server ... weight}). A static algorithm
   * ({@code static-rr}, map-based hashing) takes only 0 or the configured weight, as in HAProxy.
   *
   * @throws IllegalArgumentException with HAProxy's message when the weight is refused
   */
  public void setWeight(int weight) {
    if (weight < 0 || weight > Server.MAX_WEIGHT) {
      throw new IllegalArgumentException("Absolute weight can only be between 0 and 256 inclusive.");
    }
    if (staticAlgorithm && weight != 0 && weight != config.weight()) {
      throw new IllegalArgumentException("Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.");
    }
    this.weight = weight;
    onChange();
  }

  /** Ready, draining or in maintenance. */
  public AdminState adminState() {
    return adminState;
  }

  /** Changes the admin state at runtime (HAProxy's {@code set server ... state}). */
  public void setAdminState(AdminState state) {
    Objects.requireNonNull(state, "state");
    if (adminState == AdminState.MAINT && state != AdminState.MAINT) {
      startSlowstart();
      if (config.check()) {
        // HAProxy: a checked server leaving maintenance is UP, one failure away from DOWN
        this.health = Health.GOING_DOWN;
      }
    }
    if (adminState != state) {
      lastChange = clock.nanoTime();
    }
    this.adminState = state;
    drainAnnounced = false;
    onChange();
  }

  /** Up, down or in between. */
  public Health health() {
    return health;
  }

  /** Changes the operational state (health checks do; so does HAProxy's {@code set server ... health}). */
  public void setHealth(Health health) {
    Objects.requireNonNull(health, "health");
    if (!this.health.takesBalancedTraffic() && this.health != Health.NOLB && health.takesBalancedTraffic()) {
      // a recovery: slow start applies (never at process start)
      startSlowstart();
    }
    Health before = this.health;
    this.health = health;
    if (before != health) {
      long now = clock.nanoTime();
      lastChange = now;
      boolean wasDown = !before.takesPersistentTraffic();
      boolean isDown = !health.takesPersistentTraffic();
      if (!wasDown && isDown) {
        downSince = now;
        downTransitions.incrementAndGet();
      } else if (wasDown && !isDown && downSince != Long.MIN_VALUE) {
        downtimeNanos += now - downSince;
        downSince = Long.MIN_VALUE;
      }
    }
    drainAnnounced = false;
    onChange();
  }

  /** Its traffic counters (the stats page's columns): kept across reloads with its identity. */
  public dev.balancer.core.stats.Counters stats() {
    return stats;
  }

  /** Seconds since its state last changed ({@code lastchg}). */
  public long secondsSinceChange() {
    return (clock.nanoTime() - lastChange) / 1_000_000_000L;
  }

  /** Seconds it has spent DOWN in total ({@code downtime}). */
  public long downtimeSeconds() {
    long since = downSince;
    long extra = since == Long.MIN_VALUE ? 0 : clock.nanoTime() - since;
    return (downtimeNanos + extra) / 1_000_000_000L;
  }

  /** How many times it went from up to DOWN ({@code chkdown}). */
  public long downTransitions() {
    return downTransitions.get();
  }

  /** The most requests it had in flight at once ({@code smax}). */
  public int maxInFlight() {
    return counters.max();
  }

  private void startSlowstart() {
    if (config.settings().slowstart().isPresent()) {
      slowstartSince = clock.nanoTime();
    }
  }

  /**
   * Whether it is ramping up after a recovery ({@code slowstart}): HAProxy's STARTING state.
   */
  public boolean inSlowstart() {
    return elapsedSlowstartSeconds() >= 0;
  }

  /** Whole seconds since the slow start began, or -1 when there is none (read once: thread-safe). */
  private long elapsedSlowstartSeconds() {
    long since = slowstartSince;
    if (since == Long.MIN_VALUE) {
      return -1;
    }
    long elapsed = clock.nanoTime() - since;
    if (elapsed >= slowstartSeconds() * 1_000_000_000L) {
      return -1;
    }
    return elapsed / 1_000_000_000L;
  }

  /** {@code slowstart} in seconds, rounded up as HAProxy does ({@code (ms + 999) / 1000}). */
  private long slowstartSeconds() {
    long ms = config.settings().slowstart().map(java.time.Duration::toMillis).orElse(0L);
    return Math.max(1, (ms + 999) / 1000);
  }

  /**
   * The effective weight in sixteenths, as HAProxy's {@code server_recalc_eweight} computes it:
   * {@code weight × 16}, and during slow start {@code weight × ((16 × elapsed + slowstart) /
   * slowstart)} with whole seconds, so it starts at {@code weight} and grows each second.
   */
  public int effectiveWeight() {
    int w = weight;
    long elapsed = elapsedSlowstartSeconds();
    if (elapsed < 0) {
      return w * 16;
    }
    long ss = slowstartSeconds();
    return (int) (w * Math.min(16, (16 * elapsed + ss) / ss));
  }

  /**
   * Its {@code maxconn} now: during slow start it grows with the elapsed share of the ramp (at least
   * 1), as HAProxy's {@code srv_dynamic_maxconn} does; 0 means no limit.
   */
  public int dynamicMaxconn() {
    int max = config.settings().maxconn();
    long elapsed = elapsedSlowstartSeconds();
    if (max == 0 || elapsed < 0) {
      return max;
    }
    long ratio = 100 * elapsed / slowstartSeconds();
    return (int) Math.max(1, max * ratio / 100);
  }

  /** Whether the balance algorithm may give it new requests: ready, up, weight above 0. */
  public boolean takesNewRequests() {
    return adminState == AdminState.READY && health.takesBalancedTraffic() && weight > 0;
  }

  /**
   * Whether a client persistent on it (a cookie naming it) may still reach it.
   *
   * @param optionPersist {@code option persist}: DOWN and MAINT servers are still tried
   */
  public boolean takesPersistentRequests(boolean optionPersist) {
    if (optionPersist) {
      return true;
    }
    return adminState != AdminState.MAINT && health.takesPersistentTraffic();
  }

  /** Whether it has reached its {@code maxconn} (0: no limit). */
  public boolean isFull() {
    int max = dynamicMaxconn();
    return max > 0 && counters.inFlight() >= max;
  }

  private final java.util.Set<Lease> abortable = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private volatile java.util.function.BiConsumer<Outcome, Integer> observer = (o, s) -> {};

  /** Who hears about request outcomes (the health checker, for {@code observe}). */
  void observer(java.util.function.BiConsumer<Outcome, Integer> observer) {
    this.observer = observer;
  }

  void observe(Outcome outcome, int status) {
    observer.accept(outcome, status);
  }

  void track(Lease lease) {
    if (config.settings().shutdownSessionsOnDown() || config.backup()) {
      abortable.add(lease);
    }
  }

  void untrack(Lease lease) {
    abortable.remove(lease);
  }

  /** Cuts every request in flight that can be cut ({@code shutdown-sessions}); returns how many. */
  int abortAll() {
    int n = 0;
    for (Lease l : List.copyOf(abortable)) {
      if (abortable.remove(l)) {
        l.abort();
        n++;
      }
    }
    return n;
  }

  /** Requests sent to it that have not finished yet. */
  public int inFlight() {
    return counters.inFlight();
  }

  /** Requests sent to it since it first appeared in a configuration. */
  public long totalRequests() {
    return counters.total();
  }

  ServerCounters counters() {
    return counters;
  }

  @Override
  public String toString() {
    return backend + "/" + name() + " " + address() + " " + adminState + " " + health + " w" + weight;
  }
}
