package dev.balancer.jetty;

import dev.balancer.jetty.tunnel.Tunnel;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.balancer.config.ConfigLoader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * WebSocket through the balancer, over real sockets: a real WebSocket echo server (RFC 6455
 * handshake and frames, written here) behind it, the JDK's WebSocket client in front.
 */
@org.junit.jupiter.api.parallel.Isolated("looks at every thread of the JVM (none may be inside the servlet while an upgrade waits)")
class WebSocketIT {

  private ServerSocket echo;
  private final List<String> handshakes = new CopyOnWriteArrayList<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final java.util.concurrent.CountDownLatch lateAnswer = new java.util.concurrent.CountDownLatch(1);
  private final java.util.concurrent.CountDownLatch lateClosed = new java.util.concurrent.CountDownLatch(1);
  private BalancerServer lb;
  /** What the /saidall server read after closing its sending side (-1: not done yet). */
  private final java.util.concurrent.atomic.AtomicLong heardAfterSayingAll = new java.util.concurrent.atomic.AtomicLong(-1);
  private final HttpClient client = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    TestSockets.serveEach(echo, s -> {
      sockets.add(s);
      serve(s);
    });
  }

  private void startBalancer(String extra) throws Exception {
    startBalancer(extra, "");
  }

  private void startBalancer(String extra, String serverOptions) throws Exception {
    lb = BalancerServer.start(ConfigLoader.parse("ws.cfg", """
        defaults
          mode http
          timeout connect 1s
          timeout client 5s
          timeout server 5s
        %s
        frontend www
          bind 127.0.0.1:0
          option forwardfor
          default_backend app
        backend app
          server ws1 127.0.0.1:%d %s
        """.formatted(extra, echo.getLocalPort(), serverOptions)).orThrow());
  }

  @AfterEach
  void stop() throws Exception {
    if (lb != null) {
      lb.close();
    }
    echo.close();
    for (Socket s : sockets) {
      s.close();
    }
  }

  /** The echo server: the handshake, then every text frame back with "echo: " in front. */
  private void serve(Socket s) {
    try {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
        int c = in.read();
        if (c < 0) {
          return;
        }
        head.write(c);
      }
      String request = head.toString(StandardCharsets.ISO_8859_1);
      handshakes.add(request);
      if (request.startsWith("GET /teapot")) {
        // a chunked refusal on a connection the server keeps open
        out.write("HTTP/1.1 418 I'm a teapot\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n"
            .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return;
      }
      if (request.startsWith("GET /forbidden")) {
        out.write("HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno".getBytes(StandardCharsets.ISO_8859_1));
        s.close();
        return;
      }
      if (request.startsWith("GET /late")) {
        // the handshake's answer waits until the test lets it go; then whether the balancer hangs up
        lateAnswer.await(5, TimeUnit.SECONDS);
        out.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
            .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        s.setSoTimeout(10_000);
        if (in.read() < 0) {
          lateClosed.countDown();
        }
        return;
      }
      String key = request.lines().filter(l -> l.toLowerCase().startsWith("sec-websocket-key:"))
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElseThrow();
      String accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
          .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.ISO_8859_1)));
      out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      if (request.startsWith("GET /saidall")) {
        // a server that says all first (closes its sending side), then listens to the end
        out.write(new byte[] {(byte) 0x81, 2, 'h', 'i'});
        out.flush();
        s.shutdownOutput();
        heardAfterSayingAll.set(in.transferTo(OutputStream.nullOutputStream()));
        s.close();
        return;
      }
      if (request.startsWith("GET /drain")) {
        // a server that answers once the client has said all (closed its sending side)
        long got = in.transferTo(OutputStream.nullOutputStream());
        out.write(new byte[] {(byte) 0x81, 3, 'b', 'y', 'e'});
        out.write(Long.toString(got).getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        s.close();
        return;
      }
      if (request.startsWith("GET /ticker")) {
        // a server that talks on its own: a "tick" text frame every 100 ms
        Thread ticker = new Thread(() -> {
          try {
            while (!s.isClosed()) {
              synchronized (out) {
                out.write(new byte[] {(byte) 0x81, 4, 't', 'i', 'c', 'k'});
                out.flush();
              }
              Thread.sleep(100);
            }
          } catch (Exception e) {
            // the connection was cut
          }
        });
        ticker.setDaemon(true);
        ticker.start();
      }
      ByteArrayOutputStream message = new ByteArrayOutputStream();
      int messageOpcode = 1;
      while (true) {
        int b0 = in.read();
        int b1 = in.read();
        if (b0 < 0 || b1 < 0) {
          return;
        }
        int opcode = b0 & 0x0f;
        long len = b1 & 0x7f;
        if (len == 126) {
          len = (in.read() << 8) | in.read();
        } else if (len == 127) {
          len = 0;
          for (int i = 0; i < 8; i++) {
            len = (len << 8) | in.read();
          }
        }
        byte[] mask = in.readNBytes(4);
        byte[] payload = in.readNBytes((int) len);
        for (int i = 0; i < payload.length; i++) {
          payload[i] ^= mask[i % 4];
        }
        if (opcode == 8) {
          out.write(new byte[] {(byte) 0x88, 0});
          out.flush();
          s.close();
          return;
        }
        if (opcode == 9) {
          out.write(new byte[] {(byte) 0x8a, 0});
          out.flush();
          continue;
        }
        // a message may come in fragments: echo it whole, once its last frame is in
        if (opcode != 0) {
          messageOpcode = opcode;
          message.reset();
        }
        message.write(payload);
        if ((b0 & 0x80) == 0) {
          continue;
        }
        opcode = messageOpcode;
        payload = message.toByteArray();
        byte[] reply = opcode == 1 ? ("echo: " + new String(payload, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8)
            : payload;
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write(0x80 | opcode);
        if (reply.length < 126) {
          frame.write(reply.length);
        } else if (reply.length < 65536) {
          frame.write(126);
          frame.write(reply.length >> 8);
          frame.write(reply.length & 0xff);
        } else {
          frame.write(127);
          for (int i = 7; i >= 0; i--) {
            frame.write((int) ((long) reply.length >> (8 * i)) & 0xff);
          }
        }
        frame.write(reply);
        synchronized (out) {
          out.write(frame.toByteArray());
          out.flush();
        }
      }
    } catch (Exception e) {
      // the test is over or the connection was cut
    }
  }

  /** Collects what the client receives. */
  private static final class Collector implements WebSocket.Listener {
    final LinkedBlockingQueue<String> messages = new LinkedBlockingQueue<>();
    final AtomicBoolean closed = new AtomicBoolean();
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        messages.add(partial.toString());
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closed.set(true);
      return null;
    }

    volatile Throwable error;

    @Override
    public void onError(WebSocket ws, Throwable error) {
      this.error = error;
      closed.set(true);
    }
  }

  private URI uri(String path) {
    return URI.create("ws://127.0.0.1:" + lb.port("www") + path);
  }

  @Test
  void messagesGoBothWaysThroughTheTunnel() throws Exception {
    startBalancer("");
    Collector c = new Collector();
    WebSocket ws = client.newWebSocketBuilder().buildAsync(uri("/chat?room=1"), c).get(5, TimeUnit.SECONDS);

    assertThat(lb.balancer().server("app", "ws1").orElseThrow().inFlight()).isEqualTo(1);
    for (int i = 0; i < 20; i++) {
      ws.sendText("hello " + i, true).get(5, TimeUnit.SECONDS);
      assertThat(c.messages.poll(5, TimeUnit.SECONDS)).isEqualTo("echo: hello " + i);
    }
    String big = "x".repeat(100_000);
    assertThat(c.error).isNull();
    ws.sendText(big, true).get(5, TimeUnit.SECONDS);
    String back = c.messages.poll(5, TimeUnit.SECONDS);
    // compared by size and content without printing 100 kB when it fails
    assertThat(back).isNotNull();
    assertThat(back.length()).isEqualTo(big.length() + 6);
    assertThat(back.equals("echo: " + big)).isTrue();
    assertThat(handshakes.get(0)).startsWith("GET /chat?room=1 HTTP/1.1\r\n").containsIgnoringCase("x-forwarded-for: 127.0.0.1")
        .containsIgnoringCase("upgrade: websocket");

    ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
    // the tunnel ends with the connection, and with it the lease on the server
    await().atMost(Duration.ofSeconds(5)).until(() -> lb.balancer().server("app", "ws1").orElseThrow().inFlight() == 0);
  }

  @Test
  void openTunnelsHoldNoThreadEach() throws Exception {
    startBalancer("");
    List<WebSocket> open = new java.util.ArrayList<>();
    List<Collector> collectors = new java.util.ArrayList<>();
    for (int i = 0; i < 12; i++) {
      Collector c = new Collector();
      open.add(client.newWebSocketBuilder().buildAsync(uri("/chat"), c).get(5, TimeUnit.SECONDS));
      collectors.add(c);
    }
    for (int i = 0; i < open.size(); i++) {
      open.get(i).sendText("ping " + i, true).get(5, TimeUnit.SECONDS);
      assertThat(collectors.get(i).messages.poll(5, TimeUnit.SECONDS)).isEqualTo("echo: ping " + i);
    }
    assertThat(lb.balancer().server("app", "ws1").orElseThrow().inFlight()).isEqualTo(12);

    // twelve idle tunnels, and no thread sits in one of them waiting for the server's bytes
    await().atMost(Duration.ofSeconds(5)).until(() -> Thread.getAllStackTraces().values().stream()
        .noneMatch(stack -> java.util.Arrays.stream(stack).anyMatch(f -> f.getClassName().startsWith(Tunnel.class.getName()))));

    for (WebSocket ws : open) {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> lb.balancer().server("app", "ws1").orElseThrow().inFlight() == 0);
  }

  @Test
  void anUpgradeWaitsInTheQueueForAFreeSlotThenTunnels() throws Exception {
    startBalancer("  timeout queue 10s\n", "maxconn 1");
    Collector first = new Collector();
    WebSocket a = client.newWebSocketBuilder().buildAsync(uri("/a"), first).get(5, TimeUnit.SECONDS);
    // the only slot is taken by the first tunnel: the second handshake waits in the backend's queue
    Collector second = new Collector();
    var b = client.newWebSocketBuilder().buildAsync(uri("/b"), second);
    await().atMost(Duration.ofSeconds(5)).until(() -> lb.balancer().queued("app") == 1);
    assertThat(b).isNotDone();
    assertThat(handshakes).hasSize(1);
    // and it waits without a thread: none is inside the servlet meanwhile
    assertThat(Thread.getAllStackTraces().values()).noneMatch(stack -> java.util.Arrays.stream(stack)
        .anyMatch(f -> f.getClassName().equals(BalancerServlet.class.getName())));

    a.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
    // the slot frees when the first tunnel ends; the queued handshake then goes through
    WebSocket ws = b.get(5, TimeUnit.SECONDS);
    ws.sendText("after the queue", true).get(5, TimeUnit.SECONDS);
    assertThat(second.messages.poll(5, TimeUnit.SECONDS)).isEqualTo("echo: after the queue");
    assertThat(handshakes).hasSize(2);
    assertThat(handshakes.get(1)).startsWith("GET /b HTTP/1.1\r\n");
    assertThat(lb.balancer().queued("app")).isZero();
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
  }

  @Test
  void aClientGoneBeforeTheServerSwitchesLeavesNoTunnelBehind() throws Exception {
    startBalancer("");
    try (Socket c = new Socket(InetAddress.getLoopbackAddress(), lb.port("www"))) {
      askToUpgrade(c, "/late");
      await().atMost(Duration.ofSeconds(5)).until(() -> handshakes.size() == 1);
      c.setSoLinger(true, 0); // a reset: the 101 cannot be written to it
    }
    lateAnswer.countDown();

    // the server's connection is closed and the server's slot is free: no tunnel waits for a client
    // that is gone
    assertThat(lateClosed.await(5, TimeUnit.SECONDS)).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> lb.balancer().server("app", "ws1").orElseThrow().inFlight() == 0);
  }

  /** A client that closes its sending side still hears the server out, as through HAProxy. */
  @Test
  void aClientsHalfCloseReachesTheServerAndTheServersLastWordsTheClient() throws Exception {
    startBalancer("");
    try (Socket c = new Socket(InetAddress.getLoopbackAddress(), lb.port("www"))) {
      c.setSoTimeout(5_000);
      askToUpgrade(c, "/drain");
      InputStream in = c.getInputStream();
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
        int b = in.read();
        assertThat(b).as("the handshake's answer").isNotNegative();
        head.write(b);
      }
      assertThat(head.toString(StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 101");
      c.getOutputStream().write("twelve bytes".getBytes(StandardCharsets.ISO_8859_1));
      c.shutdownOutput();
      // the server reads to the end of what the client sent, then answers and closes
      byte[] rest = in.readAllBytes();
      assertThat(new String(rest, StandardCharsets.ISO_8859_1)).isEqualTo("\u0081\u0003bye12");
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> lb.balancer().server("app", "ws1").orElseThrow().inFlight() == 0);
  }

  /** A server that closes its sending side first still hears the client out. */
  @Test
  void aServersHalfCloseReachesTheClientAndTheClientsLastWordsTheServer() throws Exception {
    startBalancer("");
    try (Socket c = new Socket(InetAddress.getLoopbackAddress(), lb.port("www"))) {
      c.setSoTimeout(5_000);
      askToUpgrade(c, "/saidall");
      String all = new String(c.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(all).startsWith("HTTP/1.1 101").endsWith("\r\n\r\n\u0081\u0002hi");
      c.getOutputStream().write("four".getBytes(StandardCharsets.ISO_8859_1));
      c.shutdownOutput();
      await().atMost(Duration.ofSeconds(5)).until(() -> heardAfterSayingAll.get() >= 0);
      assertThat(heardAfterSayingAll.get()).as("bytes the server heard after its half-close").isEqualTo(4);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> lb.balancer().server("app", "ws1").orElseThrow().inFlight() == 0);
  }

  @Test
  void aRefusedHandshakeIsPassedBackAsItIs() throws Exception {
    startBalancer("");

    assertThatThrownBy(() -> client.newWebSocketBuilder().buildAsync(uri("/forbidden"), new Collector()).get(5, TimeUnit.SECONDS))
        .hasCauseInstanceOf(java.net.http.WebSocketHandshakeException.class)
        .satisfies(e -> assertThat(((java.net.http.WebSocketHandshakeException) e.getCause()).getResponse().statusCode())
            .isEqualTo(403));
    await().atMost(Duration.ofSeconds(5)).until(() -> lb.balancer().server("app", "ws1").orElseThrow().inFlight() == 0);
  }

  @Test
  void aChunkedRefusalOnAKeptConnectionComesBackAtOnce() throws Exception {
    startBalancer("");

    assertThatThrownBy(() -> client.newWebSocketBuilder().buildAsync(uri("/teapot"), new Collector()).get(5, TimeUnit.SECONDS))
        .hasCauseInstanceOf(java.net.http.WebSocketHandshakeException.class)
        .satisfies(e -> assertThat(((java.net.http.WebSocketHandshakeException) e.getCause()).getResponse().statusCode())
            .isEqualTo(418));
  }

  @Test
  void aSilentTunnelIsClosedAfterTimeoutTunnel() throws Exception {
    startBalancer("  timeout tunnel 500ms");
    Collector c = new Collector();
    WebSocket ws = client.newWebSocketBuilder().buildAsync(uri("/chat"), c).get(5, TimeUnit.SECONDS);
    ws.sendText("ping", true).get(5, TimeUnit.SECONDS);
    assertThat(c.messages.poll(5, TimeUnit.SECONDS)).isEqualTo("echo: ping");

    await().atMost(Duration.ofSeconds(5)).until(() -> c.closed.get()
        && lb.balancer().server("app", "ws1").orElseThrow().inFlight() == 0);
  }

  @Test
  void aClientSilentWhileTheServerTalksIsStillHeardAfterTimeoutTunnel() throws Exception {
    startBalancer("  timeout tunnel 300ms");
    Collector c = new Collector();
    WebSocket ws = client.newWebSocketBuilder().buildAsync(uri("/ticker"), c).get(5, TimeUnit.SECONDS);
    // the client says nothing for several times timeout tunnel while the server ticks: the tunnel
    // is not idle, so it stays; counted in ticks received, not in time slept
    int ticks = 0;
    while (ticks < 15) {
      String m = c.messages.poll(5, TimeUnit.SECONDS);
      assertThat(m).isEqualTo("tick");
      ticks++;
    }
    assertThat(c.closed.get()).isFalse();
    ws.sendText("still here", true).get(5, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(5)).until(() -> c.messages.contains("echo: still here"));
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
  }

  /** Sends a WebSocket handshake for {@code path} over a plain socket. */
  private static void askToUpgrade(Socket c, String path) throws IOException {
    c.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .getBytes(StandardCharsets.ISO_8859_1));
  }
}
