package dev.balancer.core.stats;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Events per second as HAProxy's stats show them ({@code rate}, {@code req_rate}; HAProxy's
 * {@code freq_ctr}): the events of the current second plus the previous second's, weighted by the
 * part of it still inside the last 1,000 ms. And the highest count a second has seen ({@code
 * rate_max}). Cheap to count from many threads: an adder per second, a lock only when the second
 * turns.
 */
public final class Rate {

  private final LongSupplier nanos;
  private final LongAdder current = new LongAdder();
  private final AtomicLong max = new AtomicLong();
  /** The second {@link #current} counts, in whole seconds of the clock. */
  private volatile long second;
  private volatile long previous;

  /** @param nanos a monotonic clock in nanoseconds ({@code System::nanoTime}, or a test's; it may be negative) */
  public Rate(LongSupplier nanos) {
    this.nanos = nanos;
    this.second = Math.floorDiv(nanos.getAsLong(), 1_000_000_000L);
  }

  /** One event now. */
  public void increment() {
    long s = Math.floorDiv(nanos.getAsLong(), 1_000_000_000L);
    if (s != second) {
      turn(s);
    }
    current.increment();
  }

  private synchronized void turn(long s) {
    long was = second;
    if (s <= was) {
      return; // another thread turned it already
    }
    long count = current.sumThenReset();
    max.accumulateAndGet(count, Math::max);
    previous = s == was + 1 ? count : 0;
    second = s;
  }

  /** Events over the last second. */
  public long perSecond() {
    long at = second; // before the clock: a second turned meanwhile reads as the previous one
    long now = nanos.getAsLong();
    long s = Math.floorDiv(now, 1_000_000_000L);
    long cur;
    long prev;
    if (s == at) {
      cur = current.sum();
      prev = previous;
    } else if (s == at + 1) {
      cur = 0;
      prev = current.sum();
    } else {
      return 0;
    }
    long intoSecond = Math.floorMod(now, 1_000_000_000L);
    return cur + (prev * (1_000_000_000L - intoSecond) + 999_999_999L) / 1_000_000_000L;
  }

  /** The most events a second has had. */
  public long max() {
    // the second being counted, finished or not, is one of them
    return Math.max(max.get(), current.sum());
  }
}
