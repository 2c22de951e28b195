package dev.balancer.jetty.direct;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import org.eclipse.jetty.util.BufferUtil;

/**
 * Buffers of one size that a connection holds only while it has bytes in them, as HAProxy takes a
 * buffer per stream and gives it back between requests: ten thousand idle keep-alive connections
 * hold none. A buffer is given back only when nothing can still read or write it; one that may be
 * (its connection closed under it) is left to the collector instead.
 *
 * <p>Each selector (lane) has its own caches, so that taking and giving back touch memory its
 * thread alone writes; only the count of buffers held is shared, striped.
 */
public final class BufferCache {
  private final int size;
  private final boolean direct;
  /** How many free buffers this cache keeps: its share of its proxy's budget, read at each give. */
  private final IntSupplier keep;
  private final ConcurrentLinkedQueue<ByteBuffer> free = new ConcurrentLinkedQueue<>();
  private final AtomicInteger kept = new AtomicInteger();
  /** Buffers taken and not given back or dropped: what connections hold (shared by all lanes). */
  private final LongAdder held;

  BufferCache(int size, boolean direct, IntSupplier keep, LongAdder held) {
    this.size = size;
    this.direct = direct;
    this.keep = keep;
    this.held = held;
  }

  /** An empty buffer in flush mode (position = limit = 0). */
  ByteBuffer take() {
    held.increment();
    ByteBuffer b = free.poll();
    if (b != null) {
      kept.decrementAndGet();
      BufferUtil.clear(b);
      return b;
    }
    b = direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
    BufferUtil.clear(b);
    return b;
  }

  /** Gives a buffer back: nothing may use it from now on. */
  void give(ByteBuffer b) {
    held.decrement();
    if (kept.incrementAndGet() <= keep.getAsInt()) {
      free.offer(b);
    } else {
      kept.decrementAndGet();
    }
  }

  /** Forgets a buffer that something may still use: the collector takes it. */
  void drop() {
    held.decrement();
  }
}
