package dev.balancer.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same files through the real {@code haproxy -c} and through our parser: the same verdict, and
 * for errors the same line numbers wherever HAProxy gives one.
 *
 * <p>A file that starts with {@code # balancer-expects: error LINE reason} documents a place where
 * Balancer refuses, on purpose and with file:line, what HAProxy accepts (a feature we do not
 * implement, such as {@code mode tcp}); the test then checks both sides of that difference.
 */
class HaproxyDifferentialTest {

  private static final Path DIR = Path.of("src/test/resources/differential").toAbsolutePath();
  private static final Pattern ALERT_LINE = Pattern.compile("\\[ALERT\\].*?\\[([^\\]]+\\.cfg):(\\d+)\\]");
  private static final Pattern EXPECTS = Pattern.compile("# balancer-expects: error (\\d+) .*");

  @BeforeAll
  static void haproxyIsInstalled() {
    dev.balancer.testkit.Tools.requireHaproxy();
  }

  static List<String> files() throws IOException {
    try (Stream<Path> s = Files.list(DIR)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".cfg")).sorted().toList();
    }
  }

  private record Verdict(boolean valid, Set<Integer> errorLines, String output) {}

  private static Verdict haproxy(String file) throws Exception {
    Process p = new ProcessBuilder("haproxy", "-c", "-f", file).directory(DIR.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("haproxy -c did not finish on " + file);
    }
    Set<Integer> lines = new TreeSet<>();
    Matcher m = ALERT_LINE.matcher(out);
    while (m.find()) {
      if (m.group(1).endsWith(file)) {
        lines.add(Integer.parseInt(m.group(2)));
      }
    }
    // exit 2: valid but nothing would listen
    return new Verdict(p.exitValue() == 0 || p.exitValue() == 2, lines, out);
  }

  private static Verdict ours(String file) {
    LoadResult r = ConfigLoader.load(DIR.resolve(file));
    Set<Integer> lines = new TreeSet<>();
    r.errors().forEach(d -> lines.add(d.location().line()));
    StringBuilder out = new StringBuilder();
    r.diagnostics().forEach(d -> out.append(d).append('\n'));
    return new Verdict(!r.hasErrors(), lines, out.toString());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void sameVerdictAndErrorLinesAsHaproxy(String file) throws Exception {
    Verdict theirs = haproxy(file);
    Verdict ours = ours(file);
    String firstLine = Files.readAllLines(DIR.resolve(file)).get(0);
    Matcher expected = EXPECTS.matcher(firstLine);
    if (expected.matches()) {
      assertThat(theirs.valid()).as("HAProxy still accepts the documented divergence\n" + theirs.output()).isTrue();
      assertThat(ours.valid()).as(ours.output()).isFalse();
      assertThat(ours.errorLines()).as(ours.output()).containsExactly(Integer.parseInt(expected.group(1)));
      return;
    }
    assertThat(ours.valid()).as("verdict on %s\nHAProxy:\n%s\nBalancer:\n%s", file, theirs.output(), ours.output())
        .isEqualTo(theirs.valid());
    if (!theirs.errorLines().isEmpty()) {
      assertThat(ours.errorLines()).as("error lines of %s\nHAProxy:\n%s\nBalancer:\n%s", file, theirs.output(), ours.output())
          .isEqualTo(theirs.errorLines());
    }
  }
}
