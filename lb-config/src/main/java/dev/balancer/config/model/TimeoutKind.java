package dev.balancer.config.model;

import java.util.Arrays;
import java.util.Optional;

/** The {@code timeout} names HAProxy 2.6 knows. */
public enum TimeoutKind {
  CHECK("check"),
  CLIENT("client"),
  CLIENT_FIN("client-fin"),
  CONNECT("connect"),
  HTTP_KEEP_ALIVE("http-keep-alive"),
  HTTP_REQUEST("http-request"),
  QUEUE("queue"),
  SERVER("server"),
  SERVER_FIN("server-fin"),
  TARPIT("tarpit"),
  TUNNEL("tunnel");

  private final String keyword;

  TimeoutKind(String keyword) {
    this.keyword = keyword;
  }

  /** The word after {@code timeout}. */
  public String keyword() {
    return keyword;
  }

  /** The kind named by a word, if HAProxy knows it. */
  public static Optional<TimeoutKind> of(String keyword) {
    return Arrays.stream(values()).filter(k -> k.keyword.equals(keyword)).findFirst();
  }
}
