package dev.balancer.jetty.servlet;

import dev.balancer.core.RequestView;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Optional;

/** A servlet request seen through lb-core's {@link RequestView}; reads lazily, copies nothing. */
public final class ServletRequestView implements RequestView {

  private final HttpServletRequest request;

  public ServletRequestView(HttpServletRequest request) {
    this.request = request;
  }

  @Override
  public String clientAddress() {
    return request.getRemoteAddr();
  }

  @Override
  public String method() {
    return request.getMethod();
  }

  @Override
  public String path() {
    return request.getRequestURI();
  }

  @Override
  public Optional<String> query() {
    return Optional.ofNullable(request.getQueryString());
  }

  @Override
  public Optional<String> header(String name) {
    return Optional.ofNullable(request.getHeader(name));
  }

  @Override
  public Optional<String> cookie(String name) {
    Cookie[] cookies = request.getCookies();
    if (cookies != null) {
      for (Cookie c : cookies) {
        if (c.getName().equals(name)) {
          return Optional.of(c.getValue());
        }
      }
    }
    return Optional.empty();
  }

  @Override
  public java.util.List<String> headers(String name) {
    return java.util.Collections.list(request.getHeaders(name));
  }

  @Override
  public String target() {
    // what the client wrote: an absolute URI stays absolute
    if (request instanceof org.eclipse.jetty.ee10.servlet.ServletApiRequest api) {
      org.eclipse.jetty.http.HttpURI uri = api.getRequest().getHttpURI();
      return uri.isAbsolute() && !uri.getPathQuery().equals(request.getRequestURI()) ? uri.asString() : uri.getPathQuery();
    }
    return RequestView.super.target();
  }

  @Override
  public String version() {
    return request.getProtocol();
  }

  @Override
  public int localPort() {
    return request.getLocalPort();
  }
}
