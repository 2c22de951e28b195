package dev.balancer.core.internal;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** Live counters of one server, shared by every snapshot in which the server keeps its identity. */
public final class ServerCounters {

  private final AtomicInteger inFlight = new AtomicInteger();
  private final LongAdder total = new LongAdder();
  private final AtomicInteger max = new AtomicInteger();

  /** A request starts on the server. */
  public void begin() {
    max.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
    total.increment();
  }

  /** The most requests it had in flight at once. */
  public int max() {
    return max.get();
  }

  /** A request on the server ends. */
  public void end() {
    inFlight.decrementAndGet();
  }

  public int inFlight() {
    return inFlight.get();
  }

  public long total() {
    return total.sum();
  }
}
