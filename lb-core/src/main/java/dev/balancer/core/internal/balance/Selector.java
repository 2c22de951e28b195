package dev.balancer.core.internal.balance;

import java.util.List;
import java.util.function.ToIntFunction;

/**
 * Chooses the next item (server) of one backend among a fixed set of usable candidates. A selector
 * is built again when the set or a weight changes. Implementations are not thread-safe: the owner
 * serialises calls to {@link #next()}.
 *
 * @param <T> the candidate type
 */
public interface Selector<T> {

  /** The next candidate, or {@code null} when there is none. */
  T next();

  /**
   * HAProxy's {@code balance roundrobin}: fast weighted round robin (FWRR), in exactly the order
   * HAProxy 2.6 produces. Candidates of weight 0 are never chosen.
   *
   * <p>Derivation (HAProxy's {@code lb_fwrr.c}): each candidate gets an effective weight {@code
   * ew = weight × 16}; {@code T} is their sum. Candidates wait in an "init" tree, heaviest first and
   * in list order among equals. Each pick takes the head of the "current" tree if its next position
   * is not past the current position, else the head of the init tree; the chosen candidate's next
   * position advances by {@code T / ew} (the remainder carried), and it is queued back by that
   * position, heavier first on ties. Weights 1/2/3 give {@code s3 s2 s3 s1 s3 s2}.
   *
   * @param candidates the usable candidates, in configuration order
   * @param weight the weight of a candidate, 0 to 256
   */
  static <T> Selector<T> roundRobin(List<T> candidates, ToIntFunction<? super T> weight) {
    for (T c : candidates) {
      int w = weight.applyAsInt(c);
      if (w < 0 || w > 256) {
        throw new IllegalArgumentException("weight out of range: " + w);
      }
    }
    // the same implementation the balancer runs, with no backups and no runtime change
    DynamicFwrr<T> fwrr = new DynamicFwrr<>(candidates, c -> false, false, c -> weight.applyAsInt(c) * 16, c -> true);
    return () -> fwrr.next(c -> false);
  }
}
