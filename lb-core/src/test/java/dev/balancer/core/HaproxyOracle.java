package dev.balancer.core;

import static org.assertj.core.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The real HAProxy as a test oracle: backends that answer with their own name, an HAProxy process
 * on a config we write, raw HTTP requests (from any 127.0.0.x source address) and its runtime API.
 */
final class HaproxyOracle implements AutoCloseable {

  private final List<HttpServer> backends = new ArrayList<>();
  private final Path dir;
  private Process haproxy;
  private int port;

  HaproxyOracle(Path dir) {
    this.dir = dir;
  }

  /** Skips (outside CI) or fails (CI=true) when haproxy is absent. */
  static void requireHaproxy() {
    dev.balancer.testkit.Tools.requireHaproxy();
  }

  /** Starts {@code n} backends named s1..sn; returns their ports. */
  List<Integer> startBackends(int n) throws IOException {
    List<Integer> ports = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      String name = "s" + i;
      HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
      server.createContext("/", exchange -> {
        byte[] body = name.getBytes(StandardCharsets.US_ASCII);
        exchange.getResponseHeaders().add("X-Server", name);
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream os = exchange.getResponseBody()) {
          os.write(body);
        }
      });
      server.start();
      backends.add(server);
      ports.add(server.getAddress().getPort());
    }
    return ports;
  }

  /** A free port outside the ephemeral range. */
  static int freePort() {
    for (int attempt = 0; attempt < 100; attempt++) {
      int p = 20000 + ThreadLocalRandom.current().nextInt(12000);
      try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
        return p;
      } catch (IOException taken) {
        // next
      }
    }
    throw new IllegalStateException("no free port");
  }

  /** Runs haproxy on the config; {@code frontendPort} is where its frontend binds. */
  void start(String config, int frontendPort) throws Exception {
    this.port = frontendPort;
    Path cfg = dir.resolve("haproxy.cfg");
    Files.writeString(cfg, config);
    haproxy = new ProcessBuilder("haproxy", "-db", "-f", cfg.toString()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("haproxy.log").toFile()).start();
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).pollInterval(java.time.Duration.ofMillis(20))
        .until(() -> {
          if (!haproxy.isAlive()) {
            fail("haproxy exited: " + Files.readString(dir.resolve("haproxy.log")));
          }
          try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
          } catch (IOException e) {
            return false;
          }
        });
  }

  /** One request through HAProxy; returns the name of the server that answered. */
  String request(String source, String pathAndQuery, String... headers) throws IOException {
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress(source, 0));
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      s.setSoTimeout(5000);
      boolean hasHost = java.util.Arrays.stream(headers).anyMatch(h -> h.toLowerCase().startsWith("host:"));
      StringBuilder req = new StringBuilder("GET " + pathAndQuery + " HTTP/1.1\r\n" + (hasHost ? "" : "Host: test\r\n")
          + "Connection: close\r\n");
      for (String h : headers) {
        req.append(h).append("\r\n");
      }
      req.append("\r\n");
      s.getOutputStream().write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = s.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      for (String line : response.split("\r\n")) {
        if (line.toLowerCase().startsWith("x-server:")) {
          return line.substring(9).trim();
        }
        if (line.isEmpty()) {
          break;
        }
      }
      return "<" + response.lines().findFirst().orElse("no response") + ">";
    }
  }

  /** A command on HAProxy's runtime API (stats socket at {@link #socket()}). */
  String command(String command) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket()));
      ch.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII)));
      ByteBuffer buf = ByteBuffer.allocate(65536);
      StringBuilder out = new StringBuilder();
      while (ch.read(buf) > 0) {
        buf.flip();
        out.append(StandardCharsets.US_ASCII.decode(buf));
        buf.clear();
      }
      return out.toString();
    }
  }

  Path socket() {
    return dir.resolve("admin.sock");
  }

  @Override
  public void close() throws Exception {
    if (haproxy != null) {
      haproxy.destroy();
      if (!haproxy.waitFor(10, TimeUnit.SECONDS)) {
        haproxy.destroyForcibly();
      }
    }
    for (HttpServer b : backends) {
      b.stop(0);
    }
  }
}
