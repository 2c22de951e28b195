package dev.balancer.jetty.reload;

import java.time.Instant;
import java.util.Optional;

/** What the admin API and the stats page can do with the configuration files: reload them, say how the last reload went. */
public interface ReloadControl {

  /** Reads the files again and applies them when valid. */
  ReloadResult reload();

  /** The last reload's result and when it ran, if any ran. */
  Optional<ReloadResult> last();

  /** When the last reload ran. */
  Optional<Instant> lastAt();

  long succeeded();

  long failed();
}
