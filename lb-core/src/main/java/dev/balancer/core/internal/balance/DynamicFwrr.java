package dev.balancer.core.internal.balance;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * HAProxy 2.6's {@code balance roundrobin} for a whole backend, with its dynamic operations: servers
 * going down and up, weight changes, slow start, full servers, and the active and backup groups
 * ({@code src/lb_fwrr.c}, {@code recount_servers}, {@code update_backend_weight}). It follows
 * HAProxy step by step, in u32/int32 arithmetic, so that sequences stay identical to HAProxy's
 * through runtime changes, not only from a fresh start.
 *
 * <p>Callers describe each server's wanted state through two functions: its next effective weight
 * (weight × 16, less in slow start) and whether its state lets it balance (ready, up). After a
 * change, {@link #refresh} applies it as HAProxy's {@code update_server_weight} does. Not
 * thread-safe.
 */
public final class DynamicFwrr<T> {

  private static final int SCALE = 16;
  private static final int UR = 256;
  private static final long EMAX = UR * SCALE;
  private static final long M32 = 0xFFFFFFFFL;

  private static long u32(long x) {
    return x & M32;
  }

  private final class Node {
    final T server;
    final int index;
    final boolean backup;
    long ew;
    long nextEw;
    boolean curState;
    boolean nextState;
    long npos;
    long lpos;
    long rw;
    long key;
    long ins;
    TreeSet<Node> linked;
    TreeSet<Node> lbTree;

    Node(T server, int index, boolean backup) {
      this.server = server;
      this.index = index;
      this.backup = backup;
    }

    boolean willBeUsable() {
      return nextEw != 0 && nextState;
    }

    boolean currentlyUsable() {
      return ew != 0 && curState;
    }

    boolean statusChanged() {
      return nextState != curState || nextEw != ew;
    }

    void commit() {
      curState = nextState;
      ew = nextEw;
    }
  }

  private final class Group {
    TreeSet<Node> curr = tree();
    TreeSet<Node> init = tree();
    TreeSet<Node> next = tree();
    int currPos;
    int currWeight;
    int nextWeight;
  }

  private static final Comparator<DynamicFwrr<?>.Node> ORDER =
      Comparator.<DynamicFwrr<?>.Node>comparingLong(n -> n.key).thenComparingLong(n -> n.ins);

  private final List<Node> nodes = new ArrayList<>();
  private final Map<T, Node> byServer = new IdentityHashMap<>();
  private final Group act = new Group();
  private final Group bck = new Group();
  private final boolean allbackups;
  private final ToIntFunction<? super T> nextEweight;
  private final Predicate<? super T> balancing;
  private long insertions;
  private int srvAct;
  private int srvBck;
  private Node fbck;

  /**
   * @param servers every server of the backend, in configuration order
   * @param backup whether a server is a backup
   * @param nextEweight a server's effective weight now (weight × 16; less during slow start)
   * @param balancing whether a server's admin and health states let it take balanced traffic
   */
  public DynamicFwrr(List<T> servers, Predicate<? super T> backup, boolean allbackups,
      ToIntFunction<? super T> nextEweight, Predicate<? super T> balancing) {
    this.allbackups = allbackups;
    this.nextEweight = nextEweight;
    this.balancing = balancing;
    int i = 0;
    for (T s : servers) {
      Node n = new Node(s, i++, backup.test(s));
      n.nextEw = nextEweight.applyAsInt(s);
      n.nextState = balancing.test(s);
      n.commit();
      nodes.add(n);
      byServer.put(s, n);
    }
    int[] totals = recount();
    act.currPos = act.currWeight = act.nextWeight = totals[0];
    bck.currPos = bck.currWeight = bck.nextWeight = totals[1];
    for (Node n : nodes) {
      if (n.currentlyUsable()) {
        queueByWeight(group(n).init, n);
      }
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private TreeSet<Node> tree() {
    return new TreeSet<>((Comparator) ORDER);
  }

  private Group group(Node n) {
    return n.backup ? bck : act;
  }

  private void insert(TreeSet<Node> tree, Node n, long key) {
    n.key = u32(key);
    n.ins = insertions++;
    n.linked = tree;
    tree.add(n);
  }

  private void delete(Node n) {
    if (n.linked != null) {
      n.linked.remove(n);
      n.linked = null;
    }
  }

  /** recount_servers: usable counts, and the first usable backup; returns the two total weights. */
  private int[] recount() {
    srvAct = 0;
    srvBck = 0;
    fbck = null;
    int wact = 0;
    int wbck = 0;
    for (Node n : nodes) {
      if (!n.willBeUsable()) {
        continue;
      }
      if (n.backup) {
        if (srvBck == 0 && !allbackups) {
          fbck = n;
        }
        srvBck++;
        wbck += (int) n.nextEw;
      } else {
        srvAct++;
        wact += (int) n.nextEw;
      }
    }
    return new int[] {wact, wbck};
  }

  private void queueByWeight(TreeSet<Node> root, Node n) {
    insert(root, n, EMAX - n.nextEw);
    n.lbTree = root;
  }

  private void queueSrv(Node s) {
    Group g = group(s);
    if (!s.willBeUsable()) {
      s.lbTree = null;
    } else if (s.nextEw <= 0 || s.npos >= u32(2L * g.currWeight) || s.npos >= u32((long) g.currWeight + g.nextWeight)) {
      s.npos = u32(s.npos - g.currWeight);
      queueByWeight(g.next, s);
    } else {
      insert(g.curr, s, u32(UR * s.npos + u32(EMAX + s.rw - s.nextEw) / SCALE));
      s.lbTree = g.curr;
    }
  }

  private void getSrv(Node s) {
    Group g = group(s);
    if (s.lbTree == g.init) {
      s.npos = 0;
      s.rw = 0;
    } else if (s.lbTree == g.next) {
      s.npos = u32(s.npos + g.currWeight);
    } else if (s.lbTree == null) {
      s.npos = u32(g.currPos);
    }
  }

  private void switchTrees(Group g) {
    TreeSet<Node> t = g.init;
    g.init = g.next;
    g.next = t;
    g.currWeight = g.nextWeight;
    g.currPos = g.currWeight;
  }

  private Node serverFromGroup(Group g) {
    Node s1 = g.curr.isEmpty() ? null : g.curr.first();
    if (s1 != null && s1.ew != 0 && s1.npos <= u32(g.currPos)) {
      return s1;
    }
    Node s2 = g.init.isEmpty() ? null : g.init.first();
    if (s2 != null && s2.ew != 0) {
      s2.npos = 0;
      s2.rw = 0;
      return s2;
    }
    return s1;
  }

  private void updatePosition(Group g, Node s) {
    long ew = s.ew;
    if (ew == 0) {
      return;
    }
    if (s.npos == 0) {
      s.npos = u32(g.currPos);
    }
    s.lpos = s.npos;
    s.npos = u32(s.npos + u32(g.nextWeight) / ew);
    s.rw = u32(s.rw + u32(g.nextWeight) % ew);
    if (s.rw >= ew) {
      s.rw -= ew;
      s.npos = u32(s.npos + 1);
    }
  }

  /**
   * The next server (HAProxy's {@code fwrr_get_next_server}); {@code null} when none is usable or
   * every one is full.
   */
  public T next(Predicate<T> full) {
    return next(full, null);
  }

  /**
   * As {@link #next(Predicate)}, passing over {@code avoid} once (HAProxy's {@code srvtoavoid}, a
   * retry's failed server): it is remembered and chained with the full ones, and taken only when no
   * other server comes up.
   */
  public T next(Predicate<T> full, T avoid) {
    Group g;
    if (srvAct > 0) {
      g = act;
    } else if (fbck != null) {
      return fbck.server;
    } else if (srvBck > 0) {
      g = bck;
    } else {
      return null;
    }
    boolean switched = false;
    List<Node> fulls = new ArrayList<>();
    Node avoided = null;
    Node srv;
    while (true) {
      if (g.currWeight == 0) {
        g.currPos = g.currWeight = g.nextWeight;
      }
      while (true) {
        srv = serverFromGroup(g);
        if (srv != null) {
          break;
        }
        if (switched) {
          if (avoided != null) {
            srv = avoided; // nothing else: the avoided one after all
            break;
          }
          requeue(g, fulls, null, true);
          return null;
        }
        switched = true;
        switchTrees(g);
      }
      if (srv == avoided) {
        break;
      }
      updatePosition(g, srv);
      delete(srv);
      g.currPos++;
      if (!full.test(srv.server)) {
        if (srv.server != avoid || avoided != null) {
          break;
        }
        avoided = srv; // selected, yet avoided: remembered for later
      }
      fulls.add(srv);
    }
    queueSrv(srv);
    requeue(g, fulls, srv, switched);
    return srv.server;
  }

  private void requeue(Group g, List<Node> fulls, Node taken, boolean switched) {
    for (int i = fulls.size() - 1; i >= 0; i--) {
      Node f = fulls.get(i);
      if (f == taken) {
        continue;
      }
      if (switched) {
        queueByWeight(g.init, f);
      } else {
        queueSrv(f);
      }
    }
  }

  /** Whether the server may be chosen now (usable in its group, which is the group in use). */
  public boolean isUsable(T server) {
    Node n = byServer.get(server);
    return n != null && n.currentlyUsable();
  }

  /** Applies a server's new weight or state, as HAProxy's {@code update_server_weight} does. */
  public void refresh(T server) {
    Node s = byServer.get(server);
    if (s == null) {
      return;
    }
    s.nextEw = nextEweight.applyAsInt(server);
    s.nextState = balancing.test(server);
    updateServerWeight(s);
  }

  private void setServerStatusDown(Node s) {
    if (!s.statusChanged()) {
      return;
    }
    if (s.willBeUsable()) {
      s.commit();
      return;
    }
    if (s.currentlyUsable()) {
      Group g = group(s);
      g.nextWeight -= (int) s.ew;
      if (s.backup) {
        srvBck--;
        if (s == fbck) {
          Node next = null;
          for (int i = s.index + 1; i < nodes.size(); i++) {
            Node c = nodes.get(i);
            if (c.backup && c.willBeUsable()) {
              next = c;
              break;
            }
          }
          fbck = next;
        }
      } else {
        srvAct--;
      }
      delete(s);
      s.lbTree = null;
    }
    s.commit();
  }

  private void setServerStatusUp(Node s) {
    if (!s.statusChanged()) {
      return;
    }
    if (!s.willBeUsable()) {
      s.commit();
      return;
    }
    if (!s.currentlyUsable()) {
      Group g = group(s);
      g.nextWeight += (int) s.nextEw;
      if (s.backup) {
        srvBck++;
        if (!allbackups && (fbck == null || fbck.index > s.index)) {
          fbck = s;
        }
      } else {
        srvAct++;
      }
      getSrv(s);
      s.npos = u32(g.currPos + u32((long) g.nextWeight + g.currWeight - g.currPos) / s.nextEw);
      queueSrv(s);
    }
    s.commit();
  }

  private void updateServerWeight(Node s) {
    if (!s.statusChanged()) {
      return;
    }
    boolean old = s.currentlyUsable();
    boolean now = s.willBeUsable();
    if (!old && !now) {
      s.commit();
      return;
    }
    if (!old) {
      setServerStatusUp(s);
      return;
    }
    if (!now) {
      setServerStatusDown(s);
      return;
    }
    Group g = group(s);
    g.nextWeight = (int) (g.nextWeight - s.ew + s.nextEw);
    if (s.lbTree == g.init) {
      delete(s);
      queueByWeight(g.init, s);
    } else if (s.lbTree == null) {
      delete(s);
      getSrv(s);
      s.npos = u32(g.currPos + u32((long) g.nextWeight + g.currWeight - g.currPos) / s.nextEw);
      queueSrv(s);
    } else {
      getSrv(s);
      if (s.nextEw > 0) {
        int prevNext = (int) s.npos;
        int step = (int) (u32(g.nextWeight) / s.nextEw);
        s.npos = u32(s.lpos + step);
        s.rw = 0;
        if (s.npos > u32(prevNext)) {
          s.npos = u32(prevNext);
        }
        if (s.npos < u32(g.currPos + 2L)) {
          s.npos = u32((long) g.currPos + step);
        }
      } else {
        s.npos = u32((long) g.currPos + g.currWeight);
      }
      delete(s);
      queueSrv(s);
    }
    s.commit();
  }
}
