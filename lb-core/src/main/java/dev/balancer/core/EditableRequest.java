package dev.balancer.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A request as the rules see it while they run: the client's request plus the header edits of the
 * rules before, so that a later rule or ACL sees what an earlier {@code set-header} wrote, as in
 * HAProxy. The edits are then applied by the proxy to what the server receives.
 */
final class EditableRequest implements RequestView {

  private final RequestView base;
  private final List<HeaderEdit> edits = new ArrayList<>();
  /** Set by {@code http-request tarpit}: how long to hold the answer. */
  private java.time.Duration tarpit;

  EditableRequest(RequestView base) {
    this.base = base;
  }

  static EditableRequest of(RequestView r) {
    return r instanceof EditableRequest e ? e : new EditableRequest(r);
  }

  /**
   * The request as {@code http-response} rules see it: HAProxy no longer has the request's headers
   * then, so header and cookie fetches give nothing (the connection's still work).
   */
  RequestView afterForwarding() {
    RequestView self = this;
    return new RequestView() {
      @Override
      public String clientAddress() {
        return self.clientAddress();
      }

      @Override
      public String method() {
        return self.method();
      }

      @Override
      public String path() {
        return self.path();
      }

      @Override
      public Optional<String> query() {
        return self.query();
      }

      @Override
      public Optional<String> header(String name) {
        return Optional.empty();
      }

      @Override
      public List<String> headers(String name) {
        return List.of();
      }

      @Override
      public Optional<String> cookie(String name) {
        return Optional.empty();
      }

      @Override
      public String version() {
        return self.version();
      }

      @Override
      public int localPort() {
        return self.localPort();
      }
    };
  }

  void edit(HeaderEdit e) {
    edits.add(e);
  }

  List<HeaderEdit> edits() {
    return List.copyOf(edits);
  }

  @Override
  public String clientAddress() {
    return base.clientAddress();
  }

  @Override
  public String method() {
    return base.method();
  }

  @Override
  public String path() {
    return base.path();
  }

  @Override
  public Optional<String> query() {
    return base.query();
  }

  @Override
  public Optional<String> header(String name) {
    List<String> all = headers(name);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
  }

  @Override
  public List<String> headers(String name) {
    if (edits.isEmpty()) {
      return base.headers(name);
    }
    List<String> values = new ArrayList<>(base.headers(name));
    String lower = name.toLowerCase(Locale.ROOT);
    for (HeaderEdit e : edits) {
      if (e.name().toLowerCase(Locale.ROOT).equals(lower)) {
        switch (e.kind()) {
          case SET -> {
            values.clear();
            values.add(e.value());
          }
          case ADD -> values.add(e.value());
          case DEL -> values.clear();
        }
      }
    }
    return values;
  }

  @Override
  public Optional<String> cookie(String name) {
    return base.cookie(name);
  }

  @Override
  public String target() {
    return base.target();
  }

  @Override
  public String version() {
    return base.version();
  }

  @Override
  public int localPort() {
    return base.localPort();
  }

  @Override
  public void routed(String backend) {
    base.routed(backend);
  }

  /** {@code http-request tarpit} matched: the answer waits {@code delay}. */
  void tarpit(java.time.Duration delay) {
    this.tarpit = delay;
  }

  /** How long the answer waits, when {@code http-request tarpit} matched. */
  java.util.Optional<java.time.Duration> tarpitted() {
    return java.util.Optional.ofNullable(tarpit);
  }
}
