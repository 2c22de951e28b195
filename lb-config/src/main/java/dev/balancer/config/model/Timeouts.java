package dev.balancer.config.model;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code timeout} settings of a proxy. An absent value means unset; HAProxy's fallbacks
 * ({@code http-request} = client, {@code queue} = connect, {@code check} = inter) are applied by
 * whoever uses the value.
 */
public record Timeouts(Map<TimeoutKind, Duration> values) {

  /** No timeout set. */
  public static final Timeouts NONE = new Timeouts(Map.of());

  public Timeouts {
    Objects.requireNonNull(values, "values");
    EnumMap<TimeoutKind, Duration> copy = new EnumMap<>(TimeoutKind.class);
    copy.putAll(values);
    values = Collections.unmodifiableMap(copy);
  }

  /** One timeout, if set. */
  public Optional<Duration> get(TimeoutKind kind) {
    return Optional.ofNullable(values.get(kind));
  }

  /** {@code timeout connect}. */
  public Optional<Duration> connect() {
    return get(TimeoutKind.CONNECT);
  }

  /** {@code timeout client}. */
  public Optional<Duration> client() {
    return get(TimeoutKind.CLIENT);
  }

  /** {@code timeout server}. */
  public Optional<Duration> server() {
    return get(TimeoutKind.SERVER);
  }

  /** A copy with one more value. */
  public Timeouts with(TimeoutKind kind, Duration value) {
    EnumMap<TimeoutKind, Duration> copy = new EnumMap<>(TimeoutKind.class);
    copy.putAll(values);
    copy.put(kind, value);
    return new Timeouts(copy);
  }
}
