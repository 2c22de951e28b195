package dev.balancer.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.balancer.config.ConfigLoader;
import dev.balancer.webapp.WebApp;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** maxconn through the proxy: requests wait in the backend queue (without a thread each), in order. */
class QueueThroughProxyIT {

  private WebApp app;
  private BalancerServer lb;

  @AfterEach
  void stop() throws Exception {
    lb.close();
    app.close();
  }

  private void start(String extra) throws Exception {
    app = WebApp.start("127.0.0.1", 0, "app", new PrintStream(OutputStream.nullOutputStream()));
    lb = BalancerServer.start(ConfigLoader.parse("q.cfg", """
        defaults
          mode http
          timeout connect 5s
          timeout client 10s
          timeout server 10s
        %s
        frontend www
          bind 127.0.0.1:0
          default_backend app
        backend app
          server s1 127.0.0.1:%d maxconn 1
        """.formatted(extra, app.port())).orThrow());
  }

  private List<CompletableFuture<HttpResponse<String>>> send(int n, int delayMillis) {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      all.add(client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lb.port("www") + "/?delay=" + delayMillis))
          .build(), HttpResponse.BodyHandlers.ofString()));
    }
    return all;
  }

  @Test
  void requestsBeyondMaxconnWaitAndAreServedOneAtATime() throws Exception {
    start("");
    AtomicInteger maxInFlight = new AtomicInteger();
    AtomicInteger maxQueued = new AtomicInteger();
    Thread watch = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        maxInFlight.accumulateAndGet(lb.balancer().server("app", "s1").orElseThrow().inFlight(), Math::max);
        maxQueued.accumulateAndGet(lb.balancer().queued("app"), Math::max);
        // a sampler of the balancer's counters, once a millisecond
        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
      }
    });
    watch.setDaemon(true);
    watch.start();

    List<CompletableFuture<HttpResponse<String>>> all = send(6, 150);
    for (CompletableFuture<HttpResponse<String>> f : all) {
      assertThat(f.get().statusCode()).isEqualTo(200);
    }
    watch.interrupt();

    assertThat(maxInFlight.get()).isEqualTo(1);
    assertThat(maxQueued.get()).isGreaterThanOrEqualTo(3);
  }

  @Test
  void aRequestQueuedLongerThanTimeoutQueueGetsHaproxys503() throws Exception {
    start("  timeout queue 300ms");

    List<CompletableFuture<HttpResponse<String>>> all = send(3, 1500);
    List<Integer> statuses = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> f : all) {
      statuses.add(f.get().statusCode());
    }

    assertThat(statuses).containsExactlyInAnyOrder(200, 503, 503);
  }
}
