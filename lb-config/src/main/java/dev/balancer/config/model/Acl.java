package dev.balancer.config.model;

import dev.balancer.config.Location;
import java.util.List;
import java.util.Objects;

/**
 * An ACL: {@code acl NAME FETCH[(ARGS)] [FLAGS] [VALUES...]}, or the inside of an anonymous
 * {@code { ... }} block (then the name is empty).
 *
 * @param fetch the sample fetch, e.g. {@code path_beg} or {@code hdr}
 * @param fetchArgs the fetch's arguments, e.g. {@code host} for {@code hdr(host)}
 * @param flags {@code -i}, {@code -m beg}, {@code -f file} ..., in order, as written
 * @param values the patterns
 */
public record Acl(String name, String fetch, List<String> fetchArgs, List<String> flags, List<String> values, Location location) {

  public Acl {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(fetch, "fetch");
    fetchArgs = List.copyOf(fetchArgs);
    flags = List.copyOf(flags);
    values = List.copyOf(values);
    Objects.requireNonNull(location, "location");
  }

  /** Whether {@code -i} (case-insensitive) was given. */
  public boolean ignoreCase() {
    return flags.contains("-i");
  }
}
