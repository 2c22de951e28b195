package dev.balancer.jetty;

import dev.balancer.jetty.listen.ClientPhase;
import dev.balancer.jetty.listen.RequestTimeoutConnectionFactory;
import static org.assertj.core.api.Assertions.assertThat;

import static org.awaitility.Awaitility.await;

import dev.balancer.config.ConfigLoader;
import dev.balancer.core.ManualScheduler;
import dev.balancer.webapp.WebApp;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client side's timeouts ({@code timeout http-request}, {@code http-keep-alive}, {@code
 * client}), on a clock the test moves: silent and trickling clients get HAProxy's 408 at the
 * millisecond, idle keep-alive connections close silently, a stalled body is cut at {@code timeout
 * client}; the others are served.
 */
class SlowClientsIT {

  @TempDir
  Path dir;

  private WebApp app;
  private BalancerServer lb;
  private Process haproxy;
  /** The balancer's time: the client side's timeouts pass when the test says so. */
  private final ManualScheduler clock = new ManualScheduler();

  private static final String CONFIG = """
      defaults
        mode http
        timeout connect 1s
        timeout client 3s
        timeout server 5s
        timeout http-request 1s
        timeout http-keep-alive 500ms
      frontend www
        bind 127.0.0.1:%d
        default_backend app
      backend app
        server s1 127.0.0.1:%d
      """;

  @BeforeEach
  void start() throws Exception {
    app = WebApp.start("127.0.0.1", 0, "webapp1", new PrintStream(OutputStream.nullOutputStream()));
    lb = BalancerServer.start(ConfigLoader.parse("slow.cfg", CONFIG.formatted(0, app.port())).orThrow(), line -> { },
        clock);
  }

  @AfterEach
  void stop() throws Exception {
    if (haproxy != null) {
      haproxy.destroy();
      haproxy.waitFor();
    }
    lb.close();
    app.close();
  }

  private static String readAll(Socket s) throws IOException {
    return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
  }

  /** A connection to the balancer, once it has taken it (its timeouts count from then). */
  private Socket connect() throws IOException {
    int before = lb.openConnections("www");
    Socket s = new Socket("127.0.0.1", lb.port("www"));
    s.setSoTimeout(10_000);
    await().atMost(Duration.ofSeconds(5)).until(() -> lb.openConnections("www") > before);
    return s;
  }

  /** Waits until a client connection of the balancer is in {@code phase} (it has read what was sent). */
  private void awaitPhase(ClientPhase phase) {
    await().atMost(Duration.ofSeconds(5)).until(() -> lb.clientPhases("www").contains(phase));
  }

  private static void write(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().flush();
  }

  @Test
  void aTricklingClientGets408AtTimeoutHttpRequestWhileOthersAreServed() throws Exception {
    try (Socket s = connect()) {
      write(s, "GET / HTTP/1.1\r\nHost: a\r\n");
      write(s, "X-Slow: a");
      clock.advance(Duration.ofMillis(999));
      write(s, "b"); // still sending: a slowloris client
      assertThat(TestSockets.stillOpen(s)).as("before timeout http-request").isTrue();
      HttpResponse<String> other = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + lb.port("www") + "/")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(other.statusCode()).as("another client meanwhile").isEqualTo(200);

      clock.advance(Duration.ofMillis(1));

      assertThat(readAll(s)).startsWith("HTTP/1.1 408 Request Time-out\r\n")
          .endsWith(RequestTimeoutConnectionFactory.PAGE_408.body());
    }
  }

  @Test
  void aSilentNewConnectionGetsTheSame408AsFromHaproxy() throws Exception {
    Haproxy.requireHaproxy();
    int port = Haproxy.freePort();
    Path cfg = dir.resolve("haproxy.cfg");
    Files.writeString(cfg, CONFIG.formatted(port, app.port()));
    haproxy = new ProcessBuilder("haproxy", "-db", "-f", cfg.toString()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("haproxy.log").toFile()).start();
    Haproxy.awaitListening(haproxy, port, dir.resolve("haproxy.log"));

    String theirs;
    String ours;
    try (Socket h = new Socket("127.0.0.1", port); Socket o = connect()) {
      h.setSoTimeout(10_000);
      clock.advance(Duration.ofSeconds(1)); // HAProxy's own second passes in real time
      theirs = readAll(h);
      ours = readAll(o);
    }

    assertThat(ours).isEqualTo(theirs);
  }

  @Test
  void anIdleKeepAliveConnectionIsClosedSilentlyAfterTimeoutHttpKeepAlive() throws Exception {
    try (Socket s = connect()) {
      write(s, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      String head = readHead(s);
      s.getInputStream().readNBytes(contentLength(head));
      assertThat(head).startsWith("HTTP/1.1 200");
      awaitPhase(ClientPhase.BETWEEN);

      clock.advance(Duration.ofMillis(499));
      assertThat(TestSockets.stillOpen(s)).as("before timeout http-keep-alive").isTrue();
      clock.advance(Duration.ofMillis(1));

      assertThat(s.getInputStream().read()).as("closed, and no 408").isEqualTo(-1);
    }
  }

  @Test
  void aClientStalledInItsBodyIsCutAtTimeoutClientNotTheShorterOnes() throws Exception {
    try (Socket s = connect()) {
      write(s, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nab");
      awaitPhase(ClientPhase.BODY);
      clock.advance(Duration.ofMillis(2999));
      assertThat(TestSockets.stillOpen(s)).as("past http-request and keep-alive, before timeout client").isTrue();
      clock.advance(Duration.ofMillis(1));

      assertThat(readAll(s)).isEqualTo("");
    }
  }

  @Test
  void aRequestWaitingForItsServerIsNotCutByTheClientSideTimeouts() throws Exception {
    // HTTP/1.1: Java's default client asks to upgrade to h2c, which takes the tunnel's blocking handshake
    CompletableFuture<HttpResponse<String>> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
        .sendAsync(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + lb.port("www") + "/?delay=1500")).build(), HttpResponse.BodyHandlers.ofString());
    await().atMost(Duration.ofSeconds(5)).until(() -> lb.balancer().server("app", "s1").orElseThrow().inFlight() == 1);
    // sent: its 'timeout server' (5 s) counts on the clock from here
    await().atMost(Duration.ofSeconds(5)).until(() -> clock.dueIn().contains(Duration.ofSeconds(5)));

    // every client-side timeout (the longest, 'timeout client', is 3 s) passes while the server
    // works; 'timeout server' does not
    clock.advance(Duration.ofSeconds(4));

    assertThat(r.get(10, java.util.concurrent.TimeUnit.SECONDS).statusCode()).isEqualTo(200);
  }

  private static String readHead(Socket s) throws IOException {
    StringBuilder b = new StringBuilder();
    while (!b.toString().endsWith("\r\n\r\n")) {
      int c = s.getInputStream().read();
      if (c < 0) {
        break;
      }
      b.append((char) c);
    }
    return b.toString();
  }

  private static int contentLength(String head) {
    return head.lines().filter(l -> l.toLowerCase().startsWith("content-length:"))
        .mapToInt(l -> Integer.parseInt(l.substring(15).trim())).findFirst().orElse(0);
  }
}
