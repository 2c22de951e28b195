package dev.balancer.jetty.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.balancer.jetty.StandaloneBalancer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Prometheus endpoint ({@code http-request use-service prometheus-exporter}) over a real socket:
 * every meter the README lists is there, with HAProxy's exporter names, and the values follow the
 * traffic, the states and the reloads.
 */
class MetricsIT {

  @TempDir
  Path dir;

  HttpServer backend;
  StandaloneBalancer lb;
  Path cfg;
  final HttpClient client = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    backend.createContext("/", ex -> {
      int status = ex.getRequestURI().getPath().equals("/missing") ? 404 : 200;
      ex.sendResponseHeaders(status, 2);
      ex.getResponseBody().write("ok".getBytes());
      ex.close();
    });
    backend.start();
    cfg = dir.resolve("haproxy.cfg");
    Files.writeString(cfg, config(""));
    lb = StandaloneBalancer.start(List.of(cfg), Duration.ofHours(1));
  }

  String config(String extra) {
    return """
        defaults
          mode http
          timeout connect 1s
          timeout client 5s
          timeout server 5s
        frontend www
          bind 127.0.0.1:0
          http-request use-service prometheus-exporter if { path /metrics }
          default_backend app
        backend app
          server web1 127.0.0.1:%d
          server web2 127.0.0.1:%d disabled
        %s""".formatted(backend.getAddress().getPort(), backend.getAddress().getPort(), extra);
  }

  @AfterEach
  void stop() throws Exception {
    lb.close();
    backend.stop(0);
  }

  String get(String path) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lb.server().port("www") + path)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  @Test
  void everyListedMeterIsExportedAndFollowsTheTraffic() throws Exception {
    for (int i = 0; i < 3; i++) {
      get("/page");
    }
    get("/missing");
    Awaitility.await().atMost(Duration.ofSeconds(5))
        .until(() -> get("/metrics").contains("haproxy_server_http_responses_total{code=\"4xx\",proxy=\"app\",server=\"web1\"} 1.0"));
    String text = get("/metrics");
    for (String name : BalancerMetrics.METER_NAMES) {
      String prom = name.replace('.', '_');
      assertThat(text).as(name).containsPattern("(?m)^" + prom + "(_total)?[{ ]");
    }
    assertThat(text)
        .contains("haproxy_server_sessions_total{proxy=\"app\",server=\"web1\"} 4.0")
        .contains("haproxy_backend_http_responses_total{code=\"2xx\",proxy=\"app\"} 3.0")
        .contains("haproxy_server_status{proxy=\"app\",server=\"web1\",state=\"UP\"} 1.0")
        .contains("haproxy_server_status{proxy=\"app\",server=\"web2\",state=\"MAINT\"} 1.0")
        .contains("haproxy_server_status{proxy=\"app\",server=\"web2\",state=\"UP\"} 0.0")
        .contains("haproxy_backend_status{proxy=\"app\",state=\"UP\"} 1.0")
        .contains("balancer_reloads_total{result=\"success\"} 0.0");
    // the scrapes themselves are requests on www too
    assertThat(text).containsPattern("haproxy_frontend_http_responses_total\\{code=\"2xx\",proxy=\"www\"} ([3-9]|\\d\\d)\\.0");
    assertThat(text).containsPattern("haproxy_frontend_bytes_out_total\\{proxy=\"www\"} [1-9]");
  }

  @Test
  void reloadsCountAndRemovedServersLeave() throws Exception {
    Files.writeString(cfg, config("").replace("  server web2 127.0.0.1:" + backend.getAddress().getPort() + " disabled\n", ""));
    assertThat(lb.reloader().reload().applied()).isTrue();
    Files.writeString(cfg, "frontend broken\n  bind\n");
    assertThat(lb.reloader().reload().applied()).isFalse();
    // the file watcher may also reload a file it saw (whole or half written): the meters show what
    // the reloader counted, at least the test's own two reloads
    assertThat(lb.reloader().succeeded()).isPositive();
    assertThat(lb.reloader().failed()).isPositive();
    Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(get("/metrics")).contains(
        "balancer_reloads_total{result=\"success\"} " + lb.reloader().succeeded() + ".0",
        "balancer_reloads_total{result=\"failure\"} " + lb.reloader().failed() + ".0"));
    String text = get("/metrics");
    assertThat(text).doesNotContain("server=\"web2\"");
    assertThat(text).containsPattern("balancer_reload_last_time_seconds [1-9]");
  }
}
