package dev.balancer.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.balancer.config.ConfigLoader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Requests written to get past the rules or to reach what the configuration does not name, over
 * raw sockets: each must be refused or kept inside the configuration, and the balancer must keep
 * serving the next client.
 */
class HostileRequestsIT {

  private HttpServer backend;
  private final List<String> received = new CopyOnWriteArrayList<>();
  private BalancerServer lb;

  @BeforeEach
  void start() throws Exception {
    backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    backend.createContext("/", exchange -> {
      received.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " cookie="
          + exchange.getRequestHeaders().get("Cookie") + " authorization=" + exchange.getRequestHeaders().get("Authorization"));
      exchange.getResponseHeaders().add("Set-Cookie", "session=backend-secret");
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    backend.start();
    lb = BalancerServer.start(ConfigLoader.parse("hostile.cfg", """
        defaults
          mode http
          timeout connect 1s
          timeout client 5s
          timeout server 5s
        frontend www
          bind 127.0.0.1:0
          http-request deny if { path_beg /admin }
          default_backend app
        backend app
          server s1 127.0.0.1:%d
        """.formatted(backend.getAddress().getPort())).orThrow());
  }

  @AfterEach
  void stop() throws Exception {
    lb.close();
    backend.stop(0);
  }

  /** Sends raw bytes; returns the status code, or 0 when the connection was closed without one. */
  private int raw(String request) throws IOException {
    try (Socket s = new Socket("127.0.0.1", lb.port("www"))) {
      s.setSoTimeout(5000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      return response.startsWith("HTTP/") ? Integer.parseInt(response.split(" ")[1]) : 0;
    }
  }

  private void stillServes() throws IOException {
    int before = received.size();
    assertThat(raw("GET /ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")).isEqualTo(200);
    assertThat(received).hasSize(before + 1);
  }

  @Test
  void anAclOnAPathCannotBePassedByWritingThePathAnotherWay() throws Exception {
    for (String path : List.of("/admin", "//admin", "/%61dmin", "/./admin", "/x/../admin", "/admin/", "///admin/x",
        "/%2e/admin", "/x/%2e%2e/admin")) {
      int status = raw("GET " + path + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      // refused by the rule (403) or as ambiguous by the HTTP parser (400): never forwarded
      assertThat(status).as(path).isIn(400, 403);
    }
    assertThat(received).isEmpty();
    stillServes();
  }

  @Test
  void neverAnOpenProxy() throws Exception {
    // an absolute URI and a crafted Host go to the configured server, with the path only
    assertThat(raw("GET http://evil.example:9/steal HTTP/1.1\r\nHost: evil.example:9\r\nConnection: close\r\n\r\n"))
        .isEqualTo(200);
    assertThat(raw("GET /x HTTP/1.1\r\nHost: 169.254.169.254\r\nConnection: close\r\n\r\n")).isEqualTo(200);
    assertThat(received).hasSize(2);
    assertThat(received.get(0)).startsWith("GET /steal ");
    // CONNECT opens no tunnel anywhere
    int connect = raw("CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\nConnection: close\r\n\r\n");
    assertThat(connect).isEqualTo(405);
    assertThat(received).hasSize(2);
    stillServes();
  }

  @Test
  void smugglingAttemptsGet400AndReachNoServer() throws Exception {
    List<String> attacks = List.of(
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n",
        "GET / HTTP/1.1\nHost: a\n\n");
    for (String attack : attacks) {
      assertThat(raw(attack)).as(attack).isEqualTo(400);
    }
    assertThat(received).isEmpty();
    stillServes();
  }

  @Test
  void oversizedRequestLinesAndHeadersAreRefused() throws Exception {
    String longUri = "/" + "a".repeat(70_000);
    assertThat(raw("GET " + longUri + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")).isIn(400, 414, 431);
    String bigHeader = "X-Big: " + "b".repeat(70_000) + "\r\n";
    assertThat(raw("GET / HTTP/1.1\r\nHost: a\r\n" + bigHeader + "Connection: close\r\n\r\n")).isIn(400, 431);
    assertThat(received).isEmpty();
    stillServes();
  }

  @Test
  void nothingOfOneClientReachesAnothersRequest() throws Exception {
    assertThat(raw("GET /a HTTP/1.1\r\nHost: a\r\nCookie: user=alice\r\nAuthorization: Basic YWxpY2U6cw==\r\n"
        + "Connection: close\r\n\r\n")).isEqualTo(200);
    assertThat(raw("GET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")).isEqualTo(200);

    assertThat(received.get(0)).contains("cookie=[user=alice]").contains("authorization=[Basic YWxpY2U6cw==]");
    // neither alice's headers nor the cookie the server set for her come back on bob's request
    assertThat(received.get(1)).contains("cookie=null").contains("authorization=null");
  }
}
