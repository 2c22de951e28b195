package dev.balancer.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Counts the tests skipped for a missing tool in each module's run and keeps one line for the whole
 * build: {@code target/skipped-tests/SUMMARY} under the project's root (the system property {@code
 * balancer.root}), which the last module prints. Each test JVM writes its own file of reasons,
 * and the build starts with none (the root pom deletes them).
 */
public final class SkippedTestsSummary implements TestExecutionListener {

  private static final Pattern PACKAGES = Pattern.compile("apt-get install -y ([^)]+)\\)");

  private final List<String> skipped = new ArrayList<>();

  @Override
  public void executionSkipped(TestIdentifier test, String reason) {
    if (reason != null && reason.contains("apt-get install")) {
      skipped.add(test.getDisplayName() + ": " + reason);
    }
  }

  @Override
  public void executionFinished(TestIdentifier test, TestExecutionResult result) {
    if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
      String reason = result.getThrowable().map(Throwable::getMessage).orElse("");
      if (reason != null && reason.contains("apt-get install")) {
        skipped.add(test.getDisplayName() + ": " + reason.replaceFirst("^Assumption failed: ", ""));
      }
    }
  }

  @Override
  public void testPlanExecutionFinished(TestPlan plan) {
    String root = System.getProperty("balancer.root");
    String module = System.getProperty("balancer.module");
    if (root == null || module == null) {
      return;
    }
    Path dir = Path.of(root, "target", "skipped-tests");
    try {
      Files.createDirectories(dir);
      // one file per module and test JVM (failsafe forks two); appended, as a JVM may run several plans
      Files.write(dir.resolve(module + "-" + ProcessHandle.current().pid() + ".txt"), skipped, StandardCharsets.UTF_8,
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
      skipped.clear();
      Files.writeString(dir.resolve("SUMMARY"), summary(dir), StandardCharsets.UTF_8);
    } catch (IOException e) {
      System.err.println("could not write the skipped tests' summary: " + e);
    }
  }

  /** The build's line: how many tests were skipped and what to install to run them. */
  static String summary(Path dir) throws IOException {
    int count = 0;
    TreeSet<String> packages = new TreeSet<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".txt")).toList()) {
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
          if (line.isBlank()) {
            continue;
          }
          count++;
          Matcher m = PACKAGES.matcher(line);
          if (m.find()) {
            packages.addAll(List.of(m.group(1).trim().split("\\s+")));
          }
        }
      }
    }
    if (count == 0) {
      return "Skipped tests: none (every outside tool the tests use was there)";
    }
    return "Skipped tests: " + count + " for missing tools; to run them: apt-get install -y "
        + String.join(" ", packages) + " (reasons in target/skipped-tests/)";
  }
}
