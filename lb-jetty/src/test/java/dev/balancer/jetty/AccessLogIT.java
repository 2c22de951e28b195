package dev.balancer.jetty;

import dev.balancer.jetty.log.AccessLog;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.balancer.config.ConfigLoader;
import dev.balancer.webapp.WebApp;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code option httplog}: one line per request in HAProxy's format, over real sockets. */
class AccessLogIT {
  /** The port of a server that refuses every connection. */
  private final java.net.Socket refusing = dev.balancer.jetty.TestSockets.refusing();


  private WebApp app;
  private BalancerServer lb;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void start() throws Exception {
    app = WebApp.start("127.0.0.1", 0, "webapp1", new PrintStream(OutputStream.nullOutputStream()));
    int dead = refusing.getLocalPort();
    lb = BalancerServer.start(ConfigLoader.parse("log.cfg", """
        defaults
          mode http
          timeout connect 1s
          timeout client 5s
          timeout server 5s
        frontend www
          bind 127.0.0.1:0
          option httplog
          timeout http-request 500ms
          http-request deny if { path_beg /admin }
          use_backend gone if { path_beg /gone }
          default_backend app
        frontend quiet
          bind 127.0.0.1:0
          default_backend app
        frontend custom
          bind 127.0.0.1:0
          option httplog
          log-format "%%ci %%ft %%b/%%s %%ST %%{+Q}r %%HM %%HP%%HQ %%Tw/%%Ta %%%%"
          default_backend app
        frontend nonull
          bind 127.0.0.1:0
          option httplog
          option dontlognull
          timeout http-request 500ms
          default_backend app
        backend app
          cookie SRV insert
          server s1 127.0.0.1:%d cookie c1
        backend gone
          retries 0
          server dead 127.0.0.1:%d
        """.formatted(app.port(), dead)).orThrow(), lines::add);
  }

  @AfterEach
  void stop() throws Exception {
    lb.close();
    app.close();
    refusing.close();
  }

  private int get(String frontend, String path, String cookie) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lb.port(frontend) + path));
    if (cookie != null) {
      b.header("Cookie", cookie);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private String line(int n) {
    await().atMost(Duration.ofSeconds(5)).until(() -> lines.size() >= n);
    return lines.get(n - 1);
  }

  private static final String HEAD = "^127\\.0\\.0\\.1:\\d+ \\[\\d\\d/[A-Z][a-z]{2}/\\d{4}:\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\] www ";

  @Test
  void eachRequestGetsHaproxysHttplogLine() throws Exception {
    assertThat(get("www", "/?y=1", null)).isEqualTo(200);
    assertThat(line(1)).matches(HEAD + "app/s1 \\d+/\\d+/\\d+/\\d+/\\d+ 200 \\d+ - - --NI \\d+/\\d+/\\d+/\\d+/0 0/0 "
        + "\"GET /\\?y=1 HTTP/1\\.1\"$");

    assertThat(get("www", "/", "SRV=c1")).isEqualTo(200);
    assertThat(line(2)).contains(" app/s1 ").contains(" 200 ").contains(" --VN ");

    assertThat(get("www", "/admin", null)).isEqualTo(403);
    assertThat(line(3)).matches(HEAD + "www/<NOSRV> .* 403 \\d+ - - PR-- .*\"GET /admin HTTP/1\\.1\"$");

    assertThat(get("www", "/gone", null)).isEqualTo(503);
    assertThat(line(4)).matches(HEAD + "gone/dead .* 503 \\d+ - - SC-- .*\"GET /gone HTTP/1\\.1\"$");
  }

  /** Opens a connection, sends {@code bytes}, and reads until the balancer closes it. */
  private String stall(String frontend, String bytes) throws Exception {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", lb.port(frontend))) {
      s.setSoTimeout(5000);
      s.getOutputStream().write(bytes.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void aTimedOutRequestIsLoggedAsBadreqAndDontlognullLeavesOutSilentConnections() throws Exception {
    assertThat(stall("www", "")).startsWith("HTTP/1.1 408");
    assertThat(line(1)).matches(HEAD + "www/<NOSRV> -1/-1/-1/-1/\\d+ 408 0 - - cR-- 0/0/0/0/0 0/0 \"<BADREQ>\"$");

    assertThat(stall("nonull", "")).startsWith("HTTP/1.1 408");
    assertThat(stall("nonull", "GET / HTTP/1.1\r\nHo")).startsWith("HTTP/1.1 408");
    // only the connection that sent something is logged
    assertThat(line(2)).contains("] nonull nonull/<NOSRV> ").contains(" cR-- ");
    assertThat(lines).hasSize(2);
  }

  @Test
  void logFormatChoosesTheFields() throws Exception {
    assertThat(get("custom", "/?q=1", null)).isEqualTo(200);

    assertThat(line(1)).matches("^127\\.0\\.0\\.1 custom app/s1 200 \"GET /\\?q=1 HTTP/1\\.1\" GET /\\?q=1 \\d+/\\d+ %$");
  }

  @Test
  void theFormatEngineReadsHaproxysVariables() {
    java.util.Map<String, String> v = java.util.Map.of("T", "x", "Tr", "12", "Ta", "40", "r", "GET / HTTP/1.1", "ci", "1.2.3.4");

    assertThat(AccessLog.format("%ci %Tr/%Ta %{+Q}r %% %zz end", v)).isEqualTo("1.2.3.4 12/40 \"GET / HTTP/1.1\" % - end");
  }

  @Test
  void aFrontendWithoutHttplogLogsNothing() throws Exception {
    assertThat(get("quiet", "/", null)).isEqualTo(200);
    assertThat(get("www", "/", null)).isEqualTo(200);

    assertThat(line(1)).contains(" www app/s1 ");
    assertThat(lines).hasSize(1);
  }
}
