package dev.balancer.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

  @TempDir Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private Path write(String name, String text) throws Exception {
    return Files.writeString(dir.resolve(name), text);
  }

  @Test
  void checkOfValidFileSaysSoAndExitsZero() throws Exception {
    Path cfg = write("ok.cfg", """
        defaults
          mode http
          timeout connect 1s
          timeout client 1s
          timeout server 1s
        frontend fe
          bind 127.0.0.1:8080
          default_backend be
        backend be
          server s1 127.0.0.1:8081
        """);

    assertThat(run("-c", "-f", cfg.toString())).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("Configuration file is valid\n");
    assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  @Test
  void checkPrintsWarningsInHaproxyShapeAndStillExitsZero() throws Exception {
    Path cfg = write("warn.cfg", """
        frontend fe
          mode http
          bind 127.0.0.1:8080
          option http-ignore-probes
        """);

    assertThat(run("-c", "-f", cfg.toString())).isZero();
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("[WARNING]", "config : parsing [" + cfg + ":4] : 'option http-ignore-probes' is not supported yet; ignored")
        .contains("Warnings were found.");
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("Configuration file is valid\n");
  }

  @Test
  void checkOfFileWithUnknownKeywordPrintsFileLineAndExitsOne() throws Exception {
    Path cfg = write("bad.cfg", """
        frontend fe
          mode http
          bind 127.0.0.1:8080
          default_backend be
        backend be
          mode http
          server s1 127.0.0.1:8081 wieght 2
        """);

    assertThat(run("-c", "-f", cfg.toString())).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("[ALERT]", "config : parsing [" + cfg + ":7] : 'server be/s1' : unknown keyword 'wieght'; did you mean 'weight' maybe ?")
        .contains("Fatal errors found in configuration.");
    assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  @Test
  void checkOfFileWithoutListenerExitsTwoLikeHaproxy() throws Exception {
    Path cfg = write("nolisten.cfg", "backend be\n  mode http\n  server s1 127.0.0.1:8081\n");

    assertThat(run("-c", "-f", cfg.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("no listener");
  }

  @Test
  void haproxyImageFlagsAreAccepted() throws Exception {
    Path cfg = write("ok.cfg", "frontend fe\n  mode http\n  bind :80\n");

    assertThat(run("-W", "-db", "-c", "-q", "-f", cfg.toString())).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  @Test
  void missingFileIsNamed() {
    assertThat(run("-c", "-f", dir.resolve("nope.cfg").toString())).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("[ALERT]", "Could not open configuration file " + dir.resolve("nope.cfg") + " : No such file or directory");
  }
}
