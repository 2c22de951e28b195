package dev.balancer.core.internal.balance;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * {@code leastconn} ({@code lb_fwlc.c}): servers ordered by a key, 0 when idle and
 * {@code (load + 1) × 4096 / eweight} otherwise; among equals, the one queued first wins, and a
 * server whose key changes goes behind its new equals, so idle servers take turns in the order they
 * became idle. O(log n) per pick and per change.
 */
final class LeastConnPicker<T> implements Picker<T> {

  private static final long WEIGHT_SCALE = 256 * 16;

  private final class Node {
    final T server;
    final int weight;
    long key;
    long seq;

    Node(T server, int weight) {
      this.server = server;
      this.weight = weight;
    }
  }

  private final TreeSet<Node> tree = new TreeSet<>(
      Comparator.<Node>comparingLong(n -> n.key).thenComparingLong(n -> n.seq));
  private final Map<T, Node> nodes = new HashMap<>();
  private final ToIntFunction<? super T> load;
  private long seq;

  /**
   * @param weight effective weights in sixteenths (weight × 16, less during slow start)
   * @param load requests in flight plus requests waiting in the server's own queue
   */
  LeastConnPicker(List<T> servers, ToIntFunction<? super T> weight, ToIntFunction<? super T> load) {
    this.load = load;
    for (T s : servers) {
      int w = weight.applyAsInt(s);
      if (w > 0) {
        Node n = new Node(s, w);
        nodes.put(s, n);
        queue(n);
      }
    }
  }

  private void queue(Node n) {
    n.key = key(n);
    n.seq = seq++;
    tree.add(n);
  }

  /** HAProxy's key: 0 when idle, else {@code (load + 1) × 4096 / eweight} (u32). */
  private long key(Node n) {
    long inflight = load.applyAsInt(n.server);
    return inflight == 0 ? 0 : ((inflight + 1) * WEIGHT_SCALE / n.weight) & 0xFFFFFFFFL;
  }

  /** HAProxy's fwlc_srv_reposition: an unchanged key keeps its place among equals. */
  private void requeue(T server) {
    Node n = nodes.get(server);
    if (n != null && key(n) != n.key) {
      tree.remove(n);
      queue(n);
    }
  }

  @Override
  public T pick(long key, Predicate<T> full) {
    for (Node n : tree) {
      if (!full.test(n.server)) {
        return n.server;
      }
    }
    return null;
  }

  @Override
  public void taken(T server) {
    requeue(server);
  }

  @Override
  public void released(T server) {
    requeue(server);
  }
}
