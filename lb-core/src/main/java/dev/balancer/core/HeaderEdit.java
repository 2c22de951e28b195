package dev.balancer.core;

import java.util.Objects;

/**
 * One change to a request's or a response's headers, from {@code http-request} / {@code
 * http-response} rules and {@code option forwardfor}, in the order the proxy applies them.
 *
 * @param value the new value; empty for {@link Kind#DEL}
 */
public record HeaderEdit(Kind kind, String name, String value) {

  public HeaderEdit {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
  }

  /** Replace every line of the header ({@code set-header}), add a line ({@code add-header}), remove them all. */
  public enum Kind {
    SET,
    ADD,
    DEL
  }
}
