package dev.balancer.config.model;

import java.util.Objects;

/**
 * A backend's {@code hash-type}: how hash algorithms map keys to servers.
 *
 * @param method map-based (default) or consistent
 * @param function the hash function (sdbm by default)
 * @param avalanche whether the avalanche modifier is applied
 */
public record HashType(Method method, Function function, boolean avalanche) {

  /** HAProxy's default: {@code hash-type map-based sdbm}. */
  public static final HashType DEFAULT = new HashType(Method.MAP_BASED, Function.SDBM, false);

  public HashType {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(function, "function");
  }

  public enum Method {
    MAP_BASED,
    CONSISTENT
  }

  public enum Function {
    SDBM,
    DJB2,
    WT6,
    CRC32,
    NONE
  }
}
