package dev.balancer.jetty.listen;

/**
 * Where a client connection is, as its timeouts see it: which of {@code timeout http-request},
 * {@code client} or {@code http-keep-alive} applies. The server reports its connections' phases
 * (tests wait for one before they move the clock).
 */
public enum ClientPhase {
  /** Reading a request head: {@code timeout http-request}. */
  HEAD,
  /** Reading a request body: {@code timeout client}. */
  BODY,
  /** The request is with the balancer or its server, or its answer is going out. */
  EXCHANGE,
  /** Between two requests: {@code timeout http-keep-alive}. */
  BETWEEN,
  /** Closed, or handed to another connection. */
  DONE;

  /** A connection that can say where it is. */
  public interface Aware {
    ClientPhase phase();
  }
}
