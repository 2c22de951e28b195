package dev.balancer.core;

import dev.balancer.config.model.Server;
import dev.balancer.config.model.Timeouts;
import dev.balancer.core.internal.ServerCounters;
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
  private volatile Server config;
  private volatile Timeouts timeouts;
  private volatile AdminState adminState;
  private volatile Health health = Health.UP;
  private volatile int weight;
  private volatile Runnable onChange = () -> {};
  private final Scheduler clock;
  /** When the current slow start began (scheduler nanos), or {@link Long#MIN_VALUE} for none. */
  private volatile long slowstartSince = Long.MIN_VALUE;

  BackendServer(String backend, Server config, Timeouts timeouts, Scheduler clock) {
    this.backend = Objects.requireNonNull(backend, "backend");
    this.clock = Objects.requireNonNull(clock, "clock");
    reconfigure(config, timeouts);
  }

  /** Whether the backend's algorithm is static (static-rr, map-based hashing): weights are fixed. */
  private volatile boolean staticAlgorithm;

  void staticAlgorithm(boolean value) {
    this.staticAlgorithm = value;
  }

  /** A reload: the new server line; its {@code disabled} and {@code weight} apply again. */
  void reconfigure(Server config, Timeouts timeouts) {
    this.config = Objects.requireNonNull(config, "config");
    this.timeouts = Objects.requireNonNull(timeouts, "timeouts");
    this.adminState = config.disabled() ? AdminState.MAINT : AdminState.READY;
    this.weight = config.weight();
  }

  /** Who to tell when a state or the weight changes (the backend's current selector). */
  void onChange(Runnable listener) {
    this.onChange = listener;
  }

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
    return config.address();
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
    onChange.run();
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
    this.adminState = state;
    onChange.run();
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
    this.health = health;
    onChange.run();
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
    long since = slowstartSince;
    if (since == Long.MIN_VALUE) {
      return false;
    }
    long ss = config.settings().slowstart().map(java.time.Duration::toNanos).orElse(0L);
    if (clock.nanoTime() - since >= ss) {
      slowstartSince = Long.MIN_VALUE;
      return false;
    }
    return true;
  }

  /**
   * The effective weight in sixteenths, as HAProxy's {@code server_recalc_eweight} computes it:
   * {@code weight × 16}, and during slow start {@code weight × ((16 × elapsed + slowstart) /
   * slowstart)} with whole seconds, so it starts at {@code weight} and grows each second.
   */
  public int effectiveWeight() {
    int w = weight;
    if (!inSlowstart()) {
      return w * 16;
    }
    long ss = Math.max(1, config.settings().slowstart().orElseThrow().toSeconds());
    long elapsed = (clock.nanoTime() - slowstartSince) / 1_000_000_000L;
    return (int) (w * Math.min(16, (16 * elapsed + ss) / ss));
  }

  /**
   * Its {@code maxconn} now: during slow start it grows with the elapsed share of the ramp (at least
   * 1), as HAProxy's {@code srv_dynamic_maxconn} does; 0 means no limit.
   */
  public int dynamicMaxconn() {
    int max = config.settings().maxconn();
    if (max == 0 || !inSlowstart()) {
      return max;
    }
    long ss = Math.max(1, config.settings().slowstart().orElseThrow().toSeconds());
    long elapsed = (clock.nanoTime() - slowstartSince) / 1_000_000_000L;
    long ratio = 100 * elapsed / ss;
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
