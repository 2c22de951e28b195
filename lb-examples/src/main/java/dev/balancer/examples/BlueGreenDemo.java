package dev.balancer.examples;

import dev.balancer.core.BackendServer;
import dev.balancer.jetty.StandaloneBalancer;
import dev.balancer.webapp.WebApp;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

/**
 * The rollout HAProxy users do by hand, played end to end with real sockets: a new version of a web
 * app replaces the old one behind the balancer while clients keep sending requests, and not one
 * request fails.
 *
 * <ol>
 *   <li>webapp1 runs behind the balancer, which reads {@code haproxy.cfg};
 *   <li>steady client traffic starts;
 *   <li>webapp2 starts; the config file is rewritten: webapp2 added, webapp1 {@code disabled};
 *   <li>the balancer reloads the file by itself; new requests go to webapp2;
 *   <li>webapp1's requests in flight (a slow one among them) drain;
 *   <li>webapp1 stops and leaves the config file.
 * </ol>
 *
 * Run it with {@code mvn -q -DskipTests package exec:java} at the top of the repository.
 */
public final class BlueGreenDemo {

  /** What the clients saw. */
  public record Result(Map<String, Long> requestsPerInstance, long failed) {}

  /** How long the demo lets traffic run between steps, so that a person can follow it. */
  public static final Duration DEFAULT_STEP = Duration.ofSeconds(2);

  private final PrintStream out;
  private final Path dir;
  private final Map<String, LongAdder> perInstance = new ConcurrentHashMap<>();
  private final AtomicLong failed = new AtomicLong();
  private final List<String> failures = new ArrayList<>();
  private volatile boolean trafficOn = true;
  private final long started = System.nanoTime();
  private final Duration step;

  /**
   * @param out where the narration goes
   * @param dir where the config file is written
   * @param step how long traffic runs between steps
   */
  public BlueGreenDemo(PrintStream out, Path dir, Duration step) {
    this.out = out;
    this.dir = dir;
    this.step = step;
  }

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("blue-green");
    Result r = new BlueGreenDemo(System.out, dir, DEFAULT_STEP).run();
    System.exit(r.failed() == 0 ? 0 : 1);
  }

  private void say(String text) {
    out.printf("[%5.1fs] %s%n", (System.nanoTime() - started) / 1e9, text);
  }

  /** Plays the rollout and returns what the clients saw. */
  public Result run() throws Exception {
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    Path cfg = dir.resolve("haproxy.cfg");
    int port = freePortOr(8080);
    // webapp1's request log, read only to see the slow request arrive
    java.util.concurrent.atomic.AtomicBoolean slowArrived = new java.util.concurrent.atomic.AtomicBoolean();
    PrintStream webapp1Log = new PrintStream(OutputStream.nullOutputStream()) {
      @Override
      public void println(String line) {
        if (line.contains("?delay=")) {
          slowArrived.set(true);
        }
      }
    };
    try (WebApp webapp1 = WebApp.start("127.0.0.1", 0, "webapp1", webapp1Log)) {
      say("webapp1 (the version in production) listens on 127.0.0.1:" + webapp1.port());
      writeAtomically(cfg, config(port, List.of("server webapp1 127.0.0.1:" + webapp1.port())));
      say("config file " + cfg + ":\n" + indent(Files.readString(cfg)));
      try (StandaloneBalancer lb = StandaloneBalancer.start(List.of(cfg), Duration.ofMillis(200))) {
        port = lb.server().port("www");
        URI uri = URI.create("http://127.0.0.1:" + port + "/");
        say("balancer listens on " + uri + " and watches the config file");

        List<Thread> clients = startTraffic(uri, 4);
        say("4 clients send requests without pause");
        pause();
        report(lb);

        CompletableFuture<HttpResponse<String>> slow = HttpClient.newHttpClient().sendAsync(
            HttpRequest.newBuilder(URI.create(uri + "?delay=" + (step.toMillis() * 3 / 2))).build(), HttpResponse.BodyHandlers.ofString());
        // the slow request itself on webapp1 (other requests are in flight there all the time)
        waitFor(slowArrived::get, Duration.ofSeconds(5));
        say("a slow request (" + step.toMillis() * 3 / 2 + " ms) is in flight on webapp1");

        try (WebApp webapp2 = WebApp.start("127.0.0.1", 0, "webapp2", quiet)) {
          say("webapp2 (the new version) starts on 127.0.0.1:" + webapp2.port());
          writeAtomically(cfg, config(port, List.of(
              "server webapp1 127.0.0.1:" + webapp1.port() + " disabled",
              "server webapp2 127.0.0.1:" + webapp2.port())));
          say("config rewritten: webapp2 added, webapp1 marked 'disabled'");
          long generation = lb.server().balancer().generation();
          waitFor(() -> lb.server().balancer().generation() > generation, Duration.ofSeconds(5));
          say("balancer reloaded the file: webapp1 is " + server(lb, "webapp1").adminState()
              + ", new requests go to webapp2");
          // counted by the balancer when it chooses a server, so requests already on their way don't count
          long before = server(lb, "webapp1").totalRequests();
          pause();
          say("requests sent to webapp1 since the reload: " + (server(lb, "webapp1").totalRequests() - before)
              + " (the slow one still counts " + server(lb, "webapp1").inFlight() + " in flight)");
          report(lb);

          say("waiting for webapp1 to drain...");
          waitFor(() -> server(lb, "webapp1").inFlight() == 0, Duration.ofSeconds(30));
          HttpResponse<String> s = slow.get();
          say("webapp1 has nothing in flight; the slow request ended with " + s.statusCode()
              + " from " + s.headers().firstValue("x-served-by").orElse("?"));
          webapp1.close();
          say("webapp1 stopped");
          writeAtomically(cfg, config(port, List.of("server webapp2 127.0.0.1:" + webapp2.port())));
          long generation2 = lb.server().balancer().generation();
          waitFor(() -> lb.server().balancer().generation() > generation2, Duration.ofSeconds(5));
          say("config rewritten without webapp1 and reloaded:\n" + indent(Files.readString(cfg)));
          pause();
          trafficOn = false;
          for (Thread t : clients) {
            t.join();
          }
        }
      }
    }
    Map<String, Long> counts = new TreeMap<>();
    perInstance.forEach((k, v) -> counts.put(k, v.sum()));
    say("done. requests per instance: " + counts + ", failed requests: " + failed.get());
    failures.stream().limit(5).forEach(f -> say("  failure: " + f));
    return new Result(counts, failed.get());
  }

  private static BackendServer server(StandaloneBalancer lb, String name) {
    return lb.server().balancer().server("app", name).orElseThrow();
  }

  private void report(StandaloneBalancer lb) {
    Map<String, Long> counts = new TreeMap<>();
    perInstance.forEach((k, v) -> counts.put(k, v.sum()));
    say("so far: " + counts + ", failed: " + failed.get());
  }

  private List<Thread> startTraffic(URI uri, int n) {
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Thread t = new Thread(() -> {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build();
        while (trafficOn) {
          try {
            HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
              perInstance.computeIfAbsent(r.headers().firstValue("x-served-by").orElse("?"), k -> new LongAdder()).increment();
            } else {
              fail("status " + r.statusCode());
            }
          } catch (IOException e) {
            fail(e.toString());
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "client-" + i);
      t.start();
      threads.add(t);
    }
    return threads;
  }

  private synchronized void fail(String what) {
    failed.incrementAndGet();
    failures.add(what);
  }

  private static String config(int port, List<String> servers) {
    StringBuilder b = new StringBuilder("""
        defaults
            mode http
            timeout connect 5s
            timeout client 30s
            timeout server 30s

        frontend www
            bind 127.0.0.1:%d
            default_backend app

        backend app
            balance roundrobin
        """.formatted(port));
    for (String s : servers) {
      b.append("    ").append(s).append('\n');
    }
    return b.toString();
  }

  private static String indent(String text) {
    return text.lines().map(l -> "        | " + l).reduce((a, c) -> a + "\n" + c).orElse("");
  }

  /** Writes beside the file and renames over it, as editors do, so no reader sees half a file. */
  private static void writeAtomically(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, text);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static int freePortOr(int preferred) {
    try (ServerSocket s = new ServerSocket(preferred, 1, java.net.InetAddress.getLoopbackAddress())) {
      return preferred;
    } catch (IOException taken) {
      return 0;
    }
  }

  private void pause() throws InterruptedException {
    Thread.sleep(step.toMillis());
  }

  private static void waitFor(BooleanSupplier condition, Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("gave up waiting after " + limit);
      }
      Thread.sleep(20);
    }
  }
}
