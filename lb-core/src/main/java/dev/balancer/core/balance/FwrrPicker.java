package dev.balancer.core.balance;

import java.util.List;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/** {@code roundrobin}: {@link FwrrSelector}'s order; a full server is passed over for this pick. */
final class FwrrPicker<T> implements Picker<T> {

  private final FwrrSelector<T> fwrr;
  private final int size;

  /** @param eweight effective weights in sixteenths (weight × 16, less during slow start) */
  FwrrPicker(List<T> servers, ToIntFunction<? super T> eweight) {
    this.fwrr = new FwrrSelector<>(servers, eweight, 1);
    this.size = (int) servers.stream().filter(s -> eweight.applyAsInt(s) > 0).count();
  }

  @Override
  public T pick(long key, Predicate<T> full) {
    for (int tried = 0; tried < size; tried++) {
      T s = fwrr.next();
      if (s == null || !full.test(s)) {
        return s;
      }
    }
    return null;
  }
}
