package dev.balancer.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.balancer.core.AdminState;
import dev.balancer.webapp.WebApp;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's rollout under 16 client threads (GET and POST with bodies, half of them sticky by
 * cookie), then 100 reloads in a row and a broken file under the same load: not one failed
 * request.
 */
@org.junit.jupiter.api.parallel.Isolated("counts the JVM's threads, under load")
class ZeroDowntimeIT {

  private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

  @TempDir Path dir;
  private Path cfg;
  private WebApp webapp1;
  private WebApp webapp2;
  private StandaloneBalancer lb;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final ConcurrentLinkedQueue<String> served = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
  private final List<Thread> clients = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    webapp1 = WebApp.start("127.0.0.1", 0, "webapp1", QUIET);
    webapp2 = WebApp.start("127.0.0.1", 0, "webapp2", QUIET);
    cfg = dir.resolve("haproxy.cfg");
    Files.writeString(cfg, config(List.of("server webapp1 127.0.0.1:" + webapp1.port() + " cookie w1")));
    lb = StandaloneBalancer.start(List.of(cfg), Duration.ofMillis(100));
  }

  @AfterEach
  void stop() throws Exception {
    running.set(false);
    for (Thread t : clients) {
      t.join(10_000);
    }
    lb.close();
    webapp1.close();
    webapp2.close();
  }

  private static String config(List<String> servers) {
    StringBuilder b = new StringBuilder("""
        global
          hard-stop-after 2s
        defaults
          mode http
          timeout connect 2s
          timeout client 30s
          timeout server 30s
          retries 3
          option redispatch
        frontend www
          bind 127.0.0.1:0
          default_backend app
        backend app
          cookie SRV insert indirect nocache
        """);
    servers.forEach(s -> b.append("  ").append(s).append('\n'));
    return b.toString();
  }

  private void rewrite(String text) throws Exception {
    Path tmp = dir.resolve("haproxy.cfg.tmp");
    Files.writeString(tmp, text);
    Files.move(tmp, cfg, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** 16 clients: even ones GET and keep the cookie they are given, odd ones POST a body. */
  private void startClients(URI uri) {
    for (int i = 0; i < 16; i++) {
      boolean sticky = i % 2 == 0;
      Thread t = new Thread(() -> {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String cookie = null;
        while (running.get()) {
          HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10));
          if (sticky) {
            if (cookie != null) {
              b.header("Cookie", cookie);
            }
          } else {
            b.POST(HttpRequest.BodyPublishers.ofString("form=data&n=" + System.nanoTime()));
          }
          try {
            HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
              failures.add((sticky ? "GET " : "POST ") + "status " + r.statusCode());
            } else {
              served.add(r.headers().firstValue("x-served-by").orElse("?"));
              String set = r.headers().firstValue("set-cookie").orElse(null);
              if (set != null) {
                cookie = set.substring(0, set.indexOf(';'));
              }
            }
          } catch (InterruptedException e) {
            return;
          } catch (Exception e) {
            failures.add(e.toString());
          }
        }
      }, "client-" + i);
      t.start();
      clients.add(t);
    }
  }

  private URI uri() {
    return URI.create("http://127.0.0.1:" + lb.server().port("www") + "/");
  }

  @Test
  void theSeedsRolloutUnderLoadFailsNothing() throws Exception {
    startClients(uri());
    await().atMost(Duration.ofSeconds(5)).until(() -> served.size() > 300);

    rewrite(config(List.of("server webapp1 127.0.0.1:" + webapp1.port() + " cookie w1 disabled",
        "server webapp2 127.0.0.1:" + webapp2.port() + " cookie w2")));
    await().atMost(Duration.ofSeconds(3)).until(() -> lb.server().balancer().server("app", "webapp1")
        .orElseThrow().adminState() == AdminState.MAINT);
    // requests already on their way to webapp1 finish there; count from when none is left
    await().atMost(Duration.ofSeconds(10))
        .until(() -> lb.server().balancer().server("app", "webapp1").orElseThrow().inFlight() == 0);
    served.clear();
    await().atMost(Duration.ofSeconds(5)).until(() -> served.size() > 500);
    assertThat(served).containsOnly("webapp2");

    await().atMost(Duration.ofSeconds(10))
        .until(() -> lb.server().balancer().server("app", "webapp1").orElseThrow().inFlight() == 0);
    webapp1.close();
    rewrite(config(List.of("server webapp2 127.0.0.1:" + webapp2.port() + " cookie w2")));
    await().atMost(Duration.ofSeconds(3)).until(() -> lb.reloader().succeeded() == 2);
    int before = served.size();
    await().atMost(Duration.ofSeconds(5)).until(() -> served.size() > before + 300);

    assertThat(failures).isEmpty();
  }

  @Test
  void aHundredReloadsAndABrokenFileUnderLoadFailNothingAndLeakNoThreads() throws Exception {
    String a = config(List.of("server webapp1 127.0.0.1:" + webapp1.port() + " cookie w1",
        "server webapp2 127.0.0.1:" + webapp2.port() + " cookie w2"));
    String b = config(List.of("server webapp1 127.0.0.1:" + webapp1.port() + " cookie w1 weight 2",
        "server webapp2 127.0.0.1:" + webapp2.port() + " cookie w2"));
    startClients(uri());
    await().atMost(Duration.ofSeconds(5)).until(() -> served.size() > 300);
    Files.writeString(cfg, a);
    lb.reloader().reload();
    int threadsAfterFirst = ManagementFactory.getThreadMXBean().getThreadCount();
    long heapAfterFirst = heapAfterGc();

    for (int i = 0; i < 100; i++) {
      Files.writeString(cfg, i % 2 == 0 ? b : a);
      assertThat(lb.reloader().reload().applied()).isTrue();
    }
    Files.writeString(cfg, a + "  bogus line\n");
    assertThat(lb.reloader().reload().applied()).isFalse();
    int before = served.size();
    await().atMost(Duration.ofSeconds(5)).until(() -> served.size() > before + 500);
    Files.writeString(cfg, a);
    assertThat(lb.reloader().reload().applied()).isTrue();

    assertThat(failures).isEmpty();
    assertThat(served).contains("webapp1", "webapp2");
    // pools grow and shrink with the load (a few tens of threads); a leak per reload would add a
    // hundred or more
    assertThat(ManagementFactory.getThreadMXBean().getThreadCount()).isLessThanOrEqualTo(threadsAfterFirst + 30);
    // the same for memory: 100 configurations kept alive would hold far more than this
    assertThat(heapAfterGc()).isLessThanOrEqualTo(heapAfterFirst + 32L * 1024 * 1024);
  }

  /** Heap in use after a full collection. */
  private static long heapAfterGc() {
    ManagementFactory.getMemoryMXBean().gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
