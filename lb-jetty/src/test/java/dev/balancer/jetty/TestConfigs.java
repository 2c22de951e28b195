package dev.balancer.jetty;

import dev.balancer.config.ConfigLoader;
import dev.balancer.config.model.Config;

/** The configuration most lb-jetty tests use: frontend {@code www} on a free port, backend {@code app}. */
final class TestConfigs {

  private TestConfigs() {}

  /**
   * @param defaultsLines extra lines for the defaults section (indented), or ""
   * @param backendLines the lines of backend {@code app} (indented)
   */
  static Config www(String defaultsLines, String backendLines) {
    return ConfigLoader.parse("test.cfg", "defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n"
        + "  timeout server 5s\n" + defaultsLines + "frontend www\n  bind 127.0.0.1:0\n  default_backend app\n"
        + "backend app\n" + backendLines).orThrow();
  }
}
