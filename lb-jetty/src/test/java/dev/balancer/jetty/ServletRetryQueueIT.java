package dev.balancer.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.balancer.config.ConfigLoader;
import dev.balancer.core.Balancer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The embedded servlet retrying a request whose server slot went, meanwhile, to a request waiting
 * in the queue: the retry waits in the queue too, without a thread (it runs on the HTTP client's
 * threads, which must never block), and is served when the slot frees.
 */
@org.junit.jupiter.api.parallel.Isolated("looks at every thread of the JVM (none may be inside the servlet while a retry waits)")
class ServletRetryQueueIT {

  private ServerSocket server;
  private final List<String> requestLines = new CopyOnWriteArrayList<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicBoolean first = new AtomicBoolean(true);
  private final CountDownLatch resetFirst = new CountDownLatch(1);
  private final CountDownLatch answerSecond = new CountDownLatch(1);
  private Server jetty;
  private ServerConnector connector;
  private Balancer balancer;
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void start() throws Exception {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    TestSockets.serveEach(server, s -> {
      sockets.add(s);
      serve(s);
    });
    balancer = Balancer.create(ConfigLoader.parse("embedded.cfg", """
        backend app
          mode http
          timeout queue 10s
          retries 3
          server x 127.0.0.1:%d maxconn 1
        """.formatted(server.getLocalPort())).orThrow());
    jetty = new Server();
    connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    jetty.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler("/");
    ServletHolder app = new ServletHolder(BalancerServlet.forBackend(balancer, "app"));
    app.setAsyncSupported(true);
    context.addServlet(app, "/*");
    jetty.setHandler(context);
    jetty.start();
  }

  @AfterEach
  void stop() throws Exception {
    resetFirst.countDown();
    answerSecond.countDown();
    jetty.stop();
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
  }

  /**
   * The server: the very first request is held until the test lets go, then its connection is
   * reset; a request for /second is held until the test lets go; any other is answered at once.
   */
  private void serve(Socket s) {
    try (s) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      while (true) {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
          int c = in.read();
          if (c < 0) {
            return;
          }
          head.write(c);
        }
        String line = head.toString(StandardCharsets.ISO_8859_1).lines().findFirst().orElseThrow();
        requestLines.add(line);
        if (first.getAndSet(false)) {
          resetFirst.await(10, TimeUnit.SECONDS);
          s.setSoLinger(true, 0);
          return; // a reset: the request failed before any byte of an answer
        }
        if (line.startsWith("GET /second ")) {
          answerSecond.await(10, TimeUnit.SECONDS);
        }
        String path = line.split(" ")[1];
        out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + path.length() + "\r\n\r\n" + path)
            .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      }
    } catch (IOException | InterruptedException e) {
      // the test is over
    }
  }

  private CompletableFuture<HttpResponse<String>> get(String path) {
    return client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + connector.getLocalPort() + path))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aRetryWhoseSlotWentToTheQueueWaitsThereWithoutAThread() throws Exception {
    CompletableFuture<HttpResponse<String>> retried = get("/first");
    await().atMost(Duration.ofSeconds(5)).until(() -> requestLines.size() == 1);
    CompletableFuture<HttpResponse<String>> queued = get("/second");
    await().atMost(Duration.ofSeconds(5)).until(() -> balancer.queued("app") == 1);

    // the first request's connection is reset: its slot goes to /second, which was waiting, and
    // its retry has to wait in the queue in turn
    resetFirst.countDown();
    await().atMost(Duration.ofSeconds(5)).until(() -> requestLines.contains("GET /second HTTP/1.1")
        && balancer.queued("app") == 1);
    await().atMost(Duration.ofSeconds(5)).until(() -> Thread.getAllStackTraces().values().stream()
        .noneMatch(stack -> Arrays.stream(stack).anyMatch(f -> f.getClassName().equals(BalancerServlet.class.getName()))));
    assertThat(retried).isNotDone();

    answerSecond.countDown();
    assertThat(queued.get(5, TimeUnit.SECONDS).body()).isEqualTo("/second");
    HttpResponse<String> r = retried.get(5, TimeUnit.SECONDS);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("/first");
    assertThat(requestLines).containsExactly("GET /first HTTP/1.1", "GET /second HTTP/1.1", "GET /first HTTP/1.1");
  }
}
