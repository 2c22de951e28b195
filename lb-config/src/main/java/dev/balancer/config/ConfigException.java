package dev.balancer.config;

import java.util.List;
import java.util.stream.Collectors;

/** Thrown by {@link LoadResult#orThrow()} when a configuration has errors; the message lists them. */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final List<Diagnostic> errors;

  public ConfigException(List<Diagnostic> errors) {
    super(errors.stream().map(Diagnostic::toString).collect(Collectors.joining("\n")));
    this.errors = List.copyOf(errors);
  }

  /** The errors, in file and line order. */
  public List<Diagnostic> errors() {
    return errors;
  }
}
