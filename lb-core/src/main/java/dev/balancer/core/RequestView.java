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

  /** A request with only a method and a path, for code and tests that have nothing more. */
  static RequestView of(String method, String path) {
    return new RequestView() {
      @Override
      public String clientAddress() {
        return "127.0.0.1";
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
        return Optional.empty();
      }

      @Override
      public Optional<String> header(String name) {
        return Optional.empty();
      }

      @Override
      public Optional<String> cookie(String name) {
        return Optional.empty();
      }
    };
  }
}
