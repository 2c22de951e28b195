package dev.balancer.core.balance;

import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import java.util.function.ToIntFunction;

/**
 * FWRR for a fixed set of servers, following HAProxy 2.6's {@code lb_fwrr.c} (see {@link
 * Selector#roundRobin}). {@code ../shared/fwrr_sim.py} is the model this mirrors step by step.
 */
final class FwrrSelector<T> implements Selector<T> {

  private static final int SCALE = 16;
  private static final int UR = 256;
  private static final int EMAX = UR * SCALE;

  private final class Node {
    final T item;
    final int ew;
    long npos;
    long rw;
    long key;
    long seq;
    TreeSet<Node> tree;

    Node(T item, int ew) {
      this.item = item;
      this.ew = ew;
    }
  }

  private static final Comparator<FwrrSelector<?>.Node> ORDER =
      Comparator.<FwrrSelector<?>.Node>comparingLong(n -> n.key).thenComparingLong(n -> n.seq);

  private TreeSet<Node> curr = newTree();
  private TreeSet<Node> init = newTree();
  private TreeSet<Node> next = newTree();
  private final long totalWeight;
  private long currPos;
  private long seq;

  FwrrSelector(List<T> candidates, ToIntFunction<? super T> weight) {
    this(candidates, weight, SCALE);
  }

  /**
   * @param scale what a weight is multiplied by to give the effective weight: 16 for user weights
   *     (0–256), 1 for effective weights already in sixteenths (0–4096, slow start)
   */
  FwrrSelector(List<T> candidates, ToIntFunction<? super T> weight, int scale) {
    long tot = 0;
    for (T c : candidates) {
      int w = weight.applyAsInt(c);
      if (w < 0 || w * scale > EMAX) {
        throw new IllegalArgumentException("weight out of range: " + w);
      }
      if (w > 0) {
        Node n = new Node(c, w * scale);
        tot += n.ew;
        insert(init, n, EMAX - n.ew);
      }
    }
    this.totalWeight = tot;
    this.currPos = tot;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private TreeSet<Node> newTree() {
    return new TreeSet<>((Comparator) ORDER);
  }

  private void insert(TreeSet<Node> tree, Node n, long key) {
    n.key = key;
    n.seq = seq++;
    n.tree = tree;
    tree.add(n);
  }

  @Override
  public T next() {
    if (totalWeight == 0) {
      return null;
    }
    Node srv = null;
    boolean switched = false;
    while (srv == null) {
      Node s1 = curr.isEmpty() ? null : curr.first();
      if (s1 != null && s1.npos <= currPos) {
        srv = s1;
      } else if (!init.isEmpty()) {
        srv = init.first();
        srv.npos = 0;
        srv.rw = 0;
      } else if (s1 != null) {
        srv = s1;
      } else {
        if (switched) {
          throw new IllegalStateException("FWRR found no server to switch to");
        }
        switched = true;
        TreeSet<Node> t = init;
        init = next;
        next = t;
        currPos = totalWeight;
      }
    }
    // the weight does not change between picks here: curr_weight = next_weight = totalWeight
    if (srv.npos == 0) {
      srv.npos = currPos;
    }
    srv.npos += totalWeight / srv.ew;
    srv.rw += totalWeight % srv.ew;
    if (srv.rw >= srv.ew) {
      srv.rw -= srv.ew;
      srv.npos++;
    }
    srv.tree.remove(srv);
    currPos++;
    if (srv.npos >= 2 * totalWeight) {
      srv.npos -= totalWeight;
      insert(next, srv, EMAX - srv.ew);
    } else {
      insert(curr, srv, UR * srv.npos + (EMAX + srv.rw - srv.ew) / SCALE);
    }
    return srv.item;
  }
}
