package dev.balancer.core;

import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Where lb-core waits for time to pass (queue timeouts, slow start): a small interface so that tests
 * drive time by hand instead of sleeping.
 */
public interface Scheduler {

  /** Runs {@code task} after {@code delay}; the returned action cancels it. */
  Runnable schedule(Duration delay, Runnable task);

  /** Monotonic time in nanoseconds. */
  long nanoTime();

  /** Wall-clock time in seconds since the epoch (the dates in {@code maxidle}/{@code maxlife} cookies). */
  default long epochSeconds() {
    return System.currentTimeMillis() / 1000;
  }

  /** Real time, on one shared daemon thread. */
  static Scheduler system() {
    return SystemScheduler.INSTANCE;
  }

  /** The default {@link Scheduler}. */
  final class SystemScheduler implements Scheduler {
    static final SystemScheduler INSTANCE = new SystemScheduler();

    private final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "balancer-timer");
      t.setDaemon(true);
      return t;
    });

    private SystemScheduler() {
      // a cancelled task leaves the queue at once: a timeout cancelled when its request ends must
      // not hold the request until its time comes (at thousands of requests a second, the heap)
      executor.setRemoveOnCancelPolicy(true);
    }

    @Override
    public Runnable schedule(Duration delay, Runnable task) {
      ScheduledFuture<?> f = executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
      return () -> f.cancel(false);
    }

    @Override
    public long nanoTime() {
      return System.nanoTime();
    }
  }
}
