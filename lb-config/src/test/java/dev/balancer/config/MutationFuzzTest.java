package dev.balancer.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Random mutations of valid files: the loader must answer every one with a result (diagnostics,
 * never an exception) and must not hang. The seed is fixed so a failure reproduces; set
 * {@code -Dfuzz.seed=N -Dfuzz.rounds=N} to explore further.
 */
class MutationFuzzTest {

  private static final String NOISE = "\"'\\#{}()$ \t\n:,.-!|&%[]*0123456789abcXYZ@/";
  private static final String[] WORDS = {
      "server", "bind", "backend", "frontend", "listen", "defaults", "global", "acl", "if", "unless", "{", "}",
      "option", "no", "timeout", "balance", ".if", ".else", ".endif", ".elif", "${X}", "\"${X[*]}\"", "weight",
      "check", "-i", "-m", "||", "!", "use_backend", "http-request", "cookie", "stats", "from", "99999999999",
      "-1", "0", "::", "[::1]", "1-3", "server-template", "default-server", "track", "id"};

  @Test
  void mutatedFilesGiveDiagnosticsNeverExceptionsAndNeverHang() throws IOException {
    long seed = Long.getLong("fuzz.seed", 20261126L);
    int rounds = Integer.getInteger("fuzz.rounds", 3000);
    List<String> corpus = new ArrayList<>();
    try (Stream<Path> s = Files.list(Path.of("src/test/resources/differential"))) {
      for (Path p : s.filter(f -> f.getFileName().toString().startsWith("ok-")).sorted().toList()) {
        corpus.add(Files.readString(p));
      }
    }
    assertThat(corpus).hasSizeGreaterThan(20);
    Random random = new Random(seed);

    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      for (int i = 0; i < rounds; i++) {
        String text = mutate(corpus.get(random.nextInt(corpus.size())), random);
        LoadResult r;
        try {
          r = ConfigLoader.parse("fuzz.cfg", text);
        } catch (RuntimeException e) {
          throw new AssertionError("seed " + seed + ", round " + i + ": an exception instead of a diagnostic for:\n" + text, e);
        }
        assertThat(r.config().isPresent()).as("a result has a model exactly when it has no error").isEqualTo(!r.hasErrors());
      }
    });
  }

  static String mutate(String text, Random random) {
    StringBuilder b = new StringBuilder(text);
    int n = 1 + random.nextInt(4);
    for (int k = 0; k < n && b.length() > 0; k++) {
      int at = random.nextInt(b.length());
      switch (random.nextInt(7)) {
        case 0 -> b.deleteCharAt(at);
        case 1 -> b.insert(at, NOISE.charAt(random.nextInt(NOISE.length())));
        case 2 -> b.insert(at, " " + WORDS[random.nextInt(WORDS.length)] + " ");
        case 3 -> b.setLength(at);
        case 4 -> {
          List<String> lines = new ArrayList<>(Arrays.asList(b.toString().split("\n", -1)));
          int i = random.nextInt(lines.size());
          lines.add(random.nextInt(lines.size() + 1), lines.get(i));
          b.setLength(0);
          b.append(String.join("\n", lines));
        }
        case 5 -> {
          List<String> lines = new ArrayList<>(Arrays.asList(b.toString().split("\n", -1)));
          java.util.Collections.swap(lines, random.nextInt(lines.size()), random.nextInt(lines.size()));
          b.setLength(0);
          b.append(String.join("\n", lines));
        }
        default -> {
          int end = Math.min(b.length(), at + 1 + random.nextInt(8));
          b.replace(at, end, WORDS[random.nextInt(WORDS.length)]);
        }
      }
    }
    return b.toString();
  }
}
