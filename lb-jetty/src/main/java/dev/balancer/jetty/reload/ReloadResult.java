package dev.balancer.jetty.reload;

import dev.balancer.config.Diagnostic;
import java.util.List;

/**
 * What one reload did.
 *
 * @param applied whether the new configuration is now serving
 * @param diagnostics every warning and error found; with an error, the old configuration serves on
 * @param failure why applying failed although the files were valid (a port already taken), or empty
 */
public record ReloadResult(boolean applied, List<Diagnostic> diagnostics, String failure) {

  public ReloadResult {
    diagnostics = List.copyOf(diagnostics);
  }
}
