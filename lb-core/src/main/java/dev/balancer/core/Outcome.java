package dev.balancer.core;

/**
 * What became of a request on its server, as the proxy saw it: the input of passive health checks
 * ({@code observe layer4|layer7}).
 */
public enum Outcome {
  /** The server answered; the HTTP status is reported with it. */
  RESPONSE,
  /** The connection to the server failed (refused, reset, unreachable, connect timeout): a layer 4 error. */
  CONNECTION_ERROR,
  /** The server did not answer in time ({@code timeout server}): a layer 7 error. */
  TIMEOUT,
  /** The server's response was invalid or cut: a layer 7 error. */
  INVALID_RESPONSE
}
