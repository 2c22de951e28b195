package dev.balancer.config.model;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * HTTP health checks: {@code option httpchk} and the {@code http-check} lines of a backend.
 *
 * @param request what to send ({@code option httpchk} or {@code http-check send})
 * @param expects the {@code http-check expect} rules in order; none means 2xx or 3xx
 */
public record HttpCheck(Request request, List<Expect> expects, boolean disableOn404, boolean sendState) {

  public HttpCheck {
    Objects.requireNonNull(request, "request");
    expects = List.copyOf(expects);
  }

  /**
   * The check request. {@code option httpchk} with no argument sends {@code OPTIONS / HTTP/1.0}.
   *
   * @param headers name/value pairs from {@code http-check send hdr}
   */
  public record Request(String method, String uri, String version, List<Header> headers, Optional<String> body) {

    /** {@code OPTIONS / HTTP/1.0}, HAProxy's default check request. */
    public static final Request DEFAULT = new Request("OPTIONS", "/", "HTTP/1.0", List.of(), Optional.empty());

    public Request {
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(uri, "uri");
      Objects.requireNonNull(version, "version");
      headers = List.copyOf(headers);
      Objects.requireNonNull(body, "body");
    }
  }

  /** A header of the check request. */
  public record Header(String name, String value) {}

  /**
   * {@code http-check expect [!] KIND PATTERN}.
   *
   * @param kind {@code status}, {@code rstatus}, {@code string}, {@code rstring}, {@code hdr} ...
   */
  public record Expect(boolean negated, String kind, String pattern) {}
}
