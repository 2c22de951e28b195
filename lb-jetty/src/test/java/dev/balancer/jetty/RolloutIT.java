package dev.balancer.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.balancer.core.AdminState;
import dev.balancer.webapp.WebApp;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two demo web apps behind the standalone balancer, driven by its config file, over real sockets. */
class RolloutIT {

  private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
  private static final Duration POLL = Duration.ofMillis(100);

  @TempDir Path dir;
  private Path cfg;
  private WebApp webapp1;
  private WebApp webapp2;
  private StandaloneBalancer lb;
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void start() throws Exception {
    webapp1 = WebApp.start("127.0.0.1", 0, "webapp1", QUIET);
    webapp2 = WebApp.start("127.0.0.1", 0, "webapp2", QUIET);
    cfg = dir.resolve("haproxy.cfg");
    Files.writeString(cfg, config("", ""));
    lb = StandaloneBalancer.start(List.of(cfg), POLL);
  }

  @AfterEach
  void stop() throws Exception {
    lb.close();
    webapp1.close();
    webapp2.close();
  }

  private String config(String webapp1Options, String extraBind) {
    return """
        global
          hard-stop-after 2s
        defaults
          mode http
          timeout connect 2s
          timeout client 30s
          timeout server 30s
        frontend www
          bind 127.0.0.1:0
        %s
          default_backend app
        backend app
          balance roundrobin
          server webapp1 127.0.0.1:%d %s
          server webapp2 127.0.0.1:%d
        """.formatted(extraBind, webapp1.port(), webapp1Options, webapp2.port());
  }

  /** Replaces the file the way editors and sed -i do: write aside, rename over. */
  private void rewrite(String text) throws Exception {
    Path tmp = dir.resolve("haproxy.cfg.tmp");
    Files.writeString(tmp, text);
    Files.move(tmp, cfg, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + lb.server().port("www") + path);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return client.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private String servedBy(HttpResponse<String> r) {
    return r.headers().firstValue("x-served-by").orElse("?");
  }

  @Test
  void requestsAlternateBetweenTheTwoInstances() throws Exception {
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      HttpResponse<String> r = get("/");
      assertThat(r.statusCode()).isEqualTo(200);
      seen.add(servedBy(r));
    }

    assertThat(seen).containsExactly("webapp1", "webapp2", "webapp1", "webapp2", "webapp1", "webapp2");
  }

  @Test
  void markingOneDisabledMovesAllNewRequestsWithinTwoSecondsAndNoneFails() throws Exception {
    try (TrafficLoop traffic = new TrafficLoop(uri("/"), 4)) {
      await().atMost(Duration.ofSeconds(5)).until(() -> traffic.countBy(TrafficLoop.Outcome::servedBy).keySet()
          .containsAll(List.of("webapp1", "webapp2")));

      long reloads = lb.reloader().succeeded();
      rewrite(config("disabled", ""));
      // from the end of the reload (its swap), not from when the server's state shows MAINT: the
      // state is set while the new configuration is built, a moment before it serves
      await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20))
          .until(() -> lb.reloader().succeeded() > reloads);
      long appliedAt = System.nanoTime();
      assertThat(lb.server().balancer().server("app", "webapp1").orElseThrow().adminState()).isEqualTo(AdminState.MAINT);
      await().atMost(Duration.ofSeconds(5)).until(() -> traffic.outcomes().stream()
          .filter(o -> o.startNanos() > appliedAt).count() >= 200);
      traffic.close();

      assertThat(traffic.outcomes().stream().filter(o -> o.startNanos() > appliedAt).map(TrafficLoop.Outcome::servedBy))
          .isNotEmpty().containsOnly("webapp2");
      assertThat(traffic.failures()).isEmpty();
    }
  }

  @Test
  void requestInFlightFinishesOnTheServerItChoseAcrossAReload() throws Exception {
    CompletableFuture<HttpResponse<String>> slow = client.sendAsync(
        HttpRequest.newBuilder(uri("/?delay=1500")).build(), HttpResponse.BodyHandlers.ofString());
    await().atMost(Duration.ofSeconds(2))
        .until(() -> lb.server().balancer().server("app", "webapp1").orElseThrow().inFlight() == 1);

    rewrite(config("disabled", ""));
    await().atMost(Duration.ofSeconds(2))
        .until(() -> lb.server().balancer().server("app", "webapp1").orElseThrow().adminState() == AdminState.MAINT);
    assertThat(lb.server().balancer().server("app", "webapp1").orElseThrow().inFlight()).isEqualTo(1);
    assertThat(servedBy(get("/"))).isEqualTo("webapp2");

    HttpResponse<String> r = slow.get();
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(servedBy(r)).isEqualTo("webapp1");
    await().atMost(Duration.ofSeconds(2))
        .until(() -> lb.server().balancer().server("app", "webapp1").orElseThrow().inFlight() == 0);
  }

  @Test
  void twoSecondRequestsInFlightWhenAReloadRemovesTheirServerCompleteWith200() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> slow = new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) {
      slow.add(client.sendAsync(HttpRequest.newBuilder(uri("/?delay=2000")).build(), HttpResponse.BodyHandlers.ofString()));
    }
    await().atMost(Duration.ofSeconds(2))
        .until(() -> lb.server().balancer().server("app", "webapp1").orElseThrow().inFlight() == 2);

    // webapp1 leaves the file altogether
    rewrite(config("", "").replaceAll("(?m)^  server webapp1 .*\n", ""));
    await().atMost(Duration.ofSeconds(3)).until(() -> lb.server().balancer().server("app", "webapp1").isEmpty());
    assertThat(servedBy(get("/"))).isEqualTo("webapp2");

    for (CompletableFuture<HttpResponse<String>> f : slow) {
      assertThat(f.get().statusCode()).isEqualTo(200);
    }
    assertThat(slow.stream().map(f -> servedBy(f.join()))).containsExactlyInAnyOrder("webapp1", "webapp1", "webapp2", "webapp2");
  }

  @Test
  void fileWithErrorsIsRejectedAndTheOldConfigKeepsServing() throws Exception {
    rewrite(config("wieght 3", ""));

    await().atMost(Duration.ofSeconds(3)).until(() -> lb.reloader().failed() == 1);
    assertThat(lb.server().balancer().generation()).isEqualTo(1);
    assertThat(lb.reloader().lastFailure().orElseThrow().diagnostics()).extracting(Object::toString)
        .anyMatch(d -> d.contains("haproxy.cfg:14: error:") && d.contains("'wieght'"));
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      seen.add(servedBy(get("/")));
    }
    assertThat(seen).containsExactlyInAnyOrder("webapp1", "webapp2", "webapp1", "webapp2");

    rewrite(config("disabled", ""));
    await().atMost(Duration.ofSeconds(3)).until(() -> lb.reloader().succeeded() == 1);
    assertThat(servedBy(get("/"))).isEqualTo("webapp2");
  }

  @Test
  void bindAddedByAReloadOpensWithoutRestartingAndRemovedOneCloses() throws Exception {
    int oldPort = lb.server().port("www");
    rewrite(config("", "  bind 127.0.0.1:0 name second"));

    await().atMost(Duration.ofSeconds(3)).until(() -> lb.server().ports("www").size() == 2);
    int second = lb.server().ports("www").get(1);
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + second + "/")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(lb.server().port("www")).isEqualTo(oldPort);

    rewrite(config("", ""));
    await().atMost(Duration.ofSeconds(3)).until(() -> lb.server().ports("www").equals(List.of(oldPort)));
    await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> {
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", second)) {
        return false;
      } catch (java.net.ConnectException refused) {
        return true;
      }
    });
    assertThat(get("/").statusCode()).isEqualTo(200);
  }

  @Test
  void fileWithNoListenerIsRejectedAndKeepsServing() throws Exception {
    rewrite("""
        defaults
          mode http
        backend app
          server webapp1 127.0.0.1:%d
        """.formatted(webapp1.port()));

    await().atMost(Duration.ofSeconds(3)).until(() -> lb.reloader().failed() == 1);
    assertThat(get("/").statusCode()).isEqualTo(200);
  }

  @Test
  void renamingTheFrontendKeepsItsSocketAndItsTraffic() throws Exception {
    int port = freePortBelow32768();
    String fixed = config("", "").replace("bind 127.0.0.1:0", "bind 127.0.0.1:" + port);
    rewrite(fixed);
    await().atMost(Duration.ofSeconds(3)).until(() -> lb.server().ports("www").equals(List.of(port)));

    rewrite(fixed.replace("frontend www", "frontend web"));

    await().atMost(Duration.ofSeconds(3)).until(() -> lb.reloader().succeeded() + lb.reloader().failed() == 2);
    assertThat(lb.reloader().failed()).isZero();
    assertThat(lb.server().ports("web")).containsExactly(port);
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
  }

  /** A fixed port outside the ephemeral range, checked free (HAProxy-style configs name their ports). */
  private static int freePortBelow32768() {
    for (int attempt = 0; attempt < 50; attempt++) {
      int port = 20000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(12000);
      try (java.net.ServerSocket s = new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
        return port;
      } catch (java.io.IOException taken) {
        // try another
      }
    }
    throw new IllegalStateException("no free port below 32768");
  }

  @Test
  void aKubernetesStyleSymlinkSwapIsPickedUp() throws Exception {
    lb.close();
    Path data1 = Files.createDirectories(dir.resolve("..2026_11_26_a"));
    Files.writeString(data1.resolve("haproxy.cfg"), config("", ""));
    Path dataLink = dir.resolve("..data");
    Files.createSymbolicLink(dataLink, data1.getFileName());
    Path k8s = dir.resolve("k8s.cfg");
    Files.createSymbolicLink(k8s, Path.of("..data", "haproxy.cfg"));
    lb = StandaloneBalancer.start(List.of(k8s), POLL);

    Path data2 = Files.createDirectories(dir.resolve("..2026_11_26_b"));
    Files.writeString(data2.resolve("haproxy.cfg"), config("disabled", ""));
    Path tmpLink = dir.resolve("..data_tmp");
    Files.createSymbolicLink(tmpLink, data2.getFileName());
    Files.move(tmpLink, dataLink, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

    await().atMost(Duration.ofSeconds(3)).until(() -> lb.reloader().succeeded() == 1);
    assertThat(servedBy(get("/"))).isEqualTo("webapp2");
  }

  @Test
  void anInPlaceWriteIsPickedUp() throws Exception {
    Files.writeString(cfg, config("disabled", ""));

    await().atMost(Duration.ofSeconds(3)).until(() -> lb.reloader().succeeded() == 1);
    assertThat(servedBy(get("/"))).isEqualTo("webapp2");
  }
}
