package dev.balancer.core.stats;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Traffic counters of one frontend, backend or server, as HAProxy's stats page shows them (reference
 * §9): the proxy updates them as requests end, the stats page, the CSV and the metrics read them.
 * A frontend's or backend's counters live as long as its name stays in the configuration, a server's
 * as long as its identity: reloads keep them. Thread-safe and cheap to update (adders).
 */
public final class Counters {

  private final AtomicInteger current = new AtomicInteger();
  private final AtomicInteger max = new AtomicInteger();
  private final AtomicInteger queueMax = new AtomicInteger();
  private final LongAdder sessions = new LongAdder();
  private final LongAdder requests = new LongAdder();
  private final LongAdder bytesIn = new LongAdder();
  private final LongAdder bytesOut = new LongAdder();
  private final LongAdder deniedRequests = new LongAdder();
  private final LongAdder deniedResponses = new LongAdder();
  private final LongAdder requestErrors = new LongAdder();
  private final LongAdder connectionErrors = new LongAdder();
  private final LongAdder responseErrors = new LongAdder();
  private final LongAdder retries = new LongAdder();
  private final LongAdder redispatches = new LongAdder();
  private final LongAdder clientAborts = new LongAdder();
  private final LongAdder serverAborts = new LongAdder();
  private final LongAdder checkFailures = new LongAdder();
  private final LongAdder[] statusClasses = {new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder(),
      new LongAdder(), new LongAdder()};
  private volatile long lastSession;
  private final Rate sessionRate;
  private final Rate requestRate;

  /** Counters on the system's clock. */
  public Counters() {
    this(System::nanoTime);
  }

  /** Counters whose rates read {@code nanos}, a monotonic clock in nanoseconds. */
  public Counters(java.util.function.LongSupplier nanos) {
    this.sessionRate = new Rate(nanos);
    this.requestRate = new Rate(nanos);
  }

  /** A request (HAProxy: a stream) begins: current and total sessions go up. */
  public void begin() {
    max.accumulateAndGet(current.incrementAndGet(), Math::max);
    sessions.increment();
    sessionRate.increment();
    lastSession = System.currentTimeMillis();
  }

  /** A request ends. */
  public void end() {
    current.decrementAndGet();
  }

  /**
   * An HTTP response went to the client: counted by status class ({@code hrsp_1xx} ... {@code
   * hrsp_other}), with the bytes of the exchange.
   */
  public void response(int status, long in, long out) {
    requests.increment();
    requestRate.increment();
    statusClasses[status >= 100 && status < 600 ? status / 100 - 1 : 5].increment();
    bytesIn.add(Math.max(0, in));
    bytesOut.add(Math.max(0, out));
  }

  /** A queue length seen: keeps the highest ({@code qmax}). */
  public void queued(int length) {
    queueMax.accumulateAndGet(length, Math::max);
  }

  public void deniedRequest() {
    deniedRequests.increment();
  }

  public void deniedResponse() {
    deniedResponses.increment();
  }

  public void requestError() {
    requestErrors.increment();
  }

  public void connectionError() {
    connectionErrors.increment();
  }

  public void responseError() {
    responseErrors.increment();
  }

  public void retry() {
    retries.increment();
  }

  public void redispatch() {
    redispatches.increment();
  }

  public void clientAbort() {
    clientAborts.increment();
  }

  public void serverAbort() {
    serverAborts.increment();
  }

  public void checkFailure() {
    checkFailures.increment();
  }

  /** {@code scur}. */
  public int current() {
    return current.get();
  }

  /** {@code smax}. */
  public int max() {
    return max.get();
  }

  /** {@code qmax}. */
  public int queueMax() {
    return queueMax.get();
  }

  /** {@code stot}. */
  public long sessions() {
    return sessions.sum();
  }

  /** {@code req_tot}: HTTP responses counted. */
  public long requests() {
    return requests.sum();
  }

  /** {@code bin}. */
  public long bytesIn() {
    return bytesIn.sum();
  }

  /** {@code bout}. */
  public long bytesOut() {
    return bytesOut.sum();
  }

  public long deniedRequests() {
    return deniedRequests.sum();
  }

  public long deniedResponses() {
    return deniedResponses.sum();
  }

  public long requestErrors() {
    return requestErrors.sum();
  }

  public long connectionErrors() {
    return connectionErrors.sum();
  }

  public long responseErrors() {
    return responseErrors.sum();
  }

  public long retries() {
    return retries.sum();
  }

  public long redispatches() {
    return redispatches.sum();
  }

  public long clientAborts() {
    return clientAborts.sum();
  }

  public long serverAborts() {
    return serverAborts.sum();
  }

  public long checkFailures() {
    return checkFailures.sum();
  }

  /** Responses of a status class: 1 to 5 for 1xx to 5xx, 0 for the others. */
  public long responses(int statusClass) {
    return statusClasses[statusClass >= 1 && statusClass <= 5 ? statusClass - 1 : 5].sum();
  }

  /** When the last session began (epoch milliseconds), 0 if none. */
  public long lastSession() {
    return lastSession;
  }

  /** Sessions (requests begun) over the last second ({@code rate}), and the most a second has had ({@code rate_max}). */
  public Rate sessionRate() {
    return sessionRate;
  }

  /** HTTP responses over the last second ({@code req_rate}, {@code req_rate_max}). */
  public Rate requestRate() {
    return requestRate;
  }
}
