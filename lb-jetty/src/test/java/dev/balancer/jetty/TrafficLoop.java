package dev.balancer.jetty;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Steady client traffic for tests: threads that GET a URL over keep-alive connections until
 * stopped, recording every outcome with its time.
 */
final class TrafficLoop implements AutoCloseable {

  /** One request's outcome; {@code servedBy} is the backend's X-Served-By, or the error. */
  record Outcome(long startNanos, int status, String servedBy, boolean failed) {}

  private final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running = true;

  TrafficLoop(URI uri, int threads) {
    for (int i = 0; i < threads; i++) {
      Thread t = new Thread(() -> loop(uri), "traffic-" + i);
      t.setDaemon(true);
      this.threads.add(t);
      t.start();
    }
  }

  private void loop(URI uri) {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build();
    while (running) {
      long start = System.nanoTime();
      try {
        HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
        String by = r.headers().firstValue("x-served-by").orElse("?");
        outcomes.add(new Outcome(start, r.statusCode(), by, r.statusCode() != 200));
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        outcomes.add(new Outcome(start, -1, e.toString(), true));
      }
    }
  }

  List<Outcome> outcomes() {
    return List.copyOf(outcomes);
  }

  List<Outcome> failures() {
    return outcomes.stream().filter(Outcome::failed).toList();
  }

  Map<String, Long> countBy(Function<Outcome, String> key) {
    return outcomes.stream().collect(Collectors.groupingBy(key, Collectors.counting()));
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    for (Thread t : threads) {
      t.join(15_000);
    }
  }
}
