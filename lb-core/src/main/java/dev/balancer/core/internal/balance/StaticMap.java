package dev.balancer.core.internal.balance;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * HAProxy's static server map ({@code lb_map.c}): a table of {@code sum(weight / gcd)} slots filled
 * so that each server appears in proportion to its weight, evenly spread. {@code static-rr} walks
 * it in a circle; map-based hashing takes slot {@code hash % size}.
 *
 * <p>Derivation: the weights come already divided by the GCD of every server's weight (the caller's
 * job, as HAProxy computes it once over the whole backend); T = their sum. For each of the T slots, every
 * server adds its weight to its score; the first server with the largest {@code (score + T) / T}
 * takes the slot and loses T. Weights 1/2/3 give {@code s1 s3 s2 s3 s2 s3}.
 */
final class StaticMap {

  private StaticMap() {}

  static <T> List<T> build(List<T> servers, ToIntFunction<? super T> weight) {
    return build(servers, weight, 0);
  }

  /**
   * @param slots the table size, or 0 for the sum of the weights. HAProxy passes the first backup's
   *     weight when it falls back to backups without {@code allbackups}, while every usable backup
   *     still competes for the slots (a quirk of {@code recalc_server_map} we keep).
   */
  static <T> List<T> build(List<T> servers, ToIntFunction<? super T> weight, long slots) {
    List<T> table = new ArrayList<>();
    int n = servers.size();
    long[] w = new long[n];
    long total = 0;
    for (int i = 0; i < n; i++) {
      w[i] = weight.applyAsInt(servers.get(i));
      total += w[i];
    }
    if (slots > 0) {
      total = slots;
    }
    if (total == 0) {
      return table;
    }
    if (total == 1) {
      for (int i = 0; i < n; i++) {
        if (w[i] > 0) {
          table.add(servers.get(i));
          return table;
        }
      }
    }
    long[] score = new long[n];
    for (long slot = 0; slot < total; slot++) {
      int best = -1;
      long max = 0;
      for (int i = 0; i < n; i++) {
        if (w[i] == 0) {
          continue;
        }
        score[i] += w[i];
        long v = (score[i] + total) / total;
        if (best < 0 || v > max) {
          max = v;
          best = i;
        }
      }
      table.add(servers.get(best));
      score[best] -= total;
    }
    return table;
  }

}
