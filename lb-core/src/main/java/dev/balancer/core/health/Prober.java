package dev.balancer.core.health;

import java.util.concurrent.CompletableFuture;

/**
 * Runs one check against a server. The default, {@link #sockets()}, uses non-blocking sockets on
 * the JDK's shared channel group: no thread is held while a server is slow or silent.
 */
public interface Prober {

  /** Runs the check; the future completes with its result, never exceptionally. */
  CompletableFuture<CheckResult> probe(CheckTarget target);

  /** TCP connect checks and HTTP checks over plain sockets. */
  static Prober sockets() {
    return new SocketProber();
  }
}
