package dev.balancer.core.internal.balance;

import java.util.List;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;
import java.util.random.RandomGenerator;

/**
 * {@code random[(N)]}: N random keys on the consistent-hash ring; the least loaded of the servers
 * drawn wins (by load over weight; the later draw on a tie, as HAProxy). Power of N choices.
 */
final class RandomPicker<T> implements Picker<T> {

  private final ConsistentPicker<T> ring;
  private final int draws;
  private final ToIntFunction<? super T> weight;
  private final ToIntFunction<? super T> load;
  private final RandomGenerator random;

  RandomPicker(List<T> servers, int draws, ToIntFunction<? super T> weight, ToIntFunction<? super T> id,
      ToIntFunction<? super T> load, RandomGenerator random) {
    this.ring = new ConsistentPicker<>(servers, weight, id);
    this.draws = Math.max(1, draws);
    this.weight = weight;
    this.load = load;
    this.random = random;
  }

  @Override
  public T pick(long key, Predicate<T> full) {
    T best = null;
    for (int d = 0; d < draws; d++) {
      T s = ring.at(Integer.toUnsignedLong(random.nextInt()));
      if (s == null) {
        return null;
      }
      // get_server_rnd keeps the new draw unless the previous one is strictly less loaded
      if (best == null || cost(s) <= cost(best)) {
        best = s;
      }
    }
    // a full winner sends the request to the backend queue, as get_server_rnd's NULL does
    return best == null || full.test(best) ? null : best;
  }

  private long cost(T s) {
    return load.applyAsInt(s) * 4096L / Math.max(1, weight.applyAsInt(s));
  }
}
