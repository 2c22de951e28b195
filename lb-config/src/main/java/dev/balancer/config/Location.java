package dev.balancer.config;

import java.util.Objects;

/**
 * Where an element of the configuration was written: a file name and a 1-based line number.
 * Prints as {@code haproxy.cfg:12}, the form every diagnostic starts with.
 */
public record Location(String file, int line) {

  /** A location that names no line, for elements built in code rather than read from a file. */
  public static final Location UNKNOWN = new Location("<code>", 0);

  public Location {
    Objects.requireNonNull(file, "file");
  }

  @Override
  public String toString() {
    return file + ":" + line;
  }
}
