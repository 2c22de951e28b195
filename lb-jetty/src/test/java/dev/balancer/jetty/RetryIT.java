package dev.balancer.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.balancer.config.ConfigLoader;
import dev.balancer.webapp.WebApp;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A dead backend does not become a failed request when a retry is safe. */
@org.junit.jupiter.api.parallel.Isolated("times a server under load; alone, as it flaked beside other tests on two cores")
class RetryIT {

  private WebApp live;
  private BalancerServer lb;
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @AfterEach
  void stop() throws Exception {
    if (lb != null) {
      lb.close();
    }
    live.close();
    dead.close();
  }

  private final Socket dead = TestSockets.refusing();

  private int deadPort() {
    return dead.getLocalPort();
  }

  private void start(String extra) throws Exception {
    live = WebApp.start("127.0.0.1", 0, "live", new PrintStream(OutputStream.nullOutputStream()));
    lb = BalancerServer.start(TestConfigs.www("", "%s\n  server dead 127.0.0.1:%d\n  server live 127.0.0.1:%d\n".formatted(extra, deadPort(), live.port())));
  }

  private List<Integer> send(int n, String method) throws Exception {
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lb.port("www") + "/"));
      b = method.equals("POST") ? b.POST(HttpRequest.BodyPublishers.ofString("payload")) : b.GET();
      statuses.add(client.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode());
    }
    return statuses;
  }

  @Test
  void requestsWithoutBodyThatMeetARefusedConnectionAreRetriedOnAnotherServer() throws Exception {
    start("");

    assertThat(send(20, "GET")).containsOnly(200);
    assertThat(lb.balancer().server("app", "live").orElseThrow().totalRequests()).isEqualTo(20);
  }

  @Test
  void retriesZeroLetsTheFailureThrough() throws Exception {
    start("  retries 0");

    // HAProxy's answer when it cannot connect: 503
    assertThat(send(4, "GET")).contains(503).contains(200);
  }

  @Test
  void aSmallBodyIsKeptAndSentAgainWhenTheConnectionWasRefused() throws Exception {
    start("");

    assertThat(send(6, "POST")).containsOnly(200);
  }

  @Test
  void aLargeBodyIsStreamedAndNotRetried() throws Exception {
    start("");
    List<Integer> statuses = new ArrayList<>();
    byte[] big = new byte[BalancerServlet.BUFFERED_BODY_LIMIT + 1];
    for (int i = 0; i < 4; i++) {
      statuses.add(client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lb.port("www") + "/"))
          .POST(HttpRequest.BodyPublishers.ofByteArray(big)).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
    }

    assertThat(statuses).contains(503);
  }

  private HttpResponse<String> sticky(String cookie) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lb.port("www") + "/"))
        .header("Cookie", cookie).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aStickyClientIsRetriedOnItsOwnServerAfterAPauseAndWithoutRedispatchGets503() throws Exception {
    live = WebApp.start("127.0.0.1", 0, "live", new PrintStream(OutputStream.nullOutputStream()));
    lb = BalancerServer.start(TestConfigs.www("", "  retries 2\n  timeout connect 200ms\n  cookie SRV insert\n"
        + "  server dead 127.0.0.1:%d cookie d\n  server live 127.0.0.1:%d cookie l\n".formatted(deadPort(), live.port())));

    long t0 = System.nanoTime();
    HttpResponse<String> r = sticky("SRV=d");
    long took = (System.nanoTime() - t0) / 1_000_000;

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).contains("No server is available to handle this request.");
    // two retries of the same server, each after min(timeout connect, 1 s)
    assertThat(took).isGreaterThanOrEqualTo(400);
    assertThat(lb.balancer().server("app", "live").orElseThrow().totalRequests()).isZero();
  }

  @Test
  void optionRedispatchSendsTheLastRetryOfAStickyClientElsewhereWithANewCookie() throws Exception {
    live = WebApp.start("127.0.0.1", 0, "live", new PrintStream(OutputStream.nullOutputStream()));
    lb = BalancerServer.start(TestConfigs.www("", "  retries 2\n  option redispatch\n  timeout connect 200ms\n"
        + "  cookie SRV insert\n  server dead 127.0.0.1:%d cookie d\n  server live 127.0.0.1:%d cookie l\n"
            .formatted(deadPort(), live.port())));

    long t0 = System.nanoTime();
    HttpResponse<String> r = sticky("SRV=d");
    long took = (System.nanoTime() - t0) / 1_000_000;

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("x-served-by")).contains("live");
    assertThat(r.headers().firstValue("set-cookie")).contains("SRV=l; path=/");
    // the first retry waited on the same server; the last one moved at once
    assertThat(took).isGreaterThanOrEqualTo(200);
  }

  @Test
  void postsThroughConnectionsAServerClosesAfterAnsweringUnreadBodiesNeverFail() throws Exception {
    // a server that answers at once without reading the body: Jetty then closes the connection,
    // and the proxy's next request on it meets a closed pooled connection
    org.eclipse.jetty.server.Server careless = new org.eclipse.jetty.server.Server();
    org.eclipse.jetty.server.ServerConnector c = new org.eclipse.jetty.server.ServerConnector(careless);
    c.setHost("127.0.0.1");
    careless.addConnector(c);
    careless.setHandler(new org.eclipse.jetty.server.Handler.Abstract() {
      @Override
      public boolean handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response,
          org.eclipse.jetty.util.Callback callback) {
        response.setStatus(200);
        response.getHeaders().put("X-Served-By", "careless");
        response.write(true, java.nio.ByteBuffer.wrap("ok".getBytes(java.nio.charset.StandardCharsets.US_ASCII)), callback);
        return true;
      }
    });
    careless.start();
    live = WebApp.start("127.0.0.1", 0, "live", new PrintStream(OutputStream.nullOutputStream()));
    try {
      lb = BalancerServer.start(ConfigLoader.parse("c.cfg", """
          defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
          frontend www
            bind 127.0.0.1:0
            default_backend app
          backend app
            server careless 127.0.0.1:%d
          """.formatted(c.getLocalPort())).orThrow());
      List<Thread> threads = new ArrayList<>();
      java.util.concurrent.ConcurrentLinkedQueue<String> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
      for (int t = 0; t < 4; t++) {
        Thread th = new Thread(() -> {
          HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
          for (int i = 0; i < 400; i++) {
            try {
              int status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lb.port("www") + "/"))
                  .POST(HttpRequest.BodyPublishers.ofString("field=" + i)).build(), HttpResponse.BodyHandlers.ofString())
                  .statusCode();
              if (status != 200) {
                failures.add("status " + status);
              }
            } catch (Exception e) {
              failures.add(e.toString());
            }
          }
        });
        th.start();
        threads.add(th);
      }
      for (Thread th : threads) {
        th.join();
      }

      assertThat(failures).isEmpty();
    } finally {
      careless.stop();
    }
  }

  @Test
  void aBackendKilledUnderLoadFailsNoIdempotentRequest() throws Exception {
    live = WebApp.start("127.0.0.1", 0, "live", new PrintStream(OutputStream.nullOutputStream()));
    WebApp victim = WebApp.start("127.0.0.1", 0, "victim", new PrintStream(OutputStream.nullOutputStream()));
    lb = BalancerServer.start(TestConfigs.www("  retries 3\n  option redispatch\n", "  server victim 127.0.0.1:%d\n  server live 127.0.0.1:%d\n".formatted(victim.port(), live.port())));
    try (TrafficLoop traffic = new TrafficLoop(URI.create("http://127.0.0.1:" + lb.port("www") + "/"), 8)) {
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
          .until(() -> traffic.countBy(TrafficLoop.Outcome::servedBy).getOrDefault("victim", 0L) > 200);

      victim.kill();
      long killedAt = System.nanoTime();
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
          .until(() -> traffic.outcomes().stream().filter(o -> o.startNanos() > killedAt).count() > 500);
      traffic.close();

      assertThat(traffic.failures()).isEmpty();
      assertThat(traffic.outcomes().stream().filter(o -> o.startNanos() > killedAt).map(TrafficLoop.Outcome::servedBy))
          .containsOnly("live");
    }
  }
}
