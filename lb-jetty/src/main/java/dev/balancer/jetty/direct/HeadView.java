package dev.balancer.jetty.direct;

import dev.balancer.jetty.http1.HttpHead;
import dev.balancer.core.RequestView;
import java.util.List;
import java.util.Optional;

/**
 * A request head parsed by {@link HttpHead}, as lb-core sees it. Where the request came from is the
 * connection's to say ({@link #clientAddress}); the rest is read from the head.
 */
public abstract class HeadView implements RequestView {

  public final HttpHead head;

  public HeadView(HttpHead head) {
    this.head = head;
  }

  @Override
  public String method() {
    return head.first;
  }

  @Override
  public String path() {
    return head.path();
  }

  @Override
  public Optional<String> query() {
    return Optional.ofNullable(head.query());
  }

  @Override
  public Optional<String> header(String name) {
    return Optional.ofNullable(head.get(name));
  }

  @Override
  public List<String> headers(String name) {
    return head.all(name);
  }

  @Override
  public Optional<String> cookie(String name) {
    return Optional.ofNullable(head.cookie(name));
  }

  @Override
  public String target() {
    return head.second;
  }

  @Override
  public String version() {
    return "HTTP/1.1";
  }
}
