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
 * @param errorFiles {@code errorfile CODE FILE}: the whole HTTP response (status line, headers,
 *     body) HAProxy sends instead of its own page for that status, read when the file was loaded
 * @param monitorUri {@code monitor-uri}: requests for exactly this URI get HAProxy's 200 page (a health endpoint)
 * @param logFormat {@code log-format}: the access-log line's format, when not HAProxy's httplog
 */
public record ProxyOptions(
    Map<String, Boolean> flags,
    Optional<ForwardFor> forwardFor,
    Optional<Integer> redispatch,
    Optional<HttpCheck.Request> httpCheck,
    Map<Integer, String> errorFiles,
    Optional<String> logFormat,
    Optional<String> monitorUri) {

  /** No option set. */
  public static final ProxyOptions NONE = new ProxyOptions(Map.of(), Optional.empty(), Optional.empty(), Optional.empty());

  public ProxyOptions {
    flags = Map.copyOf(flags);
    Objects.requireNonNull(forwardFor, "forwardFor");
    Objects.requireNonNull(redispatch, "redispatch");
    Objects.requireNonNull(httpCheck, "httpCheck");
    errorFiles = Map.copyOf(errorFiles);
    Objects.requireNonNull(logFormat, "logFormat");
    Objects.requireNonNull(monitorUri, "monitorUri");
  }

  /** Options without {@code monitor-uri}. */
  public ProxyOptions(Map<String, Boolean> flags, Optional<ForwardFor> forwardFor, Optional<Integer> redispatch,
      Optional<HttpCheck.Request> httpCheck, Map<Integer, String> errorFiles, Optional<String> logFormat) {
    this(flags, forwardFor, redispatch, httpCheck, errorFiles, logFormat, Optional.empty());
  }

  /** Options without error files. */
  public ProxyOptions(Map<String, Boolean> flags, Optional<ForwardFor> forwardFor, Optional<Integer> redispatch,
      Optional<HttpCheck.Request> httpCheck) {
    this(flags, forwardFor, redispatch, httpCheck, Map.of(), Optional.empty());
  }

  /** Whether {@code option NAME} is in force. */
  public boolean enabled(String name) {
    return flags.getOrDefault(name, false);
  }
}
