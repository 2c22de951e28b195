package dev.balancer.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stopping, as HAProxy's soft stop: an idle keep-alive connection is closed at once, a request in
 * flight finishes (however long its server takes, up to {@code hard-stop-after}) and its answer
 * closes its connection ({@code connection: close}, checked on haproxy 2.6.12 with SIGUSR1). Jetty
 * on its own only gives every connection a 1 s idle timeout when it stops, which kept each stop of
 * the servlet path waiting a second for its idle clients. The same scenario runs through the real
 * haproxy (SIGUSR1) and must end the same way.
 */
class GracefulStopIT {

  @TempDir
  Path dir;
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicBoolean slowArrived = new AtomicBoolean();
  private HttpServer backend;
  private BalancerServer lb;

  @BeforeEach
  void start() throws Exception {
    backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    backend.createContext("/", exchange -> {
      if (exchange.getRequestURI().getPath().equals("/slow")) {
        slowArrived.set(true);
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      byte[] body = ("done " + exchange.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    backend.start();
    lb = BalancerServer.start(TestConfigs.www("  timeout http-keep-alive 30s\n  timeout client 30s\n",
        "  server s1 127.0.0.1:" + backend.getAddress().getPort() + "\n"), line -> { });
  }

  @AfterEach
  void stop() throws Exception {
    release.countDown();
    lb.close();
    backend.stop(0);
  }

  @Test
  void stoppingClosesIdleConnectionsAtOnceAndLetsARequestInFlightFinish() throws Exception {
    String answer = softStop(lb.port("www"), () -> CompletableFuture.runAsync(() -> {
      try {
        lb.close();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }));
    assertThat(answer).startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close").endsWith("done /slow");
  }

  /** The same file and clients through the real HAProxy, stopped softly (SIGUSR1): the same outcome. */
  @Test
  void haproxySoftStopsTheSameWay() throws Exception {
    Haproxy.requireHaproxy();
    int port = Haproxy.freePort();
    Path cfg = dir.resolve("haproxy.cfg");
    Files.writeString(cfg, """
        defaults
          mode http
          timeout connect 1s
          timeout client 30s
          timeout server 5s
          timeout http-keep-alive 30s
        frontend www
          bind 127.0.0.1:%d
          default_backend app
        backend app
          server s1 127.0.0.1:%d
        """.formatted(port, backend.getAddress().getPort()));
    Process haproxy = new ProcessBuilder("haproxy", "-db", "-f", cfg.toString()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("haproxy.log").toFile()).start();
    try {
      Haproxy.awaitListening(haproxy, port, dir.resolve("haproxy.log"));
      String answer = softStop(port, () -> {
        new ProcessBuilder("kill", "-USR1", String.valueOf(haproxy.pid())).start().waitFor();
        return haproxy.onExit().thenApply(p -> null);
      });
      assertThat(answer).startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close").endsWith("done /slow");
    } finally {
      haproxy.destroy();
      haproxy.waitFor();
    }
  }

  interface Stop {
    CompletableFuture<?> begin() throws Exception;
  }

  /**
   * An idle keep-alive client and one whose request waits for its server, then {@code stop}: the
   * idle one is let go while the other still waits; released, the waiting request gets its answer
   * (returned) and its connection ends; the stop completes.
   */
  private String softStop(int port, Stop stop) throws Exception {
    try (Socket idle = new Socket(InetAddress.getLoopbackAddress(), port);
        Socket busy = new Socket(InetAddress.getLoopbackAddress(), port)) {
      idle.setSoTimeout(20_000);
      busy.setSoTimeout(20_000);
      idle.getOutputStream().write("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(readAnswer(idle.getInputStream())).startsWith("HTTP/1.1 200").endsWith("done /fast");
      busy.getOutputStream().write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      await().untilTrue(slowArrived);

      CompletableFuture<?> stopped = stop.begin();

      // the idle client is let go while the slow request still waits for its server
      assertThat(idle.getInputStream().read()).as("the idle connection is closed").isEqualTo(-1);
      assertThat(stopped).isNotDone();

      release.countDown();
      String answer = readAnswer(busy.getInputStream());
      assertThat(busy.getInputStream().read()).as("closed after its answer").isEqualTo(-1);
      stopped.get(20, TimeUnit.SECONDS);
      return answer;
    }
  }

  /** One answer with a Content-Length body: its head and body as text. */
  private static String readAnswer(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed after " + head.toString(StandardCharsets.ISO_8859_1));
      }
      head.write(b);
    }
    String h = head.toString(StandardCharsets.ISO_8859_1);
    int length = 0;
    for (String line : h.split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    return h + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
  }
}
