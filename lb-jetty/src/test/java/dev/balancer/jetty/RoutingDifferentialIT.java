package dev.balancer.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.balancer.config.ConfigLoader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code use_backend} rules and ACLs against the real HAProxy: the same config and the same raw
 * requests through HAProxy and through us, over real sockets; every request must reach the same
 * backend (or get the same status). The requests include HAProxy's traps: {@code hdr(host)} does
 * not match {@code host:80}, {@code path_beg} is case-sensitive unless {@code -i}, {@code hdr_dom}
 * matches a whole dotted word.
 */
class RoutingDifferentialIT {

  @TempDir
  Path dir;

  private final Map<String, HttpServer> backends = new LinkedHashMap<>();
  private Process haproxy;
  private BalancerServer ours;

  private static final String RULES = """
        acl is_admin path_beg /admin
        acl is_api path_beg -i /api/
        acl api_host hdr(host) -i api.example.com
        acl is_static path_end .css .js .png
        acl local src 127.0.0.0/8
        acl has_token url_param(token) -m found
        acl img path_reg ^/img/[0-9]+\\.jpg$
        acl docs path_dir docs
        acl example hdr_dom(host) example.org
        acl beta_cookie req.cook(beta) 1
        acl curl hdr_sub(user-agent) -i curl
        acl high_port dst_port 1024:65535
        acl v2 hdr_beg(x-version) v2
        acl two_forwards hdr_cnt(x-forwarded-for) gt 1
        acl json hdr(accept) -m sub json
        use_backend admin if is_admin local
        use_backend api if is_api || api_host
        use_backend static if is_static !METH_POST
        use_backend static if img
        use_backend api if v2 METH_GET
        use_backend beta if beta_cookie
        use_backend beta if has_token docs
        use_backend beta if example curl
        use_backend api if HTTP_1.0
        use_backend beta if two_forwards
        use_backend static if { path_sub -i /assets/ } high_port
        use_backend api if json
        use_backend admin unless { method GET HEAD POST PUT DELETE }
        default_backend web
      """;

  /** Raw requests, each sent alone on a new connection. */
  private static final List<String> REQUESTS = List.of(
      "GET /admin/x HTTP/1.1\r\nHost: a\r\n",
      "GET /Admin HTTP/1.1\r\nHost: a\r\n",
      "GET /API/v1 HTTP/1.1\r\nHost: a\r\n",
      "GET / HTTP/1.1\r\nHost: api.example.com\r\n",
      "GET / HTTP/1.1\r\nHost: API.Example.COM\r\n",
      "GET / HTTP/1.1\r\nHost: api.example.com:80\r\n",
      "GET /site.css HTTP/1.1\r\nHost: a\r\n",
      "POST /site.css HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n",
      "GET /img/12.jpg HTTP/1.1\r\nHost: a\r\n",
      "GET /img/x.jpg HTTP/1.1\r\nHost: a\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX-Version: v2.1\r\n",
      "HEAD / HTTP/1.1\r\nHost: a\r\nX-Version: v2\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nX-Version: v2\r\nContent-Length: 0\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nCookie: beta=1\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nCookie: a=2; beta=1\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nCookie: beta=12\r\n",
      "GET /docs/index.html?token=abc HTTP/1.1\r\nHost: a\r\n",
      "GET /docs/index.html?a=1&token HTTP/1.1\r\nHost: a\r\n",
      "GET /docsx/index.html?token=abc HTTP/1.1\r\nHost: a\r\n",
      "GET / HTTP/1.1\r\nHost: www.example.org\r\nUser-Agent: curl/8.1\r\n",
      "GET / HTTP/1.1\r\nHost: example.org.evil\r\nUser-Agent: CURL\r\n",
      "GET / HTTP/1.1\r\nHost: notexample.org\r\nUser-Agent: curl\r\n",
      "GET /x HTTP/1.0\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.1.1.1, 2.2.2.2\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.1.1.1\r\n",
      "GET /x/Assets/app.js HTTP/1.1\r\nHost: a\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nAccept: text/html, application/json\r\n",
      "OPTIONS / HTTP/1.1\r\nHost: a\r\n",
      "GET /plain HTTP/1.1\r\nHost: a\r\n");

  @BeforeEach
  void start() throws IOException {
    Haproxy.requireHaproxy();
    for (String name : List.of("admin", "api", "static", "beta", "web")) {
      HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
      server.createContext("/", exchange -> {
        if (exchange.getRequestURI().getPath().startsWith("/slowserver")) {
          try {
            Thread.sleep(1500); // the backend is slow on purpose: the proxy's timeout server is shorter
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        exchange.getResponseHeaders().add("X-Server", name);
        exchange.getResponseHeaders().add("X-Drop", "1");
        exchange.getResponseHeaders().add("X-Keep", "1");
        StringBuilder seen = new StringBuilder(exchange.getRequestMethod() + " " + exchange.getRequestURI() + "\n");
        // every header the server got, by lowercase name, hop-by-hop ones aside (we remove them, HAProxy passes some)
        new java.util.TreeMap<>(exchange.getRequestHeaders()).forEach((header, values) -> {
          String n = header.toLowerCase();
          if (!List.of("connection", "keep-alive", "te", "trailer", "upgrade", "proxy-authorization",
              "proxy-authenticate", "proxy-connection", "x-hop").contains(n)) {
            seen.append(n).append('=').append(values).append('\n');
          }
        });
        byte[] requestBody = exchange.getRequestBody().readAllBytes();
        seen.append("body=").append(new String(requestBody, StandardCharsets.ISO_8859_1)).append('\n');
        byte[] body = seen.toString().getBytes(StandardCharsets.ISO_8859_1);
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
      });
      server.start();
      backends.put(name, server);
    }
  }

  @AfterEach
  void stop() throws Exception {
    if (haproxy != null) {
      haproxy.destroy();
      haproxy.waitFor();
    }
    if (ours != null) {
      ours.close();
    }
    backends.values().forEach(b -> b.stop(0));
  }

  /** The same rules in HAProxy and in our balancer, each on a free port; returns {haproxy's, ours}. */
  private int[] startBoth(String rules) throws Exception {
    int port = Haproxy.freePort();
    Path cfg = dir.resolve("haproxy.cfg");
    Files.writeString(cfg, config(port, rules));
    haproxy = new ProcessBuilder("haproxy", "-db", "-f", cfg.toString()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("haproxy.log").toFile()).start();
    Haproxy.awaitListening(haproxy, port, dir.resolve("haproxy.log"));
    int ourPort = Haproxy.freePort();
    ours = BalancerServer.start(ConfigLoader.parse("test.cfg", config(ourPort, rules)).orThrow());
    return new int[] {port, ourPort};
  }

  private String config(int port, String rules) {
    StringBuilder b = new StringBuilder("""
        defaults
          mode http
          timeout connect 1s
          timeout client 5s
          timeout server 5s
        frontend www
          bind 127.0.0.1:%d
        """.formatted(port)).append(rules);
    backends.forEach((name, server) -> b.append("backend ").append(name).append("\n  server ").append(name)
        .append(" 127.0.0.1:").append(server.getAddress().getPort()).append('\n'));
    return b.toString();
  }

  @Test
  void everyRequestReachesTheBackendHaproxyChooses() throws Exception {
    int[] ports = startBoth(RULES);
    int port = ports[0];
    int ourPort = ports[1];

    List<String> theirs = new ArrayList<>();
    List<String> mine = new ArrayList<>();
    for (String r : REQUESTS) {
      theirs.add(r.lines().findFirst().orElseThrow() + " -> " + send(port, r));
      mine.add(r.lines().findFirst().orElseThrow() + " -> " + send(ourPort, r));
    }

    assertThat(mine).containsExactlyElementsOf(theirs);
    // the test means something only if the rules sent requests to every backend
    assertThat(String.join("\n", theirs)).contains("admin", "api", "static", "beta", "web");
  }

  private static final String HTTP_RULES = """
        option forwardfor except 10.0.0.0/8
        acl tagged req.hdr(x-tag) -m found
        http-request deny if { path_beg /deny }
        http-request deny deny_status 429 if { path_beg /slow }
        http-request return status 201 content-type text/plain string "created\\n" hdr X-A b if { path_beg /ret }
        http-request return if { path_beg /empty }
        http-request return content-type text/plain lf-string "you are %[src] on %[req.hdr(host),lower]" if { path /lf }
        http-request redirect location /new code 301 if { path_beg /old }
        http-request redirect prefix /v2 if { path_beg /p/ }
        http-request redirect scheme https if { path_beg /s/ }
        http-request redirect location /q drop-query if { path_beg /q1 }
        http-request set-header X-Set first
        http-request set-header X-Set second if { path_beg /twice }
        http-request add-header X-Add "a b"
        http-request add-header X-Add again if { path_beg /twice }
        http-request set-header X-Client %[src]
        http-request del-header User-Agent if { path_beg /anon }
        http-request set-header X-Tag seen if tagged
        http-request allow if { path_beg /allowed }
        http-request deny if { path_beg /allowed/but }
        http-response set-header X-Resp 1
        http-response del-header X-Drop
        http-response add-header X-Tagged yes if tagged
        default_backend web
      """;

  @Test
  void httpRulesAnswerAndRewriteAsHaproxyDoes() throws Exception {
    int[] ports = startBoth(HTTP_RULES);
    int port = ports[0];
    int ourPort = ports[1];
    List<String> requests = List.of(
        "GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: t/1\r\n",
        "GET /deny HTTP/1.1\r\nHost: a\r\n",
        "GET /slow HTTP/1.1\r\nHost: a\r\n",
        "GET /ret HTTP/1.1\r\nHost: a\r\n",
        "GET /empty HTTP/1.1\r\nHost: a\r\n",
        "GET /lf HTTP/1.1\r\nHost: WWW.Example.COM\r\n",
        "GET /old?x=1 HTTP/1.1\r\nHost: a\r\n",
        "GET /p/x?y=1 HTTP/1.1\r\nHost: a\r\n",
        "GET /s/z?k=v HTTP/1.1\r\nHost: example.com\r\n",
        "GET /q1?drop=1 HTTP/1.1\r\nHost: a\r\n",
        "GET /twice HTTP/1.1\r\nHost: a\r\nX-Set: client\r\nX-Add: client\r\n",
        "GET /anon HTTP/1.1\r\nHost: a\r\nUser-Agent: secret\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Tag: 1\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 9.9.9.9\r\n",
        "GET /allowed/but HTTP/1.1\r\nHost: a\r\n",
        "GET /deny/again HTTP/1.1\r\nHost: a\r\nX-Tag: 1\r\n");

    for (String r : requests) {
      assertThat(full(ourPort, r)).as(r).isEqualTo(full(port, r));
    }
  }

  @Test
  void theServerGetsTheSameRequestAsFromHaproxy() throws Exception {
    String rules = "  default_backend web\n";
    int[] ports = startBoth(rules);
    int port = ports[0];
    int ourPort = ports[1];
    List<String> requests = List.of(
        "GET /a?b=c&d HTTP/1.1\r\nHost: Example.COM:8080\r\nUser-Agent: ua/1\r\nAccept: */*\r\n",
        "POST /form HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\nx=1&y=2",
        "PUT /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Multi: one\r\nX-Multi: two\r\nx-lower: v\r\nX-Empty:\r\nCookie: a=1; b=2\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic dTpw\r\nAccept-Encoding: gzip, br\r\nX-Forwarded-For: 10.1.1.1\r\n",
        "DELETE /item/7 HTTP/1.1\r\nHost: a\r\n",
        "GET /%7Euser/a%20b HTTP/1.1\r\nHost: a\r\n",
        // (an HTTP/1.0 request without Host reaches the server with Host: its address here,
        // which HTTP/1.1 requires, and without one from HAProxy: a known difference)
        "GET / HTTP/1.0\r\nHost: a\r\n");

    for (String r : requests) {
      String head = r.contains("\r\n\r\n") ? r.substring(0, r.indexOf("\r\n\r\n") + 2) : r;
      String body = r.contains("\r\n\r\n") ? r.substring(r.indexOf("\r\n\r\n") + 4) : "";
      String raw = head + "Connection: close\r\n\r\n" + body + (r.contains("chunked") ? "\r\n" : "");
      assertThat(fullRaw(ourPort, raw)).as(r).isEqualTo(fullRaw(port, raw));
    }
  }

  private static String fullRaw(int port, String raw) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      s.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
      String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      int split = response.indexOf("\r\n\r\n");
      return response.substring(0, response.indexOf("\r\n")).split(" ")[1] + "\n" + response.substring(split + 4);
    }
  }

  @Test
  void errorPagesAndErrorfilesAreHaproxys() throws Exception {
    Path page503 = dir.resolve("503.http");
    Files.writeString(page503, "HTTP/1.1 503 Service Unavailable\r\ncache-control: no-cache\r\ncontent-type: text/plain\r\n"
        + "x-custom: yes\r\n\r\nSorry, we are updating.\n");
    Path page403 = dir.resolve("403.http");
    Files.writeString(page403, "HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\nNot for you.\n");
    String rules = """
          errorfile 403 %s
          http-request deny if { path_beg /deny }
          use_backend gone if { path_beg /gone }
          use_backend slow if { path_beg /slowserver }
          default_backend web
        backend gone
          errorfile 503 %s
          server dead 127.0.0.1:9 disabled
        backend slow
          timeout server 500ms
          server s 127.0.0.1:%d
        """.formatted(page403, page503, backends.get("web").getAddress().getPort());
    int[] ports = startBoth(rules);
    int port = ports[0];
    int ourPort = ports[1];

    for (String path : List.of("/deny", "/gone", "/slowserver")) {
      String r = "GET " + path + " HTTP/1.1\r\nHost: a\r\n";
      // HAProxy sends an errorfile as written, here without content-length; we add one
      assertThat(full(ourPort, r).replaceAll("content-length:\\d+, ", "")).as(path)
          .isEqualTo(full(port, r).replaceAll("content-length:\\d+, ", ""));
    }
  }

  @Test
  void basicAuthAgainstAUserlistIsHaproxys() throws Exception {
    String hash = org.apache.commons.codec.digest.Crypt.crypt("pw", "$6$saltsalt");
    String rules = """
          acl ok http_auth(users)
          acl admins http_auth_group(users) admin
          http-request auth realm Private if { path_beg /private } !ok
          http-request auth if { path_beg /admin } !admins
          default_backend web
        userlist users
          group admin users bob
          user alice insecure-password secret
          user bob password %s
        """.formatted(hash);
    int[] ports = startBoth(rules);
    int port = ports[0];
    int ourPort = ports[1];
    StringBuilder seen = new StringBuilder();
    java.util.function.Function<String, String> basic = userPass -> "Authorization: Basic "
        + java.util.Base64.getEncoder().encodeToString(userPass.getBytes(StandardCharsets.UTF_8)) + "\r\n";

    for (String r : List.of(
        "GET /private HTTP/1.1\r\nHost: a\r\n",
        "GET /private HTTP/1.1\r\nHost: a\r\n" + basic.apply("alice:secret"),
        "GET /private HTTP/1.1\r\nHost: a\r\n" + basic.apply("alice:wrong"),
        "GET /private HTTP/1.1\r\nHost: a\r\n" + basic.apply("bob:pw"),
        "GET /private HTTP/1.1\r\nHost: a\r\n" + basic.apply("bob:pwx"),
        "GET /private HTTP/1.1\r\nHost: a\r\n" + basic.apply("mallory:secret"),
        "GET /private HTTP/1.1\r\nHost: a\r\nAuthorization: Basic !!!\r\n",
        "GET /admin HTTP/1.1\r\nHost: a\r\n" + basic.apply("alice:secret"),
        "GET /admin HTTP/1.1\r\nHost: a\r\n" + basic.apply("bob:pw"))) {
      String theirs = fullWithAuth(port, r);
      seen.append(theirs);
      assertThat(fullWithAuth(ourPort, r)).as(r).isEqualTo(theirs);
    }
    // both challenges and both ways in were exercised
    assertThat(seen.toString()).contains("401 ", "basic realm=\"private\"", "basic realm=\"www\"", "200 ");
  }

  private static String fullWithAuth(int port, String head) throws IOException {
    String answer = full(port, head);
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      s.getOutputStream().write((head + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      String challenge = response.lines().filter(l -> l.toLowerCase().startsWith("www-authenticate:")).findFirst().orElse("-");
      return answer + challenge.toLowerCase().replace("www-authenticate:", "").trim();
    }
  }

  /** Status, the headers rules touch and the body of one raw request's answer. */
  @Test
  void rejectClosesAndTarpitHoldsAsHaproxyDoes() throws Exception {
    int[] ports = startBoth("""
          timeout tarpit 400ms
          http-request reject if { path_beg /reject }
          http-request tarpit if { path_beg /tarpit }
          http-request tarpit deny_status 429 if { path_beg /slowly }
          default_backend web
        """);
    for (int port : ports) {
      // reject: the connection closes, not one byte of an answer
      assertThat(raw(port, "GET /reject HTTP/1.1\r\nHost: a\r\n")).as("reject on " + port).isEmpty();
      // tarpit: held for 'timeout tarpit', then HAProxy's 500 page (or deny_status)
      long start = System.nanoTime();
      String tarpit = full(port, "GET /tarpit HTTP/1.1\r\nHost: a\r\n");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).as("tarpit on " + port).isGreaterThanOrEqualTo(Duration.ofMillis(400));
      assertThat(tarpit).startsWith("500 ");
      assertThat(full(port, "GET /slowly HTTP/1.1\r\nHost: a\r\n")).startsWith("429 ");
      // everything else passes without delay
      assertThat(full(port, "GET /ok HTTP/1.1\r\nHost: a\r\n")).startsWith("200 ");
    }
    assertThat(full(ports[1], "GET /tarpit HTTP/1.1\r\nHost: a\r\n")).isEqualTo(full(ports[0], "GET /tarpit HTTP/1.1\r\nHost: a\r\n"));
  }

  /** Everything the proxy sends back to one request, until it closes (empty when it answers nothing). */
  private static String raw(int port, String head) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      s.getOutputStream().write((head + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
      try {
        s.getInputStream().transferTo(got);
      } catch (java.net.SocketException reset) {
        // a reset instead of a close: still no answer
      }
      return got.toString(StandardCharsets.ISO_8859_1);
    }
  }

  private static String full(int port, String head) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      s.getOutputStream().write((head + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      int split = response.indexOf("\r\n\r\n");
      String[] lines = response.substring(0, split).split("\r\n");
      StringBuilder b = new StringBuilder(lines[0].split(" ")[1]);
      List<String> kept = new ArrayList<>();
      for (int i = 1; i < lines.length; i++) {
        String name = lines[i].substring(0, lines[i].indexOf(':')).toLowerCase();
        if (List.of("location", "content-type", "cache-control", "x-a", "x-resp", "x-drop", "x-keep", "x-tagged",
            "content-length", "x-server", "x-custom").contains(name)) {
          kept.add(name + ":" + lines[i].substring(lines[i].indexOf(':') + 1).trim());
        }
      }
      java.util.Collections.sort(kept);
      return b.append(' ').append(kept).append('\n').append(response.substring(split + 4)).toString();
    }
  }

  /** Sends one raw request; returns the status and the backend that answered. */
  static String send(int port, String head) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      s.getOutputStream().write((head + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = s.getInputStream();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[4096];
      int n;
      while ((n = in.read(buf)) > 0) {
        out.write(buf, 0, n);
        if (out.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
          break;
        }
      }
      String response = out.toString(StandardCharsets.ISO_8859_1);
      String status = response.isEmpty() ? "<closed>" : response.substring(0, response.indexOf("\r\n")).split(" ")[1];
      String server = response.lines().filter(l -> l.toLowerCase().startsWith("x-server:")).map(l -> l.substring(9).trim())
          .findFirst().orElse("-");
      return status + " " + server;
    }
  }
}
