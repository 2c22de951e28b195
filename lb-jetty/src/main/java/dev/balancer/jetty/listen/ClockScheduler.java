package dev.balancer.jetty.listen;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Jetty's {@link Scheduler} on lb-core's clock: what Jetty times with it (a connect's timeout, the
 * HTTP client's) waits on the balancer's {@link dev.balancer.core.Scheduler}, so a test with a
 * manual clock drives it. Jetty's idle timeouts also schedule their checks here but measure idleness
 * on the system's clock, so the proxy's own timeouts do not use them.
 */
public final class ClockScheduler extends AbstractLifeCycle implements Scheduler {
  private final java.util.function.Supplier<dev.balancer.core.Scheduler> clock;

  public ClockScheduler(dev.balancer.core.Scheduler clock) {
    java.util.Objects.requireNonNull(clock, "clock");
    this.clock = () -> clock;
  }

  /** A clock looked up at each use (for a selector manager made before its owner has one). */
  public ClockScheduler(java.util.function.Supplier<dev.balancer.core.Scheduler> clock) {
    this.clock = java.util.Objects.requireNonNull(clock, "clock");
  }

  @Override
  public Task schedule(Runnable task, long delay, TimeUnit units) {
    AtomicBoolean done = new AtomicBoolean();
    Runnable cancel = clock.get().schedule(Duration.ofNanos(units.toNanos(Math.max(0, delay))), () -> {
      if (done.compareAndSet(false, true)) {
        task.run();
      }
    });
    return () -> {
      if (done.compareAndSet(false, true)) {
        cancel.run();
        return true;
      }
      return false;
    };
  }
}
