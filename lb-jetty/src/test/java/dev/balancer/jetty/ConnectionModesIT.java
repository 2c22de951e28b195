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
 * {@code option http-keep-alive|http-server-close|httpclose} (reference §8): keep-alive by default;
 * {@code http-server-close} or {@code httpclose} send {@code connection: close} to the server;
 * {@code httpclose} in the frontend closes the client's connection too.
 */
class ConnectionModesIT {

  private HttpServer backend;
  private final List<String> connectionHeaders = new CopyOnWriteArrayList<>();
  private BalancerServer lb;

  @BeforeEach
  void start() throws IOException {
    backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    backend.createContext("/", exchange -> {
      connectionHeaders.add(String.valueOf(exchange.getRequestHeaders().getFirst("Connection")));
      exchange.sendResponseHeaders(200, 2);
      exchange.getResponseBody().write("ok".getBytes(StandardCharsets.ISO_8859_1));
      exchange.close();
    });
    backend.start();
  }

  @AfterEach
  void stop() throws Exception {
    lb.close();
    backend.stop(0);
  }

  private void start(String frontendLines, String backendLines) throws Exception {
    lb = BalancerServer.start(ConfigLoader.parse("modes.cfg", """
        defaults
          mode http
          timeout connect 1s
          timeout client 5s
          timeout server 5s
        frontend www
          bind 127.0.0.1:0
        %s
          default_backend app
        backend app
        %s
          server s1 127.0.0.1:%d
        """.formatted(frontendLines, backendLines, backend.getAddress().getPort())).orThrow());
  }

  /** Two requests on one client connection; returns the second answer's head, or "closed". */
  private List<String> twoRequests() throws IOException {
    try (Socket s = new Socket("127.0.0.1", lb.port("www"))) {
      s.setSoTimeout(5000);
      String first = exchange(s);
      String second;
      try {
        second = exchange(s);
      } catch (IOException e) {
        second = "closed";
      }
      return List.of(first, second);
    }
  }

  private static String exchange(Socket s) throws IOException {
    s.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    StringBuilder head = new StringBuilder();
    var in = s.getInputStream();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("closed");
      }
      head.append((char) c);
    }
    in.readNBytes(2);
    return head.toString().toLowerCase();
  }

  @Test
  void keepAliveByDefaultOnBothSides() throws Exception {
    start("", "");

    List<String> answers = twoRequests();

    assertThat(answers.get(0)).doesNotContain("connection: close");
    assertThat(answers.get(1)).startsWith("http/1.1 200");
    assertThat(connectionHeaders).containsOnly("null");
  }

  @Test
  void httpServerCloseClosesTheServerSideOnly() throws Exception {
    start("", "  option http-server-close");

    List<String> answers = twoRequests();

    assertThat(answers.get(1)).startsWith("http/1.1 200");
    assertThat(connectionHeaders).containsExactly("close", "close");
  }

  @Test
  void httpcloseInTheFrontendClosesBothSides() throws Exception {
    start("  option httpclose", "");

    List<String> answers = twoRequests();

    assertThat(answers.get(0)).contains("connection: close");
    assertThat(answers.get(1)).isEqualTo("closed");
    assertThat(connectionHeaders).containsExactly("close");
  }
}
