package dev.balancer.config;

import dev.balancer.config.model.Config;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What reading a configuration gave: the model when the files had no error, and every diagnostic
 * in file and line order.
 */
public record LoadResult(Optional<Config> config, List<Diagnostic> diagnostics) {

  public LoadResult {
    Objects.requireNonNull(config, "config");
    diagnostics = List.copyOf(diagnostics);
  }

  /** True when at least one diagnostic is an error; {@link #config()} is then empty. */
  public boolean hasErrors() {
    return diagnostics.stream().anyMatch(Diagnostic::isError);
  }

  /** The errors only. */
  public List<Diagnostic> errors() {
    return diagnostics.stream().filter(Diagnostic::isError).toList();
  }

  /** The warnings only. */
  public List<Diagnostic> warnings() {
    return diagnostics.stream().filter(d -> d.severity() == Severity.WARNING).toList();
  }

  /**
   * The model, or an exception listing every error.
   *
   * @throws ConfigException when the files had errors
   */
  public Config orThrow() {
    return config.orElseThrow(() -> new ConfigException(errors()));
  }
}
