package dev.balancer.core.internal.balance;

import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * {@code first} ({@code lb_fas.c}): the server with the lowest id that has a free {@code maxconn}
 * slot; weights are ignored (but a weight of 0 still excludes a server).
 */
final class FirstPicker<T> implements Picker<T> {

  private final List<T> byId;

  FirstPicker(List<T> servers, ToIntFunction<? super T> weight, ToIntFunction<? super T> id) {
    this.byId = servers.stream().filter(s -> weight.applyAsInt(s) > 0)
        .sorted(Comparator.comparingInt(id)).toList();
  }

  @Override
  public T pick(long key, Predicate<T> full) {
    for (T s : byId) {
      if (!full.test(s)) {
        return s;
      }
    }
    return null;
  }
}
