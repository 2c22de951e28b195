package dev.balancer.core;

import dev.balancer.config.model.Backend;
import dev.balancer.config.model.Balance;
import dev.balancer.core.balance.DynamicFwrr;
import dev.balancer.core.balance.Picker;
import dev.balancer.core.balance.Pickers;
import dev.balancer.config.model.TimeoutKind;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.List;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * One backend within one configuration snapshot: its servers and the balance algorithm over the
 * ones that may take new requests. The algorithm is rebuilt when a server's state or weight
 * changes (lazily, on the next pick).
 *
 * <p>The pool follows HAProxy's {@code backend.c}: the active servers that take new requests (ready,
 * up, weight above 0); when there is none, the first usable backup server in configuration order,
 * or every usable backup with {@code option allbackups}.
 */
final class BackendRuntime {

  private final Backend config;
  private final List<BackendServer> servers;
  private final RandomGenerator random;
  private final boolean tracksLoad;
  private final Scheduler scheduler;
  private final Optional<Duration> queueTimeout;
  private final boolean anyMaxconn;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private final Predicate<BackendServer> full = BackendServer::isFull;
  private volatile boolean dirty = true;
  private Picker<BackendServer> picker;

  /** A request waiting in the backend queue or in one server's queue for a free slot. */
  private static final class Pending {
    final CompletableFuture<Decision> future = new CompletableFuture<>();
    final long seq;
    Runnable cancelTimer = () -> {};

    Pending(long seq) {
      this.seq = seq;
    }
  }

  /** Per-server queues: requests that must go to that server (a hash, the single backup). */
  private final java.util.Map<BackendServer, ArrayDeque<Pending>> serverQueues = new java.util.IdentityHashMap<>();
  private long enqueued;

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
    if (a == Balance.Algorithm.ROUND_ROBIN) {
      this.fwrr = new DynamicFwrr<>(this.servers, BackendServer::backup, config.options().enabled("allbackups"),
          BackendRuntime::roundRobinWeight, BackendRuntime::balancing);
    } else {
      this.fwrr = null;
    }
    boolean isStatic = a == Balance.Algorithm.STATIC_RR || (a != Balance.Algorithm.ROUND_ROBIN
        && a != Balance.Algorithm.LEASTCONN && a != Balance.Algorithm.FIRST && a != Balance.Algorithm.RANDOM
        && config.hashType().method() == dev.balancer.config.model.HashType.Method.MAP_BASED);
    for (BackendServer s : servers) {
      s.staticAlgorithm(isStatic);
      s.onChange(() -> changed(s));
    }
  }

  /** roundrobin: HAProxy's FWRR with its own incremental updates, so sequences survive changes. */
  private final DynamicFwrr<BackendServer> fwrr;
  /** Servers whose state or weight changed since the last pick, in order (roundrobin). */
  private final java.util.LinkedHashSet<BackendServer> changed = new java.util.LinkedHashSet<>();

  private static int roundRobinWeight(BackendServer s) {
    return s.effectiveWeight();
  }

  /** The admin and health states let the server take balanced traffic (weight aside). */
  private static boolean balancing(BackendServer s) {
    return s.adminState() == AdminState.READY && s.health().takesBalancedTraffic();
  }

  private void changed(BackendServer s) {
    if (fwrr != null) {
      synchronized (changed) {
        changed.add(s);
      }
    }
    dirty = true;
  }

  Backend config() {
    return config;
  }

  List<BackendServer> servers() {
    return servers;
  }

  void invalidate() {
    dirty = true;
  }

  /**
   * The next server by the balance algorithm, leased. When every usable server is at its
   * {@code maxconn}, the request waits in the backend queue (first come, first served) until a
   * server frees a slot, or until {@code timeout queue} (default {@code timeout connect}), when it
   * gets HAProxy's 503. With no usable server at all, the answer is 503 at once.
   */
  CompletableFuture<Decision> lease(RequestView request) {
    long key = HashKeys.key(config.balance(), config.hashType(), request);
    Pending pending;
    synchronized (this) {
      if (dirty || slowstartDue()) {
        rebuild();
      }
      BackendServer s = queue.isEmpty() || !anyMaxconn ? choose(key) : null;
      if (s != null && !s.isFull()) {
        return CompletableFuture.completedFuture(new Decision.Forward(take(s)));
      }
      if (s == null && (!anyMaxconn || computePool().isEmpty())) {
        // nothing usable: 503 at once, never queued
        return CompletableFuture.completedFuture(Decision.Respond.NO_SERVER);
      }
      pending = new Pending(enqueued++);
      if (s == null) {
        queue.add(pending);
      } else {
        // the algorithm chose this server (a hash, the single backup) and it is full: its own queue
        ArrayDeque<Pending> q = serverQueues.computeIfAbsent(s, k -> new ArrayDeque<>());
        int maxqueue = s.config().settings().maxqueue();
        if (maxqueue > 0 && q.size() >= maxqueue) {
          return CompletableFuture.completedFuture(Decision.Respond.NO_SERVER);
        }
        q.add(pending);
      }
    }
    queueTimeout.ifPresent(t -> pending.cancelTimer = scheduler.schedule(t, () -> expire(pending)));
    return pending.future;
  }

  private Lease take(BackendServer s) {
    Lease lease = new Lease(s, this);
    s.counters().begin();
    if (tracksLoad) {
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

  void released(BackendServer s) {
    if (!tracksLoad && !anyMaxconn) {
      return;
    }
    Pending next = null;
    Lease lease = null;
    synchronized (this) {
      if (tracksLoad && !dirty) {
        picker.released(s);
      }
      // HAProxy's process_srv_queue: the server that freed a slot serves the oldest request waiting
      // for it, in its own queue or in the backend queue
      ArrayDeque<Pending> own = serverQueues.get(s);
      Pending mine = own == null ? null : own.peek();
      boolean canServeBackendQueue = !queue.isEmpty() && s.takesNewRequests() && servers.contains(s)
          && (fwrr == null || fwrr.isUsable(s));
      Pending shared = canServeBackendQueue ? queue.peek() : null;
      if (!s.isFull() && (mine != null || shared != null)) {
        next = mine != null && (shared == null || mine.seq < shared.seq) ? own.poll() : queue.poll();
        lease = take(s);
      }
    }
    if (next != null) {
      next.cancelTimer.run();
      next.future.complete(new Decision.Forward(lease));
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

  private BackendServer choose(long key) {
    return fwrr != null ? fwrr.next(full) : picker.pick(key, full);
  }

  private void rebuild() {
    dirty = false;
    if (fwrr != null) {
      List<BackendServer> pending;
      synchronized (changed) {
        pending = new ArrayList<>(changed);
        changed.clear();
      }
      slowstartNext = Long.MAX_VALUE;
      for (BackendServer s : servers) {
        // ramping now, or ramping at the last look (its final step to full weight is due)
        if ((s.inSlowstart() || ramping.contains(s)) && !pending.contains(s)) {
          pending.add(s);
        }
      }
      ramping.clear();
      for (BackendServer s : pending) {
        fwrr.refresh(s);
        if (s.inSlowstart()) {
          ramping.add(s);
          slowstartNext = scheduler.nanoTime() + 1_000_000_000L;
        }
      }
      return;
    }
    List<BackendServer> pool = computePool();
    slowstartNext = Long.MAX_VALUE;
    for (BackendServer s : pool) {
      if (s.inSlowstart()) {
        // the effective weight grows each second: look again in a second
        slowstartNext = scheduler.nanoTime() + 1_000_000_000L;
      }
    }
    picker = Pickers.create(config.balance(), config.hashType(), pool, BackendServer::weight,
        BackendServer::effectiveWeight, weightDivisor(), BackendServer::id, BackendServer::inFlight, random, picker);
  }

  private long slowstartNext = Long.MAX_VALUE;
  private final java.util.Set<BackendServer> ramping = new java.util.HashSet<>();

  private boolean slowstartDue() {
    return slowstartNext != Long.MAX_VALUE && scheduler.nanoTime() >= slowstartNext;
  }

  /** HAProxy's static map divides every weight by their GCD over all the backend's servers. */
  private int weightDivisor() {
    int gcd = 0;
    for (BackendServer s : servers) {
      int w = s.weight();
      while (w != 0) {
        int t = gcd % w;
        gcd = w;
        w = t;
      }
    }
    return Math.max(1, gcd);
  }
}
