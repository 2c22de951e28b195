package dev.balancer.core.health;

import dev.balancer.core.Scheduler;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Runs one check against a server. The default, {@link #sockets()}, uses non-blocking sockets on
 * one shared event-loop thread: no thread is held while a server is slow or silent.
 */
public interface Prober {

  /** Runs the check; the future completes with its result, never exceptionally. */
  CompletableFuture<CheckResult> probe(CheckTarget target);

  /**
   * The thread this prober runs its I/O on, as a {@link Scheduler}: when the balancer runs on real
   * time, check timers run there too, so that a check never hands work from one thread to another.
   */
  default Optional<Scheduler> scheduler() {
    return Optional.empty();
  }

  /** TCP connect checks and HTTP checks over plain sockets. */
  static Prober sockets() {
    return new SocketProber();
  }
}
