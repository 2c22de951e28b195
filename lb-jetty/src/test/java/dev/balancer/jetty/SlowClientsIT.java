package dev.balancer.jetty;

import dev.balancer.jetty.listen.RequestTimeoutConnectionFactory;
import static org.assertj.core.api.Assertions.assertThat;

import dev.balancer.config.ConfigLoader;
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
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code timeout http-request}: silent and trickling clients get HAProxy's 408; the others are served. */
class SlowClientsIT {

  @TempDir
  Path dir;

  private WebApp app;
  private BalancerServer lb;
  private Process haproxy;

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
    lb = BalancerServer.start(ConfigLoader.parse("slow.cfg", CONFIG.formatted(0, app.port())).orThrow());
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

  @Test
  void aTricklingClientGets408WhileOthersAreServed() throws Exception {
    CompletableFuture<Integer> other = new CompletableFuture<>();
    try (Socket s = new Socket("127.0.0.1", lb.port("www"))) {
      s.setSoTimeout(10_000);
      long t0 = System.nanoTime();
      s.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\n".getBytes(StandardCharsets.ISO_8859_1));
      java.util.concurrent.atomic.AtomicInteger trickled = new java.util.concurrent.atomic.AtomicInteger();
      Thread trickle = new Thread(() -> {
        try {
          for (int i = 0; i < 100 && !s.isClosed(); i++) {
            s.getOutputStream().write('x');
            trickled.incrementAndGet();
            Thread.sleep(100); // a slowloris client: one byte every 100 ms
          }
        } catch (Exception e) {
          // cut off by the balancer: what this test expects
        }
      });
      trickle.setDaemon(true);
      trickle.start();
      HttpClient.newHttpClient().sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lb.port("www") + "/"))
          .build(), HttpResponse.BodyHandlers.discarding()).thenAccept(r -> other.complete(r.statusCode()));

      String answer = readAll(s);
      long tookMillis = (System.nanoTime() - t0) / 1_000_000;
      int sentBeforeTheAnswer = trickled.get();

      assertThat(answer).startsWith("HTTP/1.1 408 Request Time-out\r\n").endsWith(RequestTimeoutConnectionFactory.PAGE_408.body());
      // cut at timeout http-request (1 s), not before, although it never stopped sending (it had
      // 10 s of bytes to send)
      assertThat(tookMillis).isGreaterThanOrEqualTo(900L);
      assertThat(sentBeforeTheAnswer).isLessThan(100);
    }
    assertThat(other.get()).isEqualTo(200);
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
    try (Socket h = new Socket("127.0.0.1", port); Socket o = new Socket("127.0.0.1", lb.port("www"))) {
      h.setSoTimeout(10_000);
      o.setSoTimeout(10_000);
      theirs = readAll(h);
      ours = readAll(o);
    }

    assertThat(ours).isEqualTo(theirs);
  }

  @Test
  void anIdleKeepAliveConnectionIsClosedSilentlyAfterTimeoutHttpKeepAlive() throws Exception {
    try (Socket s = new Socket("127.0.0.1", lb.port("www")); Socket stalled = new Socket("127.0.0.1", lb.port("www"))) {
      s.setSoTimeout(10_000);
      // beside it, a client stalled in its body from the same moment: cut at timeout client (3 s)
      stalled.getOutputStream().write("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nab"
          .getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      long t0 = System.nanoTime();
      String answer = readAll(s);
      long tookMillis = (System.nanoTime() - t0) / 1_000_000;

      assertThat(answer).startsWith("HTTP/1.1 200").doesNotContain("408");
      // closed after timeout http-keep-alive (500 ms), not before, and before timeout client: the
      // stalled connection is still open
      assertThat(tookMillis).isGreaterThanOrEqualTo(300L);
      stalled.setSoTimeout(1);
      assertThat(stillOpen(stalled)).as("the stalled client, under timeout client").isTrue();
    }
  }

  /** Whether the balancer has neither answered nor closed {@code s} yet. */
  private static boolean stillOpen(Socket s) throws IOException {
    try {
      s.getInputStream().read(); // an answer, or the end: not open any more
      return false;
    } catch (java.net.SocketTimeoutException nothingYet) {
      return true;
    }
  }

  @Test
  void aClientStalledInItsBodyIsCutAtTimeoutClient() throws Exception {
    try (Socket s = new Socket("127.0.0.1", lb.port("www"))) {
      s.setSoTimeout(10_000);
      long t0 = System.nanoTime();
      s.getOutputStream().write("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nab".getBytes(StandardCharsets.ISO_8859_1));
      readAll(s);
      long tookMillis = (System.nanoTime() - t0) / 1_000_000;

      // timeout client (3 s) applies, not the shorter keep-alive or http-request ones; and not
      // never: it ended within the socket's 10 s
      assertThat(tookMillis).isGreaterThanOrEqualTo(2500L);
    }
  }

  @Test
  void aRequestWaitingForItsServerIsNotCutByTheShorterTimeouts() throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + lb.port("www") + "/?delay=1500")).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(200);
  }
}
