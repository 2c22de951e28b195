package dev.balancer.core;

import java.util.Optional;

/**
 * What lb-core sees of an HTTP request: enough to route and balance it, no server types. lb-jetty
 * adapts a servlet request to it; an embedding service can implement it over anything.
 */
public interface RequestView {

  /** The client's IP address, as text. */
  String clientAddress();

  /** The method, e.g. {@code GET}. */
  String method();

  /** The path, still URL-encoded, without the query. */
  String path();

  /** The query string without the {@code ?}, if any. */
  Optional<String> query();

  /** The first value of a header (names are case-insensitive). */
  Optional<String> header(String name);

  /** The value of a cookie sent by the client. */
  Optional<String> cookie(String name);

  /** Every value of a header, one per line it was sent on, in order. */
  default java.util.List<String> headers(String name) {
    return header(name).map(java.util.List::of).orElse(java.util.List.of());
  }

  /** The request target as the client wrote it: the path and query, or an absolute URI. */
  default String target() {
    return path() + query().map(q -> "?" + q).orElse("");
  }

  /** The protocol version, e.g. {@code HTTP/1.1}. */
  default String version() {
    return "HTTP/1.1";
  }

  /**
   * Told which backend the rules chose, before a server is looked for: a view may note it (the
   * proxy uses it for that backend's {@code errorfile} and for its log line).
   */
  default void routed(String backend) {}

  /** The local port the request came in on, or 0 when unknown. */
  default int localPort() {
    return 0;
  }

  /** A request with only a method and a path, from 127.0.0.1 (for code and tests). */
  static RequestView of(String method, String path) {
    return of("127.0.0.1", method, path, java.util.Map.of());
  }

  /**
   * A request from plain values (for code and tests).
   *
   * @param pathAndQuery the path, with {@code ?query} if any
   * @param headers header values by name (case-insensitive); a {@code Cookie} header is parsed for
   *     {@link #cookie}
   */
  static RequestView of(String client, String method, String pathAndQuery, java.util.Map<String, String> headers) {
    int q = pathAndQuery.indexOf('?');
    String path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
    Optional<String> query = q < 0 ? Optional.empty() : Optional.of(pathAndQuery.substring(q + 1));
    java.util.TreeMap<String, String> h = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    h.putAll(headers);
    return new RequestView() {
      @Override
      public String clientAddress() {
        return client;
      }

      @Override
      public String method() {
        return method;
      }

      @Override
      public String path() {
        return path;
      }

      @Override
      public Optional<String> query() {
        return query;
      }

      @Override
      public Optional<String> header(String name) {
        return Optional.ofNullable(h.get(name));
      }

      @Override
      public Optional<String> cookie(String name) {
        String cookies = h.get("cookie");
        if (cookies != null) {
          for (String part : cookies.split(";")) {
            int eq = part.indexOf('=');
            if (eq > 0 && part.substring(0, eq).trim().equals(name)) {
              return Optional.of(part.substring(eq + 1).trim());
            }
          }
        }
        return Optional.empty();
      }
    };
  }
}
