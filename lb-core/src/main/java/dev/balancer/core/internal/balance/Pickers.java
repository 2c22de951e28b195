package dev.balancer.core.internal.balance;

import dev.balancer.config.model.Balance;
import dev.balancer.config.model.HashType;
import java.util.List;
import java.util.function.ToIntFunction;
import java.util.random.RandomGenerator;

/** The {@link Picker} for a backend's {@code balance} and {@code hash-type}. */
public final class Pickers {

  private Pickers() {}

  /**
   * @param pool the servers that may take new requests, in configuration order
   * @param weight a server's current weight (0–256)
   * @param eweight a server's effective weight in sixteenths (weight × 16; less during slow start,
   *     which only the dynamic algorithms follow, as in HAProxy)
   * @param weightDivisor the GCD of the weights of every server of the backend (the static map
   *     divides by it, as HAProxy does)
   * @param id a server's numeric id
   * @param load a server's requests in flight
   * @param previous the picker this one replaces (static-rr keeps its walking index), or null
   */
  public static <T> Picker<T> create(Balance balance, HashType hashType, List<T> pool, ToIntFunction<? super T> weight,
      ToIntFunction<? super T> eweight, int weightDivisor, ToIntFunction<? super T> id, ToIntFunction<? super T> load,
      RandomGenerator random, Picker<T> previous) {
    return create(balance, hashType, pool, weight, eweight, weightDivisor, id, load, random, previous, 0);
  }

  /**
   * @param mapSlots the static map's size, 0 for the sum of the pool's weights: HAProxy's backup
   *     quirk passes the first backup's weight while every usable backup competes
   */
  public static <T> Picker<T> create(Balance balance, HashType hashType, List<T> pool, ToIntFunction<? super T> weight,
      ToIntFunction<? super T> eweight, int weightDivisor, ToIntFunction<? super T> id, ToIntFunction<? super T> load,
      RandomGenerator random, Picker<T> previous, long mapSlots) {
    int rrIndex = previous instanceof MapPicker<T> m ? m.rrIndex() : 0;
    return switch (balance.algorithm()) {
      case ROUND_ROBIN -> {
        DynamicFwrr<T> fwrr = new DynamicFwrr<>(pool, s -> false, false, eweight, s -> true);
        yield (key, full) -> fwrr.next(full);
      }
      case STATIC_RR -> new MapPicker<>(pool, s -> weight.applyAsInt(s) / weightDivisor, rrIndex, mapSlots);
      case LEASTCONN -> new LeastConnPicker<>(pool, eweight, load);
      case FIRST -> new FirstPicker<>(pool, weight, id);
      case RANDOM -> new RandomPicker<>(pool, balance.randomDraws(), eweight, id, load, random);
      case SOURCE, URI, URL_PARAM, HDR, RDP_COOKIE, HASH -> {
        if (hashType.method() == HashType.Method.CONSISTENT) {
          ConsistentPicker<T> ring = new ConsistentPicker<>(pool, eweight, id);
          ring.resumeFrom(previous instanceof ConsistentPicker<T> c ? c : null);
          yield ring;
        }
        yield new MapPicker<>(pool, s -> weight.applyAsInt(s) / weightDivisor, rrIndex, mapSlots);
      }
    };
  }
}
