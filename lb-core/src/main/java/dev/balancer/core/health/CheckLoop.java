package dev.balancer.core.health;

import dev.balancer.core.Scheduler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread that runs every health check: its sockets (a {@link Selector}) and its timers (a heap
 * of deadlines) live on the same thread, as in HAProxy's event loop. A check that comes due,
 * connects, sends, reads and reschedules itself never hands work to another thread, which is what
 * made checks expensive: with a timer thread and an I/O pool, most of the CPU went to waking
 * threads, not to the checks.
 *
 * <p>Work from other threads (a reload starting checks) goes through a queue and one {@link
 * Selector#wakeup()}.
 */
final class CheckLoop implements Scheduler {

  private static final Logger LOG = LoggerFactory.getLogger(CheckLoop.class);

  /** Something waiting for a socket to be ready. */
  interface Handler {
    void ready(SelectionKey key);
  }

  private static final class Timer implements Comparable<Timer> {
    final long due;
    final long seq;
    volatile Runnable task;

    Timer(long due, long seq, Runnable task) {
      this.due = due;
      this.seq = seq;
      this.task = task;
    }

    @Override
    public int compareTo(Timer o) {
      int c = Long.compare(due - o.due, 0);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  /**
   * Timers run up to this late, so that one wake-up serves all the checks due within it: 1,000
   * servers at {@code inter 2s} come due every 2 ms, and a wake-up costs about as much as a check.
   * Socket events are not delayed: a check's duration is measured as precisely as before.
   */
  private static final long SLICE_MILLIS = 10;
  private static final long SLICE_NANOS = SLICE_MILLIS * 1_000_000;

  private static volatile CheckLoop shared;

  private final Selector selector;
  private final Thread thread;
  private final Queue<Runnable> inbox = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean wakeupPending = new AtomicBoolean();
  /** Touched on the loop thread only. */
  private final PriorityQueue<Timer> timers = new PriorityQueue<>();
  private long seq;

  private CheckLoop() {
    try {
      selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    thread = new Thread(this::loop, "health-check");
    thread.setDaemon(true);
    thread.start();
  }

  /** The process-wide loop, started on first use. */
  static CheckLoop shared() {
    CheckLoop l = shared;
    if (l == null) {
      synchronized (CheckLoop.class) {
        l = shared;
        if (l == null) {
          l = new CheckLoop();
          shared = l;
        }
      }
    }
    return l;
  }

  Selector selector() {
    return selector;
  }

  boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  /** Runs {@code task} on the loop: now if already there, else at the loop's next turn. */
  void execute(Runnable task) {
    if (inLoop()) {
      task.run();
    } else {
      inbox.add(task);
      if (wakeupPending.compareAndSet(false, true)) {
        selector.wakeup();
      }
    }
  }

  @Override
  public Runnable schedule(Duration delay, Runnable task) {
    long due = System.nanoTime() + Math.max(0, delay.toNanos());
    if (inLoop()) {
      Timer t = new Timer(due, seq++, task);
      timers.add(t);
      return () -> t.task = null;
    }
    // the timer is created on the loop; a cancel from here is a flag it reads when due
    AtomicBoolean cancelled = new AtomicBoolean();
    execute(() -> timers.add(new Timer(due, seq++, () -> {
      if (!cancelled.get()) {
        task.run();
      }
    })));
    return () -> cancelled.set(true);
  }

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  private void loop() {
    while (true) {
      try {
        turn();
      } catch (Throwable e) {
        // one check's bug must not stop every other check
        LOG.error("health check loop: {}", e.toString(), e);
      }
    }
  }

  private void turn() throws IOException {
    long wait = runDueTimers();
    wakeupPending.set(false);
    Runnable r;
    while ((r = inbox.poll()) != null) {
      r.run();
    }
    if (!timers.isEmpty()) {
      wait = Math.min(wait, Math.max(0, timers.peek().due - System.nanoTime()));
    }
    int n;
    if (wait == 0 || !inbox.isEmpty()) {
      n = selector.selectNow();
    } else {
      // rounded up to the next slice, so that the timers due within one slice run in one wake-up
      n = selector.select(wait == Long.MAX_VALUE ? 0 : (wait + SLICE_NANOS - 1) / SLICE_NANOS * SLICE_MILLIS);
    }
    if (n > 0) {
      var it = selector.selectedKeys().iterator();
      while (it.hasNext()) {
        SelectionKey key = it.next();
        it.remove();
        if (key.isValid() && key.attachment() instanceof Handler h) {
          try {
            h.ready(key);
          } catch (RuntimeException e) {
            LOG.error("health check: {}", e.toString(), e);
          }
        }
      }
    }
  }

  /** Runs the timers that are due; returns the nanoseconds until the next one. */
  private long runDueTimers() {
    long now = System.nanoTime();
    Timer t;
    while ((t = timers.peek()) != null && t.due - now <= 0) {
      timers.poll();
      Runnable task = t.task;
      if (task != null) {
        try {
          task.run();
        } catch (RuntimeException e) {
          LOG.error("health check timer: {}", e.toString(), e);
        }
      }
    }
    return t == null ? Long.MAX_VALUE : t.due - now;
  }
}
