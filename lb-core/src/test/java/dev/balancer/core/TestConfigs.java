package dev.balancer.core;

import dev.balancer.config.ConfigLoader;
import dev.balancer.config.model.Config;

/** The configuration most lb-core tests use: frontend {@code www} sending everything to backend {@code app}. */
final class TestConfigs {

  private TestConfigs() {}

  /**
   * @param defaultsLines extra lines for the defaults section (indented), or ""
   * @param backendLines the lines of backend {@code app} (indented)
   */
  static Config app(String defaultsLines, String backendLines) {
    return ConfigLoader.parse("test.cfg", "defaults\n  mode http\n" + defaultsLines
        + "frontend www\n  bind 127.0.0.1:0\n  default_backend app\nbackend app\n" + backendLines).orThrow();
  }

  /** {@link #app(String, String)} without extra defaults. */
  static Config app(String backendLines) {
    return app("", backendLines);
  }
}
