package dev.balancer.core.internal.balance;

import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * {@code hash-type consistent} ({@code lb_chash.c}): each server puts {@code weight × 16} points on
 * a 32-bit ring, point {@code j} at {@code full_hash(id × 4096 + j)}; a key goes to the nearest
 * point, looking both ways (the one before wins a tie). When a server leaves, only the keys of its
 * points move. A request without a key walks the ring point by point.
 */
final class ConsistentPicker<T> implements Picker<T> {

  private final long[] keys;
  private final List<T> owners;
  private int cursor = -1;

  /**
   * Resumes the key-less walk where a previous ring left it, as HAProxy's {@code chash.last} does:
   * after the same point if its server is still on the ring, else from the first point.
   */
  void resumeFrom(ConsistentPicker<T> previous) {
    if (previous == null || previous.cursor < 0) {
      return;
    }
    long key = previous.keys[previous.cursor];
    T owner = previous.owners.get(previous.cursor);
    int i = java.util.Arrays.binarySearch(keys, key);
    if (i < 0) {
      return;
    }
    while (i > 0 && keys[i - 1] == key) {
      i--;
    }
    for (; i < keys.length && keys[i] == key; i++) {
      if (owners.get(i) == owner) {
        cursor = i;
        return;
      }
    }
  }

  /** @param weight effective weights in sixteenths: the number of points (weight × 16, less during slow start) */
  ConsistentPicker(List<T> servers, ToIntFunction<? super T> weight, ToIntFunction<? super T> id) {
    int total = 0;
    for (T s : servers) {
      total += weight.applyAsInt(s);
    }
    // a point in the high half (shifted so that a signed sort orders unsigned points), its insertion
    // order in the low half: the eb32 tree keeps equal keys in insertion order
    long[] packed = new long[total];
    @SuppressWarnings("unchecked")
    T[] ownerBySeq = (T[]) new Object[total];
    int seq = 0;
    for (T s : servers) {
      int points = weight.applyAsInt(s);
      int puid = id.applyAsInt(s);
      for (int j = 0; j < points; j++) {
        long point = Integer.toUnsignedLong(Hashes.fullHash(puid * 4096 + j));
        packed[seq] = ((point - 0x80000000L) << 32) | seq;
        ownerBySeq[seq] = s;
        seq++;
      }
    }
    Arrays.sort(packed);
    this.keys = new long[total];
    @SuppressWarnings("unchecked")
    T[] owner = (T[]) new Object[total];
    for (int i = 0; i < total; i++) {
      keys[i] = (packed[i] >> 32) + 0x80000000L;
      owner[i] = ownerBySeq[(int) (packed[i] & 0xffffffffL)];
    }
    this.owners = Arrays.asList(owner);
  }

  @Override
  public T pick(long key, Predicate<T> full) {
    if (keys.length == 0) {
      return null;
    }
    if (key < 0) {
      return walk(full);
    }
    // the nearest server, full or not (a full one queues the request), as chash_get_server_hash
    return owners.get(nearest(key));
  }

  /** The index of the point nearest to {@code key}: the next one at or after it, or the one before. */
  int nearest(long key) {
    int next = Arrays.binarySearch(keys, key);
    if (next < 0) {
      next = -next - 1;
    } else {
      // the first of equal points
      while (next > 0 && keys[next - 1] == key) {
        next--;
      }
    }
    if (next == keys.length) {
      next = 0;
    }
    int prev = next == 0 ? keys.length - 1 : next - 1;
    long dp = (key - keys[prev]) & 0xffffffffL;
    long dn = (keys[next] - key) & 0xffffffffL;
    return dp <= dn ? prev : next;
  }

  private T walk(Predicate<T> full) {
    for (int tried = 0; tried < keys.length; tried++) {
      cursor = (cursor + 1) % keys.length;
      T s = owners.get(cursor);
      if (!full.test(s)) {
        return s;
      }
    }
    return null;
  }

  /** For {@code random}: the server nearest to a key, ignoring fullness. */
  T at(long key) {
    return keys.length == 0 ? null : owners.get(nearest(key));
  }
}
