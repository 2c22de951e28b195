package dev.balancer.config.model;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code option} lines of a proxy after defaults were applied.
 *
 * @param flags boolean options by name: {@code true} set with {@code option X}, {@code false}
 *     cancelled with {@code no option X}; absent when never mentioned
 * @param forwardFor {@code option forwardfor ...}
 * @param redispatch {@code option redispatch [N]}: every N-th retry may change server (N = -1:
 *     the last one, HAProxy's meaning of the bare option)
 * @param httpCheck {@code option httpchk [METH] [URI] [VER]}
 */
public record ProxyOptions(
    Map<String, Boolean> flags,
    Optional<ForwardFor> forwardFor,
    Optional<Integer> redispatch,
    Optional<HttpCheck.Request> httpCheck) {

  /** No option set. */
  public static final ProxyOptions NONE = new ProxyOptions(Map.of(), Optional.empty(), Optional.empty(), Optional.empty());

  public ProxyOptions {
    flags = Map.copyOf(flags);
    Objects.requireNonNull(forwardFor, "forwardFor");
    Objects.requireNonNull(redispatch, "redispatch");
    Objects.requireNonNull(httpCheck, "httpCheck");
  }

  /** Whether {@code option NAME} is in force. */
  public boolean enabled(String name) {
    return flags.getOrDefault(name, false);
  }
}
