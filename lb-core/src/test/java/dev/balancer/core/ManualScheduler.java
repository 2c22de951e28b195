package dev.balancer.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Time that moves only when a test says so (lb-core's test-jar: lb-jetty's tests drive timeouts with it). */
public final class ManualScheduler implements Scheduler {

  private record Task(long due, Runnable task, boolean[] cancelled) {}

  private final List<Task> tasks = new ArrayList<>();
  private long now;

  @Override
  public synchronized Runnable schedule(Duration delay, Runnable task) {
    boolean[] cancelled = {false};
    tasks.add(new Task(now + delay.toNanos(), task, cancelled));
    return () -> cancelled[0] = true;
  }

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  /** Wall-clock time: 2026-11-26T00:00:00Z when the test starts, moving with {@link #advance}. */
  @Override
  public synchronized long epochSeconds() {
    return 1_795_651_200L + now / 1_000_000_000L;
  }

  /** How long from now each task not yet run nor cancelled is due: a test waits until what it will drive is scheduled. */
  public synchronized List<Duration> dueIn() {
    List<Duration> due = new ArrayList<>();
    for (Task t : tasks) {
      if (!t.cancelled()[0]) {
        due.add(Duration.ofNanos(t.due() - now));
      }
    }
    return due;
  }

  /** Moves time forward, running what falls due in order, each at its own time. */
  public void advance(Duration d) {
    long target;
    synchronized (this) {
      target = now + d.toNanos();
    }
    while (true) {
      Task next = null;
      synchronized (this) {
        for (Task t : tasks) {
          if (t.due() <= target && (next == null || t.due() < next.due())) {
            next = t;
          }
        }
        if (next == null) {
          now = target;
          return;
        }
        tasks.remove(next);
        now = Math.max(now, next.due());
      }
      if (!next.cancelled()[0]) {
        next.task().run();
      }
    }
  }
}
