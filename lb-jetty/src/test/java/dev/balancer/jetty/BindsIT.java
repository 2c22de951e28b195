package dev.balancer.jetty;

import dev.balancer.jetty.direct.DirectProxy;
import static org.assertj.core.api.Assertions.assertThat;

import dev.balancer.config.ConfigLoader;
import dev.balancer.webapp.WebApp;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code bind} forms of a frontend, each reached over a real socket: comma lists, port ranges,
 * {@code *:PORT}, {@code :::PORT} and {@code [::1]:PORT} (when the machine has IPv6 loopback), and
 * several {@code bind} lines in one frontend and in a {@code listen}.
 */
class BindsIT {

  private WebApp app;
  private BalancerServer lb;
  private final HttpClient client = HttpClient.newHttpClient();

  @AfterEach
  void stop() throws Exception {
    if (lb != null) {
      lb.close();
    }
    if (app != null) {
      app.close();
    }
  }

  /** {@code n} consecutive free ports below the ephemeral range. */
  private static int freeRun(int n) {
    for (int attempt = 0; attempt < 200; attempt++) {
      int first = 20000 + ThreadLocalRandom.current().nextInt(12000 - n);
      boolean free = true;
      for (int p = first; p < first + n && free; p++) {
        try (ServerSocket s = new ServerSocket()) {
          s.bind(new InetSocketAddress(p));
        } catch (IOException taken) {
          free = false;
        }
      }
      if (free) {
        return first;
      }
    }
    throw new IllegalStateException("no run of free ports");
  }

  private static boolean ipv6Loopback() {
    try {
      return NetworkInterface.getByInetAddress(InetAddress.getByName("::1")) != null;
    } catch (IOException e) {
      return false;
    }
  }

  private int status(String host, int port) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/")).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** HAProxy's {@code nbthread} is how many threads serve; here, each listener's selector threads. */
  @Test
  void nbthreadSetsTheListenersSelectorThreads() throws Exception {
    app = WebApp.start("127.0.0.1", 0, "webapp1", new PrintStream(OutputStream.nullOutputStream()));
    String backend = """
        defaults
            mode http
            timeout connect 2s
            timeout client 10s
            timeout server 10s
        frontend www
            bind 127.0.0.1:0
            default_backend app
        backend app
            server s1 127.0.0.1:%d
        """.formatted(app.port());
    int cores = Runtime.getRuntime().availableProcessors();
    lb = BalancerServer.start(ConfigLoader.parse("threads.cfg", "global\n    nbthread 2\n" + backend).orThrow());
    assertThat(lb.selectorCount("www")).isEqualTo(Math.min(2, cores));
    assertThat(status("127.0.0.1", lb.port("www"))).isEqualTo(200);
    lb.close();
    // each listener has its own selectors: never more than the cores, whatever the file says
    lb = BalancerServer.start(ConfigLoader.parse("threads.cfg", "global\n    nbthread 64\n" + backend).orThrow());
    assertThat(lb.selectorCount("www")).isEqualTo(Math.min(64, cores));
    assertThat(status("127.0.0.1", lb.port("www"))).isEqualTo(200);
    lb.close();
    lb = BalancerServer.start(ConfigLoader.parse("threads.cfg", "global\n    nbthread 1\n" + backend).orThrow());
    assertThat(lb.selectorCount("www")).isEqualTo(1);
    assertThat(status("127.0.0.1", lb.port("www"))).isEqualTo(200);
    lb.close();
    lb = BalancerServer.start(ConfigLoader.parse("threads.cfg", backend).orThrow());
    if (DirectProxy.enabled()) {
      // without nbthread: one per core up to 4 on the direct path; Jetty's default on the servlet's
      assertThat(lb.selectorCount("www")).isEqualTo(Math.min(4, cores));
    }
  }

  @Test
  void everyBindFormListens() throws Exception {
    app = WebApp.start("127.0.0.1", 0, "webapp1", new PrintStream(OutputStream.nullOutputStream()));
    int p = freeRun(8);
    boolean v6 = ipv6Loopback();
    lb = BalancerServer.start(ConfigLoader.parse("binds.cfg", """
        defaults
          mode http
          timeout connect 1s
          timeout client 5s
          timeout server 5s
        frontend www
          bind 127.0.0.1:%d,127.0.0.1:%d
          bind 127.0.0.1:%d-%d
          bind *:%d
          %s
          default_backend app
        listen both
          bind 127.0.0.1:%d
          server s1 127.0.0.1:%d
        backend app
          server s1 127.0.0.1:%d
        """.formatted(p, p + 1, p + 2, p + 3, p + 4, v6 ? "bind [::1]:" + (p + 5) + "\n  bind :::" + (p + 6) : "",
        p + 7, app.port(), app.port())).orThrow());

    List<Integer> statuses = new ArrayList<>();
    for (int port : List.of(p, p + 1, p + 2, p + 3, p + 4, p + 7)) {
      statuses.add(status("127.0.0.1", port));
    }
    if (v6) {
      statuses.add(status("[::1]", p + 5));
      statuses.add(status("[::1]", p + 6));
    }

    assertThat(statuses).hasSize(v6 ? 8 : 6).containsOnly(200);
  }
}
