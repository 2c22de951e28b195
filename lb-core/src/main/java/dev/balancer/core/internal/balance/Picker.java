package dev.balancer.core.internal.balance;

import java.util.function.Predicate;

/**
 * One backend's balance algorithm over a fixed pool of usable servers. Built again when the pool or
 * a weight changes. Not thread-safe: the owner serialises calls.
 *
 * @param <T> the server type
 */
public interface Picker<T> {

  /**
   * The server for the next request.
   *
   * @param key the request's hash key for hash algorithms (a 32-bit hash, as an unsigned value in a
   *     long), or -1 when the request has none (then hash algorithms fall back to round robin)
   * @param full servers that cannot take one more request now (maxconn reached): skipped, except by
   *     the hash algorithms, which return their server full or not (the request then waits in that
   *     server's queue, as in HAProxy)
   * @return the server, or {@code null} when every one is full or the pool is empty
   */
  T pick(long key, Predicate<T> full);

  /** A request started on a server the picker chose (leastconn re-orders). */
  default void taken(T server) {}

  /** A request ended on a server (leastconn re-orders). */
  default void released(T server) {}
}
