package dev.balancer.jetty;

import dev.balancer.jetty.direct.DirectProxy;
import static org.assertj.core.api.Assertions.assertThat;

import dev.balancer.config.ConfigLoader;
import dev.balancer.config.model.Config;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The standalone server's direct HTTP/1.1 path ({@link DirectProxy}), over real sockets with a raw
 * server that answers as the test says: plain requests take it, the rest is handed to the servlet on
 * the same connection; answers of every framing arrive whole; pipelined requests are answered in
 * order; a server closing its idle connections costs no request.
 */
@org.junit.jupiter.api.parallel.Isolated("times a server under load; alone, as it flaked beside other tests on two cores")
class DirectProxyIT {

  /** What the raw server does with one request: writes an answer; true to keep the connection. */
  interface Answer {
    boolean write(String head, InputStream in, OutputStream out) throws IOException;
  }

  private ServerSocket backend;
  private BalancerServer lb;
  private final List<String> heads = new CopyOnWriteArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();
  /** How the configuration names the raw server. */
  private String serverHost = "127.0.0.1";

  @AfterEach
  void stop() throws Exception {
    if (lb != null) {
      lb.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  private void start(Answer answer) throws Exception {
    start(answer, "  timeout client 5s\n  timeout server 5s\n");
  }

  private void start(Answer answer, String timeouts) throws Exception {
    backend = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
    TestSockets.serveEach(backend, s -> {
      connections.incrementAndGet();
      serve(s, answer);
    });
    lb = BalancerServer.start(ConfigLoader.parse("direct.cfg", """
        defaults
          mode http
          timeout connect 1s
        %s
        frontend www
          bind 127.0.0.1:0
          default_backend app
        backend app
          server s1 %s:%d
        """.formatted(timeouts, serverHost, backend.getLocalPort())).orThrow());
  }

  private void serve(Socket s, Answer answer) {
    try (s) {
      InputStream in = s.getInputStream();
      while (true) {
        String head = readHead(in);
        if (head == null) {
          return;
        }
        heads.add(head);
        int cl = contentLength(head);
        if (cl > 0) {
          in.readNBytes(cl);
        }
        if (!answer.write(head, in, s.getOutputStream())) {
          return;
        }
      }
    } catch (IOException e) {
      // the test's client went away
    }
  }

  private static String readHead(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    while (!b.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        return null;
      }
      b.append((char) c);
    }
    return b.toString();
  }

  private static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        return Integer.parseInt(line.substring(15).trim());
      }
    }
    return 0;
  }

  private static boolean ok(String body, OutputStream out) throws IOException {
    out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    return true;
  }

  /** Reads one answer: its head, then its body by length, chunks or the end of the connection. */
  private static String[] answer(InputStream in) throws IOException {
    String head = readHead(in);
    if (head == null) {
      return null;
    }
    String lower = head.toLowerCase();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    if (lower.contains("transfer-encoding: chunked")) {
      while (true) {
        StringBuilder size = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
          size.append((char) c);
        }
        int n = Integer.parseInt(size.toString().trim().split(";")[0], 16);
        if (n == 0) {
          readHead(new java.io.SequenceInputStream(new java.io.ByteArrayInputStream("\r\n".getBytes()), in));
          break;
        }
        body.write(in.readNBytes(n));
        in.readNBytes(2);
      }
    } else if (head.startsWith("HTTP/1.1 204") || head.startsWith("HTTP/1.1 304")) {
      return new String[] {head, ""};
    } else if (lower.contains("content-length:")) {
      body.write(in.readNBytes(contentLength(head)));
    } else {
      body.write(in.readAllBytes());
    }
    return new String[] {head, body.toString(StandardCharsets.ISO_8859_1)};
  }

  private Socket client() throws IOException {
    Socket s = new Socket("127.0.0.1", lb.port("www"));
    s.setSoTimeout(10_000);
    return s;
  }

  /** A client with a small receive buffer that has asked for {@code /}: it reads as slowly as the test does. */
  private Socket slowReader() throws IOException {
    Socket s = new Socket();
    s.setReceiveBufferSize(8192);
    s.connect(new java.net.InetSocketAddress("127.0.0.1", lb.port("www")));
    s.setSoTimeout(10_000);
    send(s, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    return s;
  }

  /**
   * The test looks at the direct path's own parts (what it carried, its buffers, its connections):
   * it runs where the direct path is on; what a client sees is tested on both paths by the others.
   */
  private static void requireDirectPath() {
    org.junit.jupiter.api.Assumptions.assumeTrue(DirectProxy.enabled(), "the direct path's own parts: not on the servlet path");
  }

  private static void send(Socket s, String raw) throws IOException {
    s.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().flush();
  }

  @Test
  void aServerNamedByItsHostNameIsLookedUpAndItsConnectionKept() throws Exception {
    requireDirectPath();
    serverHost = "localhost";
    start((head, in, out) -> ok("named", out));
    try (Socket s = client()) {
      for (int i = 0; i < 3; i++) {
        send(s, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(answer(s.getInputStream())[1]).isEqualTo("named");
      }
    }
    assertThat(lb.direct().carried.sum()).isEqualTo(3);
    assertThat(connections.get()).as("server connections").isEqualTo(1);
  }

  /** Two backends with the same server address and their own {@code timeout connect}: 300 ms and 60 s. */
  private static Config impatientAndPatient(int port) {
    return ConfigLoader.parse("direct.cfg", """
        defaults
          mode http
          retries 0
          timeout connect 300ms
          timeout client 5s
          timeout server 5s
        frontend www
          bind 127.0.0.1:0
          default_backend app
        backend app
          server s1 127.0.0.1:%d
        # another backend's longer timeout applies to its own servers only
        backend patient
          timeout connect 60s
          server p1 127.0.0.1:%d
        """.formatted(port, port)).orThrow();
  }

  /**
   * Sends {@code request} to a balancer whose server hangs on connect: a 503 at the server's
   * backend's 300 ms, not the other backend's 60 s.
   */
  private void givenUpAtTheShortTimeout(int port, String request) throws Exception {
    lb = BalancerServer.start(impatientAndPatient(port));
    long t0 = System.nanoTime();
    try (Socket s = client()) {
      send(s, request);
      assertThat(answer(s.getInputStream())[0]).startsWith("HTTP/1.1 503");
    }
    // at 300 ms, not before; not the other backend's 60 s either: the answer came within the
    // client's socket timeout
    assertThat(java.time.Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(java.time.Duration.ofMillis(300));
  }

  @Test
  void aServerThatNeverCompletesTheHandshakeIsGivenUpAtItsBackendsTimeoutConnect() throws Exception {
    TestSockets.withHangingPort(port -> {
      givenUpAtTheShortTimeout(port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(DirectProxy.enabled() ? lb.direct().carried.sum() : 1).isEqualTo(1);
    });
  }

  /** The servlet path (here for an HTTP/1.0 request) gives up at the server's backend's timeout too. */
  @Test
  void theServletPathGivesUpAtTheBackendsOwnTimeoutConnect() throws Exception {
    TestSockets.withHangingPort(port -> {
      givenUpAtTheShortTimeout(port, "GET / HTTP/1.0\r\nHost: a\r\n\r\n");
      assertThat(DirectProxy.enabled() ? lb.direct().carried.sum() : 0).as("requests the direct path carried").isZero();
    });
  }

  @Test
  void idleKeepAliveConnectionsHoldNoBuffer() throws Exception {
    requireDirectPath();
    start((head, in, out) -> ok("x", out));
    List<Socket> clients = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 20; i++) {
        Socket s = client();
        clients.add(s);
        send(s, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(answer(s.getInputStream())[1]).isEqualTo("x");
      }
      // a request half sent holds its connection's buffer; the 20 idle ones and their server
      // connections hold none
      Socket half = client();
      clients.add(half);
      send(half, "GET / HTTP/1.1\r\nHo");
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() ->
          lb.direct().clientBuffersHeld.sum() == 1 && lb.direct().serverBuffersHeld.sum() == 0);
      // and they all serve again, the half-sent request too
      send(half, "st: a\r\n\r\n");
      assertThat(answer(half.getInputStream())[1]).isEqualTo("x");
      for (Socket s : clients.subList(0, 20)) {
        send(s, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(answer(s.getInputStream())[1]).isEqualTo("x");
      }
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() ->
          lb.direct().clientBuffersHeld.sum() == 0 && lb.direct().serverBuffersHeld.sum() == 0);
    } finally {
      for (Socket s : clients) {
        s.close();
      }
    }
  }

  @Test
  void plainRequestsTakeTheDirectPathAndTheRestGoesToTheServletOnTheSameConnection() throws Exception {
    requireDirectPath();
    start((head, in, out) -> ok(head.substring(0, head.indexOf(' ')), out));
    try (Socket s = client()) {
      for (int i = 0; i < 5; i++) {
        send(s, "GET /" + i + " HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(answer(s.getInputStream())[1]).isEqualTo("GET");
      }
      assertThat(lb.direct().carried.sum()).isEqualTo(5);
      assertThat(lb.direct().handedOver.sum()).isZero();

      // a chunked request body is the servlet's to carry: answered all the same, on the same connection
      send(s, "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
      String[] a = answer(s.getInputStream());
      assertThat(a[0]).startsWith("HTTP/1.1 200");
      assertThat(a[1]).isEqualTo("POST");
      assertThat(lb.direct().handedOver.sum()).isEqualTo(1);
    }
    // the server saw each request once, with no hop-by-hop header added
    assertThat(heads.stream().filter(h -> h.startsWith("GET") || h.startsWith("POST"))).hasSize(6);
    assertThat(heads.get(0)).isEqualTo("GET /0 HTTP/1.1\r\nHost: a\r\n\r\n");
  }

  @Test
  void chunkedUntilCloseHeadAndEmptyAnswersArriveWholeAndTheConnectionGoesOn() throws Exception {
    start((head, in, out) -> {
      String path = head.substring(head.indexOf(' ') + 1, head.indexOf(" HTTP"));
      switch (path) {
        case "/chunked" -> {
          // in pieces, with an extension and a trailer
          out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n".getBytes());
          out.flush();
          out.write("6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n".getBytes());
          out.flush();
          return true;
        }
        case "/empty" -> {
          out.write("HTTP/1.1 204 No Content\r\n\r\n".getBytes());
          out.flush();
          return true;
        }
        case "/close" -> {
          out.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end".getBytes());
          out.flush();
          return false;
        }
        default -> {
          // HEAD: the length of the body a GET would get, and no body
          out.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".getBytes());
          out.flush();
          return true;
        }
      }
    });
    try (Socket s = client()) {
      send(s, "GET /chunked HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(answer(s.getInputStream())[1]).isEqualTo("hello world");
      send(s, "GET /empty HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(answer(s.getInputStream())[0]).startsWith("HTTP/1.1 204");
      send(s, "HEAD /head HTTP/1.1\r\nHost: a\r\n\r\n");
      String head = readHead(s.getInputStream());
      assertThat(head).startsWith("HTTP/1.1 200").contains("Content-Length: 1000");
      send(s, "GET /close HTTP/1.1\r\nHost: a\r\n\r\n");
      String[] last = answer(s.getInputStream());
      assertThat(last[0]).contains("Connection: close");
      assertThat(last[1]).isEqualTo("until the end");
    }
    if (DirectProxy.enabled()) {
      assertThat(lb.direct().carried.sum()).isEqualTo(4);
    }
    assertThat(connections.get()).isEqualTo(1);
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    start((head, in, out) -> ok(head.substring(head.indexOf(' ') + 1, head.indexOf(" HTTP")), out));
    try (Socket s = client()) {
      send(s, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n");
      for (String expected : List.of("/1", "/2", "/3")) {
        assertThat(answer(s.getInputStream())[1]).isEqualTo(expected);
      }
    }
  }

  @Test
  void aPipelinedRequestForTheServletAfterADirectOneIsAnsweredToo() throws Exception {
    requireDirectPath();
    start((head, in, out) -> ok(head.substring(head.indexOf(' ') + 1, head.indexOf(" HTTP")), out));
    try (Socket s = client()) {
      // the second (an absolute target) is handed to Jetty's HttpConnection once the first is
      // answered, which then reads the third from the connection
      send(s, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET http://a/2 HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(answer(s.getInputStream())[1]).isEqualTo("/1");
      String[] second = answer(s.getInputStream());
      assertThat(second).isNotNull();
      assertThat(second[0]).contains(" 200 ");
      assertThat(second[1]).isEqualTo("/2");
      send(s, "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n");
      String[] third = answer(s.getInputStream());
      assertThat(third).isNotNull();
      assertThat(third[1]).isEqualTo("/3");
    }
    assertThat(lb.direct().handedOver.sum()).isEqualTo(1);
  }

  @Test
  void aServerClosingItsIdleConnectionsWithoutNoticeCostsNoRequest() throws Exception {
    // every answer says keep-alive, then the server closes: the next request meets a dead connection
    start((head, in, out) -> !ok("x", out));
    try (Socket s = client()) {
      for (int i = 0; i < 20; i++) {
        send(s, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(answer(s.getInputStream())[0]).startsWith("HTTP/1.1 200");
      }
    }
    assertThat(lb.balancer().server("app", "s1").orElseThrow().stats().responseErrors()).isZero();
  }

  @Test
  void aLargeAnswerReachesASlowReaderWhole() throws Exception {
    byte[] big = new byte[4 * 1024 * 1024];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) ('a' + i % 26);
    }
    start((head, in, out) -> {
      out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + big.length + "\r\n\r\n").getBytes());
      out.write(big);
      out.flush();
      return true;
    });
    // a small receive window, set before connecting (after, Linux may leave the sender probing a zero window)
    try (Socket s = new Socket()) {
      s.setReceiveBufferSize(4096);
      s.connect(new java.net.InetSocketAddress("127.0.0.1", lb.port("www")));
      s.setSoTimeout(10_000);
      send(s, "GET /big HTTP/1.1\r\nHost: a\r\n\r\n");
      InputStream in = s.getInputStream();
      assertThat(readHead(in)).contains("Content-Length: " + big.length);
      byte[] got = new byte[big.length];
      int n = 0;
      byte[] small = new byte[1000];
      for (int r; n < big.length && (r = in.read(small)) > 0; n += r) {
        System.arraycopy(small, 0, got, n, r);
      }
      assertThat(n).isEqualTo(big.length);
      assertThat(got).isEqualTo(big);
      // and the connection is still good
      send(s, "GET /big HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(answer(in)[1]).hasSize(big.length);
    }
  }

  private static byte[] letters(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) ('a' + i % 26);
    }
    return b;
  }

  private static Answer big(byte[] body) {
    return (head, in, out) -> {
      out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes());
      out.write(body);
      out.flush();
      return true;
    };
  }

  @Test
  void aClientSlowerThanTimeoutServerStillGetsTheWholeAnswer() throws Exception {
    // the server sent everything at once; the client takes it slowly, in all far longer than
    // 'timeout server', never pausing as long as 'timeout client'
    // 1 MiB read at most 16 KiB (the small receive buffer) at a time, 10 ms apart: over half a
    // second, well past timeout server
    byte[] body = letters(1024 * 1024);
    start(big(body), "  timeout client 2s\n  timeout server 200ms\n");
    try (Socket s = slowReader()) {
      InputStream in = s.getInputStream();
      readHead(in);
      long t0 = System.nanoTime();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] chunk = new byte[64 * 1024];
      while (got.size() < body.length) {
        int r = in.read(chunk);
        if (r < 0) {
          break;
        }
        got.write(chunk, 0, r);
        Thread.sleep(10); // a slow reader: the test plays a slow client here, it waits for no outcome
      }
      assertThat(got.toByteArray()).isEqualTo(body);
      assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThan(200);
    }
  }

  @Test
  void aClientThatStopsReadingIsCutAtTimeoutClient() throws Exception {
    requireDirectPath();
    start(big(letters(8 * 1024 * 1024)), "  timeout client 1s\n  timeout server 10s\n");
    try (Socket s = new Socket()) {
      s.setReceiveBufferSize(8192);
      s.connect(new java.net.InetSocketAddress("127.0.0.1", lb.port("www")));
      long t0 = System.nanoTime();
      send(s, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      // and reads nothing: the balancer gives up on it after timeout client, not before, not never
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(8))
          .until(() -> lb.direct().connections.isEmpty());
      assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(1000);
      assertThat(lb.balancer().server("app", "s1").orElseThrow().inFlight()).isZero();
      // a client timeout (cD), not a client abort (CD)
      assertThat(lb.balancer().server("app", "s1").orElseThrow().stats().clientAborts()).isZero();
    }
  }

  @Test
  void aClientGoneBeforeItsAnswerLeavesNothingBehind() throws Exception {
    requireDirectPath();
    java.util.concurrent.CountDownLatch answer = new java.util.concurrent.CountDownLatch(1);
    byte[] body = letters(1024 * 1024);
    start((head, in, out) -> {
      try {
        answer.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return big(body).write(head, in, out);
    });
    var server = lb.balancer().server("app", "s1").orElseThrow();
    try (Socket s = client()) {
      send(s, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> server.inFlight() == 1);
    }
    answer.countDown();
    // the answer finds no client: the request ends, its slot on the server is free, nothing stays open
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
        .until(() -> server.inFlight() == 0 && lb.direct().connections.isEmpty());
    assertThat(lb.balancer().frontendStats("www").current()).isZero();
    assertThat(server.stats().clientAborts()).isEqualTo(1);
  }

  @Test
  void aClientResettingInTheMiddleOfItsAnswerIsItsAbortNeverTheServers() throws Exception {
    byte[] body = letters(8 * 1024 * 1024);
    start(big(body), "  timeout client 30s\n  timeout server 30s\n");
    var server = lb.balancer().server("app", "s1").orElseThrow();
    try (Socket s = slowReader()) {
      InputStream in = s.getInputStream();
      readHead(in);
      in.readNBytes(64 * 1024);
      s.setSoLinger(true, 0); // a reset, in the middle of the answer
    }
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .until(() -> server.inFlight() == 0 && lb.balancer().frontendStats("www").current() == 0);
    // the client's doing: counted as its abort, never as the server's error (passive health would
    // take it against the server)
    assertThat(server.stats().responseErrors()).isZero();
    assertThat(server.stats().serverAborts()).isZero();
    assertThat(server.stats().clientAborts()).isEqualTo(1);
  }

  @Test
  void noRequestCanBeSmuggledPastTheRulesThroughItsFraming() throws Exception {
    start((head, in, out) -> ok("x", out));
    // 'Connection: content-length' must not strip the length the body is framed by: the server
    // would read the body as a request of its own, one no rule has seen
    String hidden = "GET /hidden HTTP/1.1\r\nHost: a\r\n\r\n";
    try (Socket s = client()) {
      send(s, "POST /p HTTP/1.1\r\nHost: a\r\nConnection: content-length\r\nContent-Length: " + hidden.length()
          + "\r\n\r\n" + hidden);
      assertThat(answer(s.getInputStream())[0]).startsWith("HTTP/1.1 200");
      send(s, "GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(answer(s.getInputStream())[0]).startsWith("HTTP/1.1 200");
    }
    assertThat(heads).noneMatch(h -> h.startsWith("GET /hidden"));
    assertThat(heads.get(0)).contains("Content-Length: " + hidden.length());
    // lengths another parser could read otherwise, and two Hosts, are Jetty's to refuse
    for (String odd : List.of("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nabcde",
        "GET /p HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")) {
      try (Socket s = client()) {
        send(s, odd);
        assertThat(answer(s.getInputStream())[0]).as(odd).startsWith("HTTP/1.1 400");
      }
    }
    assertThat(heads).hasSize(2);
  }
}
