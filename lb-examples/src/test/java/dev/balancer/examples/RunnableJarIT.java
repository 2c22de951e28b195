package dev.balancer.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.balancer.webapp.WebApp;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runnable jar exactly as the README runs it: {@code java -jar lb-jetty/target/lb-jetty.jar}. */
class RunnableJarIT {

  private static final Path JAR = Path.of("..", "lb-jetty", "target", "lb-jetty.jar").toAbsolutePath().normalize();

  @TempDir Path dir;

  @BeforeAll
  static void jarIsBuilt() {
    assertThat(JAR).as("lb-jetty's runnable jar: build the whole reactor (mvn verify at the top)").isRegularFile();
  }

  private static Process java(Path workDir, String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString()));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true).start();
  }

  @Test
  void checkPrintsFileAndLineOfAnUnknownKeywordAndExitsOne() throws Exception {
    Files.writeString(dir.resolve("haproxy.cfg"), """
        defaults
          mode http
        frontend www
          bind :8080
          default_backend app
        backend app
          server s1 127.0.0.1:8081 chek
        """);

    Process p = java(dir, "-c", "-f", "haproxy.cfg");
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isEqualTo(1);
    assertThat(output).contains("parsing [haproxy.cfg:7] : 'server app/s1' : unknown keyword 'chek'; did you mean 'check' maybe ?");
  }

  @Test
  void checkOfAValidFileExitsZero() throws Exception {
    Files.writeString(dir.resolve("haproxy.cfg"), """
        defaults
          mode http
          timeout connect 5s
          timeout client 30s
          timeout server 30s
        frontend www
          bind :8080
          default_backend app
        backend app
          server s1 127.0.0.1:8081 check
        """);

    Process p = java(dir, "-c", "-f", "haproxy.cfg");
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output).contains("Configuration file is valid");
  }

  @Test
  void runsTheConfigAndProxiesToTheWebApp() throws Exception {
    try (WebApp app = WebApp.start("127.0.0.1", 0, "webapp1", new PrintStream(OutputStream.nullOutputStream()))) {
      Files.writeString(dir.resolve("haproxy.cfg"), """
          defaults
            mode http
            timeout connect 5s
            timeout client 30s
            timeout server 30s
          frontend www
            bind 127.0.0.1:0
            default_backend app
          backend app
            server webapp1 127.0.0.1:%d
          """.formatted(app.port()));
      Process p = java(dir, "-f", "haproxy.cfg");
      try {
        StringBuilder log = new StringBuilder();
        Pattern listening = Pattern.compile("frontend 'www' listening on 127\\.0\\.0\\.1:(\\d+)");
        Thread reader = new Thread(() -> {
          try {
            p.getInputStream().transferTo(new OutputStream() {
              @Override
              public void write(int b) {
                synchronized (log) {
                  log.append((char) b);
                }
              }
            });
          } catch (java.io.IOException ignored) {
            // the process ended
          }
        });
        reader.setDaemon(true);
        reader.start();
        int port = await().atMost(Duration.ofSeconds(30)).until(() -> {
          synchronized (log) {
            Matcher m = listening.matcher(log);
            return m.find() ? Integer.parseInt(m.group(1)) : 0;
          }
        }, port1 -> port1 > 0);

        HttpResponse<String> r = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
            HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("Hello from webapp1");
      } finally {
        p.destroy();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      }
    }
  }
}
