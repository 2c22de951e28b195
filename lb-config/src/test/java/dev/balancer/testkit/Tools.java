package dev.balancer.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Outside tools a test needs (the real haproxy as an oracle, a browser): a test whose tool is
 * missing is skipped with the reason and the packages to install, outside CI, and fails where
 * {@code CI=true} (CI installs them). {@link SkippedTestsSummary} counts the skips for the build's
 * last line.
 */
public final class Tools {

  private Tools() {}

  /**
   * Requires every one of {@code commands} on the PATH.
   *
   * @param packages the Debian packages that bring them, for the message
   * @param why what the test needs them for
   */
  public static void require(String packages, String why, String... commands) {
    for (String command : commands) {
      if (!onPath(command)) {
        String reason = command + " is not installed (apt-get install -y " + packages + "): " + why;
        if ("true".equals(System.getenv("CI"))) {
          fail(reason + "; CI=true requires this test (.ci/run installs it)");
        }
        Assumptions.abort(reason);
      }
    }
  }

  /** Requires the real haproxy, the oracle of the differential tests. */
  public static void requireHaproxy() {
    require("haproxy", "it is the oracle of this differential test", "haproxy");
  }

  /** Whether {@code command} is an executable on the PATH. */
  public static boolean onPath(String command) {
    return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
        .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, command)));
  }
}
