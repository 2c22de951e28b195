package dev.balancer.core;

/**
 * The first two characters of HAProxy's termination state ({@code %ts}): who ended the exchange
 * ({@code C} client, {@code S} server, {@code P} proxy, {@code L} the proxy answering locally,
 * lower-case for a timeout) and where it was ({@code R} request, {@code Q} queue, {@code C}
 * connecting, {@code H} answer head, {@code D} answer body). Set once per exchange by {@link
 * Exchange}; the stats and the log line read it, never a string parsed back.
 */
public enum Termination {
  /** A normal end. */
  NONE("--"),
  /** The client went away while the answer was under way. */
  CLIENT_ABORT_BODY("CD"),
  /** The client did not read the answer within {@code timeout client}. */
  CLIENT_TIMEOUT_BODY("cD"),
  /** The client went away while the proxy was connecting to the server. */
  CLIENT_ABORT_CONNECT("CC"),
  /** The client went away while the proxy waited for the server's answer head. */
  CLIENT_ABORT_HEAD("CH"),
  /** The client went away while its request waited for a server. */
  CLIENT_ABORT_QUEUE("CQ"),
  /** The client went away before its request was complete. */
  CLIENT_ABORT_REQUEST("CR"),
  /** The client did not send a whole request within {@code timeout http-request}. */
  CLIENT_TIMEOUT_REQUEST("cR"),
  /** A rule denied, tarpitted or rejected the request, or the proxy refused it. */
  PROXY_REQUEST("PR"),
  /** The server's answer was invalid: the proxy refused it. */
  PROXY_HEAD("PH"),
  /** The proxy answered locally ({@code return}, a redirect, the stats page). */
  LOCAL_REQUEST("LR"),
  /** No server could be connected to (or none was usable). */
  SERVER_CONNECT("SC"),
  /** No connection to the server within {@code timeout connect} (after the retries). */
  SERVER_TIMEOUT_CONNECT("sC"),
  /** The server closed or reset the connection before answering. */
  SERVER_HEAD("SH"),
  /** The server did not answer within {@code timeout server}. */
  SERVER_TIMEOUT_HEAD("sH"),
  /** The server's answer was cut in its body. */
  SERVER_ABORT_BODY("SD"),
  /** The server stopped sending its answer's body for {@code timeout server}. */
  SERVER_TIMEOUT_BODY("sD"),
  /** The request waited in the queue longer than {@code timeout queue}. */
  QUEUE_TIMEOUT("sQ");

  private final String code;

  Termination(String code) {
    this.code = code;
  }

  /** The two characters as HAProxy logs them. */
  public String code() {
    return code;
  }

  /** Whether the client ended it, by going away or by a timeout ({@code C} or {@code c}). */
  public boolean byClient() {
    return code.charAt(0) == 'C' || code.charAt(0) == 'c';
  }

  /** Whether the client went away ({@code C}, not a timeout): HAProxy's {@code cli_aborts}. */
  public boolean clientAbort() {
    return code.charAt(0) == 'C';
  }

  /**
   * Whether the server went away after it was connected ({@code S}, not {@code SC}, not a
   * timeout): HAProxy's {@code srv_aborts}.
   */
  public boolean serverAbort() {
    return code.charAt(0) == 'S' && code.charAt(1) != 'C';
  }

  /** Whether the proxy refused the request ({@code PR}): HAProxy's {@code dreq}. */
  public boolean deniedRequest() {
    return this == PROXY_REQUEST;
  }

  @Override
  public String toString() {
    return code;
  }
}
