package dev.balancer.core.internal.balance;

import java.util.List;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * {@code static-rr} and map-based hashing over the {@link StaticMap} table. A request without a
 * hash key walks the table in a circle, as {@code static-rr} does.
 */
final class MapPicker<T> implements Picker<T> {

  private final List<T> table;
  private int rrIndex;

  MapPicker(List<T> servers, ToIntFunction<? super T> weight) {
    this(servers, weight, 0);
  }

  /**
   * @param rrIndex where the round-robin walk resumes: HAProxy keeps its index when the table is
   *     rebuilt after a change, and wraps it to 0 only when it falls past the new table
   */
  MapPicker(List<T> servers, ToIntFunction<? super T> weight, int rrIndex) {
    this(servers, weight, rrIndex, 0);
  }

  /** @param slots the table size, 0 for the sum of the weights (see {@link StaticMap#build}) */
  MapPicker(List<T> servers, ToIntFunction<? super T> weight, int rrIndex, long slots) {
    this.table = StaticMap.build(servers, weight, slots);
    this.rrIndex = rrIndex;
  }

  int rrIndex() {
    return rrIndex;
  }

  @Override
  public T pick(long key, Predicate<T> full) {
    int n = table.size();
    if (n == 0) {
      return null;
    }
    if (key >= 0) {
      // map_get_server_hash: the slot's server, full or not (a full one queues the request)
      return table.get((int) (key % n));
    }
    return roundRobin(full);
  }

  /** HAProxy's {@code map_get_server_rr}: the index wraps when it is read, not when it is advanced. */
  private T roundRobin(Predicate<T> full) {
    int n = table.size();
    if (rrIndex >= n) {
      rrIndex = 0;
    }
    int start = rrIndex;
    int idx = rrIndex;
    do {
      T s = table.get(idx++);
      if (!full.test(s)) {
        rrIndex = idx;
        return s;
      }
      if (idx == n) {
        idx = 0;
      }
    } while (idx != start);
    return null;
  }
}
