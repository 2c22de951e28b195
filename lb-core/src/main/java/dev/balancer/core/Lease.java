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

  private volatile java.util.List<HeaderEdit> requestEdits = java.util.List.of();
  private volatile java.util.function.Supplier<java.util.List<HeaderEdit>> responseEdits = java.util.List::of;

  void headerRules(java.util.List<HeaderEdit> requestEdits, java.util.function.Supplier<java.util.List<HeaderEdit>> responseEdits) {
    this.requestEdits = java.util.List.copyOf(requestEdits);
    this.responseEdits = responseEdits;
  }

  /**
   * What the {@code http-request} rules and {@code option forwardfor} change in the request the
   * server receives, in order.
   */
  public java.util.List<HeaderEdit> requestHeaderEdits() {
    return requestEdits;
  }

  /** What the {@code http-response} rules change in the response the client receives, in order. */
  public java.util.List<HeaderEdit> responseHeaderEdits() {
    return responseEdits.get();
  }

  private volatile Persistence.CookieAction cookies;

  void cookies(Persistence.CookieAction cookies) {
    this.cookies = cookies;
  }

  /** Characters 3 and 4 of HAProxy's termination state for this request's cookie, {@code --} without one. */
  public String cookieLogFlags() {
    Persistence.CookieAction c = cookies;
    return c == null ? "--" : c.logFlags();
  }

  /** Whether the client's cookie chose this server (then retries follow {@code option redispatch}). */
  public boolean isPersistent() {
    Persistence.CookieAction c = cookies;
    return c != null && c.stuck();
  }

  /** Whether the backend persists clients by cookie: then the proxy passes both headers through this lease. */
  public boolean hasCookiePersistence() {
    return cookies != null;
  }

  /**
   * The {@code Cookie} header as the server must see it ({@code indirect} removes ours, {@code
   * prefix} removes the server's prefix); empty when nothing is left of it.
   */
  public String forwardCookie(String header) {
    Persistence.CookieAction c = cookies;
    return c == null ? header : c.forwardCookie(header);
  }

  /**
   * The {@code Set-Cookie} headers the client gets, from those the server sent, byte for byte as
   * HAProxy writes them: ours inserted, the server's rewritten or prefixed, or removed.
   */
  public java.util.List<String> responseCookies(java.util.List<String> fromServer) {
    Persistence.CookieAction c = cookies;
    return c == null ? fromServer : c.responseCookies(fromServer);
  }

  /**
   * Whether a response whose cookies we changed must get {@code Cache-Control: private} when it
   * looks cacheable ({@code cookie ... nocache}).
   */
  public boolean nocache() {
    Persistence.CookieAction c = cookies;
    return c != null && c.nocache();
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
