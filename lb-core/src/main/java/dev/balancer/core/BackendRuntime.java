package dev.balancer.core;

import dev.balancer.config.model.Backend;
import dev.balancer.config.model.Balance;
import dev.balancer.core.balance.Picker;
import dev.balancer.core.balance.Pickers;
import java.util.ArrayList;
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

  /** No server is refused for being full: maxconn queueing is not implemented yet. */
  private static final Predicate<BackendServer> NEVER_FULL = s -> false;

  private final Backend config;
  private final List<BackendServer> servers;
  private final RandomGenerator random;
  private final boolean tracksLoad;
  private volatile boolean dirty = true;
  private Picker<BackendServer> picker;

  BackendRuntime(Backend config, List<BackendServer> servers, RandomGenerator random) {
    this.config = config;
    this.servers = List.copyOf(servers);
    this.random = random;
    Balance.Algorithm a = config.balance().algorithm();
    this.tracksLoad = a == Balance.Algorithm.LEASTCONN;
    for (BackendServer s : servers) {
      s.onChange(this::invalidate);
    }
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

  /** The next server by the balance algorithm, leased; {@code null} when none is usable. */
  Lease lease(RequestView request) {
    long key = HashKeys.key(config.balance(), config.hashType(), request);
    synchronized (this) {
      if (dirty) {
        rebuild();
      }
      BackendServer s = picker.pick(key, NEVER_FULL);
      if (s == null) {
        return null;
      }
      Lease lease = new Lease(s, this);
      s.counters().begin();
      if (tracksLoad) {
        picker.taken(s);
      }
      return lease;
    }
  }

  void released(BackendServer s) {
    if (tracksLoad) {
      synchronized (this) {
        if (!dirty) {
          picker.released(s);
        }
      }
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

  private void rebuild() {
    dirty = false;
    picker = Pickers.create(config.balance(), config.hashType(), computePool(),
        BackendServer::weight, weightDivisor(), BackendServer::id, BackendServer::inFlight, random);
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
