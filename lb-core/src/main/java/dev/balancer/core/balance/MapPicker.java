package dev.balancer.core.balance;

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
    this.table = StaticMap.build(servers, weight);
  }

  @Override
  public T pick(long key, Predicate<T> full) {
    int n = table.size();
    if (n == 0) {
      return null;
    }
    if (key >= 0) {
      T s = table.get((int) (key % n));
      return full.test(s) ? roundRobin(full) : s;
    }
    return roundRobin(full);
  }

  private T roundRobin(Predicate<T> full) {
    int n = table.size();
    for (int tried = 0; tried < n; tried++) {
      T s = table.get(rrIndex);
      rrIndex = (rrIndex + 1) % n;
      if (!full.test(s)) {
        return s;
      }
    }
    return null;
  }
}
