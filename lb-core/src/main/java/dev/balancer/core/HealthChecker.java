package dev.balancer.core;

import dev.balancer.config.model.Backend;
import dev.balancer.config.model.ServerSettings;
import dev.balancer.core.health.CheckResult;
import dev.balancer.core.health.CheckTarget;
import dev.balancer.core.internal.health.HealthMachine;
import dev.balancer.core.health.Prober;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the active health checks of every server with {@code check}, on a {@link Scheduler} (no
 * thread per server) and a {@link Prober}. It follows HAProxy's timing: the first checks spread over
 * the smallest {@code inter} in configuration order; then {@code inter} when fully up, {@code
 * fastinter} in transition, {@code downinter} when down; no checks in maintenance, and leaving it
 * starts again at {@code UP 1/3}. A reload keeps the checks (and the health) of servers whose
 * identity is unchanged, starts new ones and stops the removed ones. Transitions are logged in
 * HAProxy's words.
 */
final class HealthChecker implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(HealthChecker.class);

  private final Scheduler scheduler;
  private final Prober prober;
  private final Map<BackendServer, Check> checks = new IdentityHashMap<>();
  private boolean closed;

  HealthChecker(Scheduler scheduler, Prober prober) {
    this.scheduler = scheduler;
    this.prober = prober;
  }

  /** Aligns the running checks with a configuration snapshot's servers. */
  synchronized void sync(List<BackendRuntime> backends) {
    if (closed) {
      return;
    }
    Map<BackendServer, Check> keep = new IdentityHashMap<>();
    List<Check> fresh = new ArrayList<>();
    for (BackendRuntime be : backends) {
      for (BackendServer s : be.servers()) {
        if (!s.config().check()) {
          continue;
        }
        Check c = checks.remove(s);
        if (c == null) {
          c = new Check(s);
          fresh.add(c);
        }
        c.backend = be;
        keep.put(s, c);
      }
    }
    for (Check gone : checks.values()) {
      gone.stop();
    }
    checks.clear();
    checks.putAll(keep);
    // HAProxy spreads the first checks: the k-th checked server starts at min_inter × k / n
    Duration minInter = fresh.stream().map(c -> c.server.config().settings().inter()).min(Duration::compareTo)
        .orElse(Duration.ZERO);
    for (int k = 0; k < fresh.size(); k++) {
      fresh.get(k).schedule(minInter.multipliedBy(k).dividedBy(fresh.size()));
    }
  }

  /** The last result of a server's check, if it has run. */
  synchronized Optional<CheckResult> lastResult(BackendServer server) {
    Check c = checks.get(server);
    return c == null ? Optional.empty() : Optional.ofNullable(c.last);
  }

  /** HAProxy's wording of a checked server's state ({@code UP 1/3}...). */
  synchronized Optional<String> display(BackendServer server) {
    Check c = checks.get(server);
    return c == null ? Optional.empty() : Optional.of(c.displayState());
  }

  @Override
  public synchronized void close() {
    closed = true;
    checks.values().forEach(Check::stop);
    checks.clear();
  }

  /** The check of one server. */
  private final class Check {
    final BackendServer server;
    final HealthMachine machine;
    volatile BackendRuntime backend;
    volatile boolean stopped;
    Runnable cancel = () -> {};
    long nextDue = Long.MAX_VALUE;
    CheckResult last;
    CheckTarget target;
    Object targetServer;
    Object targetBackend;
    boolean wasMaint;
    int consecutiveErrors;

    Check(BackendServer server) {
      this.server = server;
      ServerSettings s = server.config().settings();
      this.machine = new HealthMachine(s.rise(), s.fall());
      this.wasMaint = server.adminState() == AdminState.MAINT;
      // a newly checked server starts UP, one failure away from DOWN (HAProxy's "UP 1/3")
      server.setHealth(machine.state());
      if (s.observe().isPresent()) {
        server.observer(this::observed);
      }
    }

    /**
     * Passive checks: HAProxy's {@code __health_adjust}. With {@code observe layer4}, connection
     * errors count; with {@code layer7}, timeouts, invalid responses and statuses other than
     * 100–499, 501 and 505 too. At {@code error-limit} consecutive errors, {@code on-error} acts,
     * and the next check comes at {@code fastinter} at the latest.
     */
    private void observed(Outcome outcome, int status) {
      ServerSettings s = server.config().settings();
      boolean layer7 = s.observe().orElse(ServerSettings.Observe.LAYER4) == ServerSettings.Observe.LAYER7;
      boolean error = switch (outcome) {
        case CONNECTION_ERROR -> true;
        case TIMEOUT, INVALID_RESPONSE -> layer7;
        case RESPONSE -> layer7 && !(status >= 100 && status <= 499 || status == 501 || status == 505);
      };
      synchronized (this) {
        if (stopped) {
          return;
        }
        if (!error) {
          consecutiveErrors = 0;
          return;
        }
        if (++consecutiveErrors < s.errorLimit()) {
          return;
        }
        String info = "Detected " + consecutiveErrors + " consecutive errors, last one was: "
            + (outcome == Outcome.RESPONSE ? "HTTP status " + status : outcome.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '));
        consecutiveErrors = 0;
        switch (s.onError()) {
          case FASTINTER -> { }
          case SUDDEN_DEATH -> {
            machine.suddenDeath();
            apply(new CheckResult(dev.balancer.core.health.CheckStatus.HANA, 0, info, Duration.ZERO));
          }
          case FAIL_CHECK -> apply(new CheckResult(dev.balancer.core.health.CheckStatus.HANA, 0, info, Duration.ZERO));
          case MARK_DOWN -> {
            machine.markDownNext();
            apply(new CheckResult(dev.balancer.core.health.CheckStatus.HANA, 0, info, Duration.ZERO));
          }
        }
        Duration fast = s.effectiveFastinter();
        if (nextDue - scheduler.nanoTime() > fast.toNanos()) {
          cancel.run();
          schedule(fast);
        }
      }
    }

    synchronized String displayState() {
      return server.adminState() == AdminState.MAINT ? "MAINT" : machine.display();
    }

    void schedule(Duration delay) {
      synchronized (this) {
        if (!stopped) {
          nextDue = scheduler.nanoTime() + delay.toNanos();
          cancel = scheduler.schedule(delay, this::run);
        }
      }
    }

    void stop() {
      synchronized (this) {
        stopped = true;
        cancel.run();
        server.observer((o, st) -> { });
      }
    }

    private void run() {
      synchronized (this) {
        if (stopped) {
          return;
        }
        nextDue = Long.MAX_VALUE;
      }
      ServerSettings settings = server.config().settings();
      if (server.adminState() == AdminState.MAINT) {
        // HAProxy does not check a server in maintenance
        synchronized (this) {
          wasMaint = true;
        }
        schedule(settings.inter());
        return;
      }
      synchronized (this) {
        if (wasMaint) {
          wasMaint = false;
          machine.reset();
          server.setHealth(machine.state());
        }
      }
      prober.probe(target()).whenComplete((result, failure) -> {
        if (result != null) {
          apply(result);
        }
        schedule(machine.interval(server.config().settings()));
      });
    }

    /** The check's target, computed again only when a reload changed the server or its backend. */
    private CheckTarget target() {
      Backend be = backend.config();
      dev.balancer.config.model.Server sc = server.config();
      if (target == null || targetServer != sc || targetBackend != be) {
        target = target(sc.settings(), be);
        targetServer = sc;
        targetBackend = be;
      }
      return target;
    }

    private CheckTarget target(ServerSettings s, Backend be) {
      Duration inter = s.inter();
      Duration connect = be.timeouts().connect().filter(c -> c.compareTo(inter) < 0).orElse(inter);
      Optional<Duration> check = be.timeouts().get(dev.balancer.config.model.TimeoutKind.CHECK);
      Duration total = check.map(connect::plus).orElse(inter);
      return new CheckTarget(s.checkAddr().orElse(server.host()), s.checkPort().orElse(server.port()),
          be.httpCheck(), connect, total);
    }

    private void apply(CheckResult r) {
      boolean changed;
      synchronized (this) {
        last = r;
        int before = machine.health();
        boolean wasUp = machine.isUp();
        if (wasUp && !r.status().success()) {
          // HAProxy's chkfail: failed checks while the server was up
          server.stats().checkFailure();
        }
        changed = machine.apply(r.status());
        if (changed) {
          server.setHealth(machine.state());
        }
        if (wasUp != machine.isUp()) {
          logTransition(r);
          shutdownSessions(wasUp);
        } else if (before != machine.health()) {
          String line = "Health check for server " + server.backend() + "/" + server.name() + " "
              + (r.status().success() ? "succeeded" : "failed") + ", reason: " + r.status().description() + detail(r)
              + ", check duration: " + r.duration().toMillis() + "ms, status: " + progress() + ".";
          if (r.status().success()) {
            LOG.info(line);
          } else {
            LOG.warn(line);
          }
        }
      }
    }

    /** {@code on-marked-down shutdown-sessions} and {@code on-marked-up shutdown-backup-sessions}. */
    private void shutdownSessions(boolean wasUp) {
      ServerSettings s = server.config().settings();
      if (wasUp && s.shutdownSessionsOnDown()) {
        int n = server.abortAll();
        if (n > 0) {
          LOG.warn("Server {}/{}: {} sessions shut down (on-marked-down shutdown-sessions).", server.backend(), server.name(), n);
        }
      } else if (!wasUp && s.shutdownBackupSessionsOnUp() && !server.backup()) {
        for (BackendServer b : backend.servers()) {
          if (b.backup()) {
            b.abortAll();
          }
        }
      }
    }

    private String progress() {
      String d = machine.display();
      // "UP 1/3" is written "1/3 UP" by HAProxy in these lines
      int space = d.indexOf(' ');
      return space < 0 ? d : d.substring(space + 1) + " " + d.substring(0, space);
    }

    private void logTransition(CheckResult r) {
      BackendRuntime be = backend;
      int active = 0;
      int backup = 0;
      for (BackendServer s : be.servers()) {
        if (s.adminState() != AdminState.MAINT && s.health().takesPersistentTraffic()) {
          if (s.backup()) {
            backup++;
          } else {
            active++;
          }
        }
      }
      boolean up = machine.isUp();
      String msg = "Server " + server.backend() + "/" + server.name() + " is " + (up ? "UP" : "DOWN")
          + ", reason: " + r.status().description() + detail(r) + ", check duration: " + r.duration().toMillis()
          + "ms. " + active + " active and " + backup + " backup servers " + (up ? "online" : "left") + "."
          + (up ? " 0 sessions requeued, " + be.queued() + " total in queue."
              : " " + server.inFlight() + " sessions active, 0 requeued, " + be.queued() + " remaining in queue.");
      if (up) {
        LOG.info(msg);
      } else {
        LOG.warn(msg);
        if (active == 0 && backup == 0) {
          LOG.error("backend '{}' has no server available!", server.backend());
        }
      }
    }

    private static String detail(CheckResult r) {
      StringBuilder b = new StringBuilder();
      if (r.code() > 0) {
        b.append(", code: ").append(r.code());
      }
      if (!r.info().isEmpty()) {
        b.append(", info: \"").append(r.info()).append('"');
      }
      return b.toString();
    }
  }
}
