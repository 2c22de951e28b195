package dev.balancer.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Time that moves only when a test says so. */
final class ManualScheduler implements Scheduler {

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

  /** Moves time forward and runs what fell due. */
  void advance(Duration d) {
    List<Task> due = new ArrayList<>();
    synchronized (this) {
      now += d.toNanos();
      tasks.removeIf(t -> {
        if (t.due() <= now) {
          due.add(t);
          return true;
        }
        return false;
      });
    }
    for (Task t : due) {
      if (!t.cancelled()[0]) {
        t.task().run();
      }
    }
  }
}
