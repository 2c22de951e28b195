package dev.balancer.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.balancer.config.model.HttpCheck;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The check protocols against backends that misbehave on purpose, over real sockets. */
class SocketProberIT {

  private final Prober prober = Prober.sockets();
  private final List<AutoCloseable> toClose = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final ConcurrentLinkedQueue<String> requests = new ConcurrentLinkedQueue<>();

  interface Behaviour {
    void serve(Socket s, String request) throws Exception;
  }

  /** A backend on 127.0.0.1 that reads the request head and then does what it is told. */
  private int backend(Behaviour behaviour) throws IOException {
    ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    toClose.add(server);
    Thread t = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          toClose.add(s);
          InputStream in = s.getInputStream();
          StringBuilder head = new StringBuilder();
          s.setSoTimeout(2000);
          try {
            while (!head.toString().endsWith("\r\n\r\n")) {
              int c = in.read();
              if (c < 0) {
                break;
              }
              head.append((char) c);
            }
          } catch (IOException timeout) {
            // a TCP check sends nothing
          }
          requests.add(head.toString());
          behaviour.serve(s, head.toString());
        } catch (Exception e) {
          return;
        }
      }
    });
    t.setDaemon(true);
    t.start();
    return server.getLocalPort();
  }

  private static void respond(Socket s, String response) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(response.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    s.close();
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  private static HttpCheck http(List<HttpCheck.Expect> expects, boolean disableOn404) {
    return new HttpCheck(HttpCheck.Request.DEFAULT, expects, disableOn404, false);
  }

  private CheckResult check(int port, Optional<HttpCheck> http, Duration total) {
    return prober.probe(new CheckTarget("127.0.0.1", port, http, Duration.ofSeconds(1), total)).join();
  }

  private static int refusedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void refusedConnectionIsL4con() throws Exception {
    CheckResult r = check(refusedPort(), Optional.empty(), Duration.ofSeconds(1));

    assertThat(r.status()).isEqualTo(CheckStatus.L4CON);
    assertThat(r.info()).isEqualTo("Connection refused");
  }

  @Test
  void anOpenPortPassesTheTcpCheckEvenIfSilent() throws Exception {
    int port = backend((s, req) -> { });

    assertThat(check(port, Optional.empty(), Duration.ofSeconds(1)).status()).isEqualTo(CheckStatus.L4OK);
  }

  @Test
  void bareHttpchkSendsOptionsHttp10AndA2xxPasses() throws Exception {
    int port = backend((s, req) -> respond(s, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"));

    CheckResult r = check(port, Optional.of(http(List.of(), false)), Duration.ofSeconds(1));

    assertThat(r.status()).isEqualTo(CheckStatus.L7OK);
    assertThat(r.code()).isEqualTo(200);
    assertThat(requests).containsExactly("OPTIONS / HTTP/1.0\r\n\r\n");
  }

  @Test
  void http11SendRequestHasLowercaseHeadersAndConnectionClose() throws Exception {
    int port = backend((s, req) -> respond(s, "HTTP/1.1 204 No Content\r\n\r\n"));
    HttpCheck hc = new HttpCheck(new HttpCheck.Request("HEAD", "/ready", "HTTP/1.1",
        List.of(new HttpCheck.Header("Host", "app.local")), Optional.empty()), List.of(), false, false);

    assertThat(check(port, Optional.of(hc), Duration.ofSeconds(1)).status()).isEqualTo(CheckStatus.L7OK);
    assertThat(requests).containsExactly("HEAD /ready HTTP/1.1\r\nhost: app.local\r\nconnection: close\r\n\r\n");
  }

  @Test
  void a503IsL7stsWithItsCode() throws Exception {
    int port = backend((s, req) -> respond(s, "HTTP/1.0 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"));

    CheckResult r = check(port, Optional.of(http(List.of(), false)), Duration.ofSeconds(1));

    assertThat(r.status()).isEqualTo(CheckStatus.L7STS);
    assertThat(r.code()).isEqualTo(503);
    assertThat(r.info()).isEqualTo("Service Unavailable");
  }

  @Test
  void aSilentServerTimesOutAtLayer7() throws Exception {
    int port = backend((s, req) -> { });

    CheckResult r = check(port, Optional.of(http(List.of(), false)), Duration.ofMillis(300));

    assertThat(r.status()).isEqualTo(CheckStatus.L7TOUT);
    assertThat(r.duration()).isGreaterThanOrEqualTo(Duration.ofMillis(300)).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void aSlowAnswerPastTheTimeoutIsL7tout() throws Exception {
    int port = backend((s, req) -> {
      Thread.sleep(800); // the backend plays a slow server
      respond(s, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
    });

    assertThat(check(port, Optional.of(http(List.of(), false)), Duration.ofMillis(300)).status())
        .isEqualTo(CheckStatus.L7TOUT);
  }

  @Test
  void aBodyWithoutTheExpectedStringIsL7rspAndNegationWorks() throws Exception {
    int port = backend((s, req) -> respond(s, "HTTP/1.0 200 OK\r\nContent-Length: 8\r\n\r\ndegraded"));

    assertThat(check(port, Optional.of(http(List.of(new HttpCheck.Expect(false, "string", "ready")), false)),
        Duration.ofSeconds(1)).status()).isEqualTo(CheckStatus.L7RSP);
    assertThat(check(port, Optional.of(http(List.of(new HttpCheck.Expect(true, "string", "degraded")), false)),
        Duration.ofSeconds(1)).status()).isEqualTo(CheckStatus.L7RSP);
    assertThat(check(port, Optional.of(http(List.of(new HttpCheck.Expect(false, "status", "200-299")), false)),
        Duration.ofSeconds(1)).status()).isEqualTo(CheckStatus.L7OK);
  }

  @Test
  void aResetMidResponseFails() throws Exception {
    int port = backend((s, req) -> {
      s.getOutputStream().write("HTTP/1.0 200 OK\r\nContent-Le".getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      s.setSoLinger(true, 0);
      s.close();
    });

    CheckResult r = check(port, Optional.of(http(List.of(), false)), Duration.ofSeconds(1));

    assertThat(r.status().success()).isFalse();
    assertThat(r.status()).isIn(CheckStatus.L4CON, CheckStatus.L7RSP);
  }

  @Test
  void a404WithDisableOn404IsL7okcAndWithoutIsL7sts() throws Exception {
    int port = backend((s, req) -> respond(s, "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"));

    assertThat(check(port, Optional.of(http(List.of(), true)), Duration.ofSeconds(1)).status()).isEqualTo(CheckStatus.L7OKC);
    assertThat(check(port, Optional.of(http(List.of(), false)), Duration.ofSeconds(1)).status()).isEqualTo(CheckStatus.L7STS);
  }
}
