package dev.balancer.config.model;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The {@code global} settings Balancer reads.
 *
 * @param maxconn {@code maxconn}: the process-wide connection limit
 * @param nbthread {@code nbthread}
 * @param hardStopAfter {@code hard-stop-after}
 * @param serverStateFile {@code server-state-file}
 */
public record Global(OptionalInt maxconn, OptionalInt nbthread, Optional<Duration> hardStopAfter, Optional<String> serverStateFile) {

  /** Nothing set. */
  public static final Global DEFAULTS = new Global(OptionalInt.empty(), OptionalInt.empty(), Optional.empty(), Optional.empty());
}
