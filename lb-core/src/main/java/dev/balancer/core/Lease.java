package dev.balancer.core;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One request's hold on the server chosen for it. The request counts as in flight on that server
 * until {@link #release()} (or {@link #close()}), whatever reloads happen meanwhile. Releasing
 * twice is harmless.
 */
public final class Lease implements AutoCloseable {

  private final BackendServer server;
  private final AtomicBoolean released = new AtomicBoolean();

  Lease(BackendServer server) {
    this.server = server;
  }

  /** The server this request goes to. */
  public BackendServer server() {
    return server;
  }

  /** Ends the request's hold on the server. */
  public void release() {
    if (released.compareAndSet(false, true)) {
      server.counters().end();
      server.untrack(this);
      // the server's newest runtime: after a reload, it is the one whose queues wait for this slot
      server.released();
    }
  }

  /**
   * Tells the balancer how the exchange went, for passive health checks ({@code observe}).
   *
   * @param status the HTTP status for {@link Outcome#RESPONSE}, ignored otherwise
   */
  public void report(Outcome outcome, int status) {
    server.observe(outcome, status);
  }

  private volatile Runnable abort = () -> {};

  /**
   * How to cut this request short: HAProxy's {@code on-marked-down shutdown-sessions} and {@code
   * on-marked-up shutdown-backup-sessions} call it. The proxy sets it when it sends the request.
   */
  public void onAbort(Runnable abort) {
    this.abort = java.util.Objects.requireNonNull(abort, "abort");
    server.track(this);
  }

  void abort() {
    abort.run();
  }

  private volatile java.util.Optional<String> setCookie = java.util.Optional.empty();
  private volatile java.util.Optional<String> stripCookie = java.util.Optional.empty();
  private volatile boolean nocache;

  void persistence(java.util.Optional<String> setCookie, java.util.Optional<String> stripCookie, boolean nocache) {
    this.setCookie = setCookie;
    this.stripCookie = stripCookie;
    this.nocache = nocache;
  }

  /**
   * The {@code Set-Cookie} value to add to the response (cookie persistence: a new client, or one
   * whose cookie named another server), exactly as HAProxy writes it.
   */
  public java.util.Optional<String> setCookie() {
    return setCookie;
  }

  /** The cookie to remove from the request before the server sees it ({@code cookie ... indirect}). */
  public java.util.Optional<String> stripCookie() {
    return stripCookie;
  }

  /**
   * Whether a response carrying {@link #setCookie()} must get {@code Cache-Control: private} when it
   * looks cacheable ({@code cookie ... nocache}).
   */
  public boolean nocache() {
    return nocache;
  }

  /** Whether {@link #release()} was called. */
  public boolean isReleased() {
    return released.get();
  }

  @Override
  public void close() {
    release();
  }

  @Override
  public String toString() {
    return "Lease[" + server.backend() + "/" + server.name() + (released.get() ? ", released]" : "]");
  }
}
