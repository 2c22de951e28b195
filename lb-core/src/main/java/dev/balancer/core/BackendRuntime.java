package dev.balancer.core;

import dev.balancer.config.model.Backend;
import dev.balancer.config.model.Balance;
import dev.balancer.config.model.HashType;
import dev.balancer.config.model.TimeoutKind;
import dev.balancer.core.internal.balance.DynamicFwrr;
import dev.balancer.core.internal.balance.Picker;
import dev.balancer.core.internal.balance.Pickers;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * One backend within one configuration snapshot: its servers, the balance algorithm over the ones
 * that may take new requests, and the queues of requests waiting for a free {@code maxconn} slot.
 *
 * <p>The pool follows HAProxy's {@code backend.c}: the active servers that take new requests (ready,
 * up, weight above 0); when there is none, the first usable backup server in configuration order,
 * or every usable backup with {@code option allbackups}. {@code roundrobin} runs HAProxy's FWRR
 * with its incremental updates, applied as each change happens; the other algorithms are rebuilt
 * lazily on the next pick after a change.
 *
 * <p>A reload hands the queues over to the new runtime of the same backend, and every server always
 * reports its released leases to its newest runtime, so queued requests are served across reloads.
 */
final class BackendRuntime {

  private final Backend config;
  private final List<BackendServer> servers;
  private final RandomGenerator random;
  private final boolean tracksLoad;
  private final boolean fifo;
  private final Scheduler scheduler;
  private final Optional<Duration> queueTimeout;
  private final boolean anyMaxconn;
  private final Predicate<BackendServer> full = this::unavailable;
  /** roundrobin: HAProxy's FWRR with its own incremental updates, so sequences survive changes. */
  private final DynamicFwrr<BackendServer> fwrr;

  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  /** Per-server queues: requests that must go to that server (a hash, the single backup). */
  private final Map<BackendServer, ArrayDeque<Pending>> serverQueues = new IdentityHashMap<>();
  private long enqueued;
  private volatile boolean dirty = true;
  private Picker<BackendServer> picker;
  private long slowstartNext = Long.MAX_VALUE;
  private final Set<BackendServer> ramping = new HashSet<>();

  /** A request waiting in the backend queue or in one server's queue for a free slot. */
  static final class Pending {
    final CompletableFuture<Decision> future = new CompletableFuture<>();
    final long seq;
    volatile BackendRuntime owner;
    volatile Runnable cancelTimer = () -> {};

    Pending(long seq, BackendRuntime owner) {
      this.seq = seq;
      this.owner = owner;
    }
  }

  Scheduler scheduler() {
    return scheduler;
  }

  BackendRuntime(Backend config, List<BackendServer> servers, RandomGenerator random, Scheduler scheduler) {
    this.config = config;
    this.servers = List.copyOf(servers);
    this.random = random;
    this.scheduler = scheduler;
    // HAProxy: 'timeout queue' defaults to 'timeout connect'; with neither, requests wait as long as it takes
    this.queueTimeout = config.timeouts().get(TimeoutKind.QUEUE).or(() -> config.timeouts().connect());
    this.anyMaxconn = servers.stream().anyMatch(s -> s.config().settings().maxconn() > 0);
    Balance.Algorithm a = config.balance().algorithm();
    this.tracksLoad = a == Balance.Algorithm.LEASTCONN;
    // HAProxy sends new requests straight to a non-empty backend queue for these, for fairness
    this.fifo = a == Balance.Algorithm.ROUND_ROBIN || a == Balance.Algorithm.STATIC_RR || a == Balance.Algorithm.FIRST;
    this.fwrr = a == Balance.Algorithm.ROUND_ROBIN
        ? new DynamicFwrr<>(this.servers, BackendServer::backup, config.options().enabled("allbackups"),
            BackendServer::effectiveWeight, BackendRuntime::balancing)
        : null;
    boolean isStatic = isMapBased();
    for (BackendServer s : this.servers) {
      s.staticAlgorithm(isStatic);
    }
  }

  /** Makes this runtime the one its servers report to (called once the snapshot is published). */
  void attach() {
    for (BackendServer s : servers) {
      s.owner(this);
    }
  }

  Backend config() {
    return config;
  }

  List<BackendServer> servers() {
    return servers;
  }

  /** The admin and health states let the server take balanced traffic (weight aside). */
  private static boolean balancing(BackendServer s) {
    return s.adminState() == AdminState.READY && s.health().takesBalancedTraffic();
  }

  /** A server's state or weight changed: roundrobin applies it now, the others on the next pick. */
  void changed(BackendServer s) {
    synchronized (this) {
      if (fwrr != null) {
        fwrr.refresh(s);
      } else {
        dirty = true;
      }
    }
    dispatch(s);
  }

  /**
   * The next server by the balance algorithm, leased. When the algorithm finds every usable server
   * at its {@code maxconn}, the request waits in the backend queue until a server frees a slot; when
   * it chose a server that is full (a hash, the single backup), in that server's queue (up to its
   * {@code maxqueue}). After {@code timeout queue} (default {@code timeout connect}) it gets HAProxy's
   * 503. With no usable server at all, the answer is 503 at once.
   */
  CompletableFuture<Decision> lease(RequestView request) {
    return lease(request, null);
  }

  /**
   * As {@link #lease(RequestView)}, passing over {@code avoid} while another server can take the
   * request (HAProxy's {@code srvtoavoid}, for a retry): it is chosen only when no other is.
   */
  CompletableFuture<Decision> lease(RequestView request, BackendServer avoid) {
    long key = HashKeys.key(config.balance(), config.hashType(), request);
    Pending pending;
    synchronized (this) {
      refreshIfDue();
      BackendServer s = fifo && anyMaxconn && !queue.isEmpty() ? null : choose(key, avoid);
      if (s != null && !s.isFull()) {
        return CompletableFuture.completedFuture(new Decision.Forward(take(s)));
      }
      if (s == null && (!anyMaxconn || computePool().isEmpty())) {
        // nothing usable: 503 at once, never queued
        return CompletableFuture.completedFuture(Decision.Respond.NO_SERVER);
      }
      pending = new Pending(enqueued++, this);
      if (s == null) {
        queue.add(pending);
      } else {
        ArrayDeque<Pending> q = serverQueues.computeIfAbsent(s, k -> new ArrayDeque<>());
        int maxqueue = s.config().settings().maxqueue();
        if (maxqueue > 0 && q.size() >= maxqueue) {
          return CompletableFuture.completedFuture(Decision.Respond.NO_SERVER);
        }
        q.add(pending);
      }
    }
    queueTimeout.ifPresent(t -> pending.cancelTimer = scheduler.schedule(t, () -> pending.owner.expire(pending)));
    return pending.future;
  }

  /**
   * A lease on a server the request must go to (a persistence cookie named it): at once when it has
   * a free slot, else in its own queue (up to {@code maxqueue}), as HAProxy queues persistent
   * requests.
   */
  CompletableFuture<Decision> leaseOn(BackendServer s) {
    Pending pending;
    synchronized (this) {
      refreshIfDue();
      if (!s.isFull()) {
        return CompletableFuture.completedFuture(new Decision.Forward(take(s)));
      }
      ArrayDeque<Pending> q = serverQueues.computeIfAbsent(s, k -> new ArrayDeque<>());
      int maxqueue = s.config().settings().maxqueue();
      if (maxqueue > 0 && q.size() >= maxqueue) {
        return CompletableFuture.completedFuture(Decision.Respond.NO_SERVER);
      }
      pending = new Pending(enqueued++, this);
      q.add(pending);
    }
    queueTimeout.ifPresent(t -> pending.cancelTimer = scheduler.schedule(t, () -> pending.owner.expire(pending)));
    return pending.future;
  }

  private BackendServer choose(long key, BackendServer avoid) {
    if (fwrr != null) {
      return fwrr.next(full, avoid);
    }
    if (avoid != null && key < 0) {
      // the other algorithms: another server while one is free, else the avoided one; a hash
      // key names its server, avoided or not (HAProxy does so for map-based hashing; its
      // consistent hashing would pass over the avoided server: not done here)
      BackendServer other = picker.pick(key, full.or(s -> s == avoid));
      if (other != null) {
        return other;
      }
    }
    return picker.pick(key, full);
  }

  private Lease take(BackendServer s) {
    Lease lease = new Lease(s);
    s.counters().begin();
    s.stats().sessionRate().increment();
    if (tracksLoad && picker != null && !dirty) {
      picker.taken(s);
    }
    return lease;
  }

  private void expire(Pending p) {
    synchronized (this) {
      boolean removed = queue.remove(p);
      for (ArrayDeque<Pending> q : serverQueues.values()) {
        removed |= q.remove(p);
      }
      if (!removed) {
        return;
      }
    }
    p.future.complete(Decision.Respond.QUEUE_TIMEOUT);
  }

  /** Requests waiting in the backend queue and in the servers' queues. */
  synchronized int queued() {
    int n = queue.size();
    for (ArrayDeque<Pending> q : serverQueues.values()) {
      n += q.size();
    }
    return n;
  }

  /** A lease on one of this runtime's servers ended (the server reports to its newest runtime). */
  void released(BackendServer s) {
    if (tracksLoad) {
      synchronized (this) {
        if (!dirty && picker != null) {
          picker.released(s);
        }
      }
    }
    if (anyMaxconn) {
      dispatch(s);
    }
  }

  /**
   * HAProxy's {@code process_srv_queue} and {@code pendconn_grab_from_px}: while the server has a
   * free slot, it serves the oldest request waiting for it, in its own queue or in the backend queue
   * (the latter only if the algorithm could choose it now). Futures complete outside the lock.
   */
  private void dispatch(BackendServer s) {
    List<Pending> served = new ArrayList<>();
    List<Lease> leases = new ArrayList<>();
    synchronized (this) {
      refreshIfDue();
      ArrayDeque<Pending> own = serverQueues.get(s);
      while (!s.isFull()) {
        dropDone(own);
        dropDone(queue);
        Pending mine = own == null ? null : own.peek();
        Pending shared = !queue.isEmpty() && mayServeBackendQueue(s) ? queue.peek() : null;
        if (mine == null && shared == null) {
          break;
        }
        served.add(mine != null && (shared == null || mine.seq < shared.seq) ? own.poll() : queue.poll());
        leases.add(take(s));
      }
    }
    for (int i = 0; i < served.size(); i++) {
      Pending p = served.get(i);
      p.cancelTimer.run();
      if (!p.future.complete(new Decision.Forward(leases.get(i)))) {
        leases.get(i).release();
      }
    }
  }

  private static void dropDone(ArrayDeque<Pending> q) {
    while (q != null && !q.isEmpty() && q.peek().future.isDone()) {
      q.poll();
    }
  }

  /** Whether the server is one the algorithm may choose now: in the pool (actives, else backups). */
  private boolean mayServeBackendQueue(BackendServer s) {
    if (!s.takesNewRequests() || !servers.contains(s)) {
      return false;
    }
    return fwrr != null ? fwrr.isUsable(s) && computePool().contains(s) : computePool().contains(s);
  }

  /** Hands this runtime's waiting requests to its successor after a reload, oldest first. */
  void handOver(BackendRuntime next) {
    List<Pending> moved = new ArrayList<>();
    synchronized (this) {
      moved.addAll(queue);
      queue.clear();
      serverQueues.values().forEach(moved::addAll);
      serverQueues.clear();
    }
    if (moved.isEmpty()) {
      return;
    }
    moved.sort(java.util.Comparator.comparingLong(p -> p.seq));
    synchronized (next) {
      for (Pending p : moved) {
        p.owner = next;
        next.queue.add(p);
      }
      next.enqueued = Math.max(next.enqueued, moved.get(moved.size() - 1).seq + 1);
    }
    for (BackendServer s : next.servers) {
      next.dispatch(s);
    }
  }

  /** The backend left the configuration: its waiting requests get HAProxy's 503. */
  void retire() {
    List<Pending> waiting = new ArrayList<>();
    synchronized (this) {
      waiting.addAll(queue);
      queue.clear();
      serverQueues.values().forEach(waiting::addAll);
      serverQueues.clear();
    }
    for (Pending p : waiting) {
      p.cancelTimer.run();
      p.future.complete(Decision.Respond.NO_SERVER);
    }
  }

  /** The servers balanced traffic goes to now (for tests and the stats page). */
  synchronized List<BackendServer> pool() {
    return computePool();
  }

  private List<BackendServer> computePool() {
    List<BackendServer> actives = new ArrayList<>();
    List<BackendServer> backups = new ArrayList<>();
    for (BackendServer s : servers) {
      if (s.takesNewRequests()) {
        (s.backup() ? backups : actives).add(s);
      }
    }
    if (!actives.isEmpty()) {
      return actives;
    }
    if (backups.isEmpty() || config.options().enabled("allbackups")) {
      return backups;
    }
    return List.of(backups.get(0));
  }

  private void refreshIfDue() {
    boolean due = slowstartNext != Long.MAX_VALUE && scheduler.nanoTime() >= slowstartNext;
    if (fwrr != null) {
      if (due || slowstartNext == Long.MAX_VALUE && anyRamping()) {
        rampFwrr();
      }
      return;
    }
    if (dirty || due) {
      rebuild();
    }
  }

  private boolean anyRamping() {
    for (BackendServer s : servers) {
      if (s.inSlowstart()) {
        return true;
      }
    }
    return false;
  }

  /** roundrobin in slow start: each second, the ramping servers' new weights (and the last step). */
  private void rampFwrr() {
    slowstartNext = Long.MAX_VALUE;
    List<BackendServer> step = new ArrayList<>(ramping);
    ramping.clear();
    for (BackendServer s : servers) {
      if (s.inSlowstart() && !step.contains(s)) {
        step.add(s);
      }
    }
    for (BackendServer s : step) {
      fwrr.refresh(s);
      if (s.inSlowstart()) {
        ramping.add(s);
      }
    }
    if (!ramping.isEmpty()) {
      slowstartNext = scheduler.nanoTime() + 1_000_000_000L;
    }
  }

  private void rebuild() {
    dirty = false;
    List<BackendServer> pool = computePool();
    if (slowstartNext == Long.MAX_VALUE || scheduler.nanoTime() >= slowstartNext) {
      slowstartNext = Long.MAX_VALUE;
      for (BackendServer s : pool) {
        if (s.inSlowstart()) {
          // the effective weight grows each second: look again in a second
          slowstartNext = scheduler.nanoTime() + 1_000_000_000L;
          break;
        }
      }
    }
    long mapSlots = 0;
    if (isMapBased() && pool.size() == 1 && pool.get(0).backup() && !config.options().enabled("allbackups")) {
      // HAProxy's recalc_server_map: the first backup's weight sizes the table, every usable backup competes
      mapSlots = pool.get(0).weight() / weightDivisor();
      pool = servers.stream().filter(s -> s.backup() && s.takesNewRequests()).toList();
    }
    picker = Pickers.create(config.balance(), config.hashType(), pool, BackendServer::weight,
        BackendServer::effectiveWeight, weightDivisor(), BackendServer::id, this::load, random, picker, mapSlots);
  }

  private boolean isMapBased() {
    Balance.Algorithm a = config.balance().algorithm();
    return a == Balance.Algorithm.STATIC_RR || (a != Balance.Algorithm.ROUND_ROBIN && a != Balance.Algorithm.LEASTCONN
        && a != Balance.Algorithm.FIRST && a != Balance.Algorithm.RANDOM
        && config.hashType().method() == HashType.Method.MAP_BASED);
  }

  /** Requests in flight on a server plus those waiting in its own queue (leastconn's load). */
  private int load(BackendServer s) {
    ArrayDeque<Pending> q = serverQueues.get(s);
    return s.inFlight() + (q == null ? 0 : q.size());
  }

  /**
   * Whether the algorithm must pass the server over: full, except that leastconn still chooses a
   * full server with room in its queue ({@code maxqueue}), as HAProxy's fwlc does.
   */
  private boolean unavailable(BackendServer s) {
    if (!s.isFull()) {
      return false;
    }
    if (tracksLoad) {
      int maxqueue = s.config().settings().maxqueue();
      return maxqueue == 0 || load(s) >= s.dynamicMaxconn() + maxqueue;
    }
    return true;
  }

  /** HAProxy's static map divides every weight by their GCD over all the backend's servers. */
  private int weightDivisor() {
    int gcd = 0;
    for (BackendServer s : servers) {
      int w = s.config().weight();
      while (w != 0) {
        int t = gcd % w;
        gcd = w;
        w = t;
      }
    }
    return Math.max(1, gcd);
  }
}
