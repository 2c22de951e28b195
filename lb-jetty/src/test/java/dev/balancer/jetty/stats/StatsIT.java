package dev.balancer.jetty.stats;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.balancer.jetty.StandaloneBalancer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stats page, its CSV/JSON, the page's admin form and the JSON admin API, over real sockets
 * against a standalone balancer reading a file: what an operator and a script see and can do.
 */
class StatsIT {
  /** The port of a server that refuses every connection. */
  private final java.net.Socket refusing = dev.balancer.jetty.TestSockets.refusing();


  static final String AUTH = "Basic " + Base64.getEncoder().encodeToString("admin:secret".getBytes(StandardCharsets.UTF_8));

  @TempDir
  Path dir;

  final List<HttpServer> backends = new ArrayList<>();
  final CountDownLatch release = new CountDownLatch(1);
  int deadPort;
  Path cfg;
  StandaloneBalancer lb;
  final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void start() throws Exception {
    for (int i = 0; i < 3; i++) {
      HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
      s.createContext("/", ex -> {
        if (ex.getRequestURI().getPath().equals("/slow")) {
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
        ex.close();
      });
      s.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
      s.start();
      backends.add(s);
    }
    deadPort = refusing.getLocalPort();
    cfg = dir.resolve("haproxy.cfg");
    Files.writeString(cfg, config(""));
    lb = StandaloneBalancer.start(List.of(cfg), Duration.ofHours(1));
  }

  @AfterEach
  void stop() throws Exception {
    release.countDown();
    lb.close();
    backends.forEach(b -> b.stop(0));
    refusing.close();
  }

  String config(String web2Extra) {
    return """
        defaults
          mode http
          timeout connect 1s
          timeout client 5s
          timeout server 5s
        frontend www
          bind 127.0.0.1:0
          timeout tarpit 100ms
          http-request deny if { path_beg /deny }
          http-request deny deny_status 429 if { path_beg /d429 }
          http-request tarpit if { path_beg /tarpit }
          http-request reject if { path_beg /reject }
          http-request auth if { path_beg /auth }
          default_backend app
        backend app
          balance roundrobin
          server web1 127.0.0.1:%d
          server web2 127.0.0.1:%d %s
        backend slowpool
          server slow1 127.0.0.1:%d
        backend down
          server dead 127.0.0.1:%d check inter 200ms
        frontend flaky
          bind 127.0.0.1:0
          default_backend flakypool
        backend flakypool
          server gone 127.0.0.1:%5$d
          server live 127.0.0.1:%1$d
        listen stats
          bind 127.0.0.1:0
          stats enable
          stats uri /stats
          stats refresh 5s
          stats auth admin:secret
          stats admin if TRUE
        listen readonly
          bind 127.0.0.1:0
          stats enable
          stats uri /
          stats auth viewer:view
        userlist admins
          user ops insecure-password opspw
        listen ops
          bind 127.0.0.1:0
          http-request auth realm ops unless { http_auth(admins) }
          stats enable
          stats uri /
          stats admin if TRUE
        """.formatted(backends.get(0).getAddress().getPort(), backends.get(1).getAddress().getPort(), web2Extra,
        backends.get(2).getAddress().getPort(), deadPort);
  }

  String url(String proxy, String path) {
    return "http://127.0.0.1:" + lb.server().port(proxy) + path;
  }

  HttpResponse<String> get(String url, String auth) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
    if (auth != null) {
      b.header("Authorization", auth);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> send(String method, String url, String auth, String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).method(method,
        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (auth != null) {
      b.header("Authorization", auth);
    }
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The CSV line of {@code pxname,svname} as a map of column to cell. */
  java.util.Map<String, String> csv(String proxy, String service) throws Exception {
    String text = get(url("stats", "/stats;csv"), AUTH).body();
    String[] lines = text.split("\n");
    String[] header = lines[0].substring(2).split(",", -1);
    for (int i = 1; i < lines.length; i++) {
      String[] cells = lines[i].split(",", -1);
      if (cells[0].equals(proxy) && cells[1].equals(service)) {
        java.util.Map<String, String> m = new java.util.HashMap<>();
        for (int c = 0; c < header.length && c < cells.length; c++) {
          m.put(header[c], cells[c]);
        }
        return m;
      }
    }
    throw new AssertionError("no line " + proxy + "," + service + " in\n" + text);
  }

  @Test
  void csvCountsEveryRequestOnItsFrontendBackendAndServer() throws Exception {
    for (int i = 0; i < 4; i++) {
      assertThat(get(url("www", "/page"), null).statusCode()).isEqualTo(200);
    }
    // counters are updated as each exchange ends: wait for the last one to be logged
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> csv("www", "FRONTEND").get("req_tot").equals("4"));
    var fe = csv("www", "FRONTEND");
    assertThat(fe).containsEntry("stot", "4").containsEntry("hrsp_2xx", "4").containsEntry("status", "OPEN")
        .containsEntry("type", "0").containsEntry("scur", "0");
    assertThat(Long.parseLong(fe.get("bin"))).isPositive();
    assertThat(Long.parseLong(fe.get("bout"))).isGreaterThan(4 * 2);
    var be = csv("app", "BACKEND");
    assertThat(be).containsEntry("stot", "4").containsEntry("hrsp_2xx", "4").containsEntry("status", "UP")
        .containsEntry("act", "2").containsEntry("weight", "2").containsEntry("algo", "roundrobin").containsEntry("type", "1");
    assertThat(csv("app", "web1")).containsEntry("stot", "2").containsEntry("hrsp_2xx", "2").containsEntry("status", "no check")
        .containsEntry("type", "2").containsEntry("sid", "1");
    assertThat(csv("app", "web2")).containsEntry("stot", "2").containsEntry("lbtot", "2");
    // a checked server that refuses: DOWN, with its check result
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> csv("down", "dead").get("status").equals("DOWN"));
    assertThat(csv("down", "dead")).containsEntry("check_status", "L4CON").containsEntry("last_chk", "Connection refused")
        .containsEntry("chkdown", "1");
    assertThat(csv("down", "BACKEND")).containsEntry("status", "DOWN");
  }

  @Test
  void deniedRequestsAreCountedAsHaproxyCountsThem() throws Exception {
    // checked on HAProxy 2.6.12: dreq counts deny (any deny_status), tarpit and reject, not auth
    assertThat(get(url("www", "/deny"), null).statusCode()).isEqualTo(403);
    assertThat(get(url("www", "/d429"), null).statusCode()).isEqualTo(429);
    assertThat(get(url("www", "/tarpit"), null).statusCode()).isEqualTo(500);
    // a raw socket: Java's HttpClient would send a GET again on a closed connection
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", lb.server().port("www"))) {
      s.setSoTimeout(5000);
      s.getOutputStream().write("GET /reject HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      assertThat(s.getInputStream().readAllBytes()).isEmpty();
    }
    assertThat(get(url("www", "/auth"), null).statusCode()).isEqualTo(401);
    assertThat(get(url("www", "/page"), null).statusCode()).isEqualTo(200);
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> csv("www", "FRONTEND").get("req_tot").equals("6"));
    // and as HAProxy counts the reject's missing answer: status -1, an "other"
    assertThat(csv("www", "FRONTEND")).containsEntry("dreq", "4").containsEntry("hrsp_other", "1")
        .containsEntry("hrsp_2xx", "1").containsEntry("hrsp_4xx", "3").containsEntry("hrsp_5xx", "1");
  }

  @Test
  void failedConnectionsRetriesAndRedispatchesAreCounted() throws Exception {
    for (int i = 0; i < 4; i++) {
      assertThat(get(url("flaky", "/"), null).statusCode()).isEqualTo(200);
    }
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> csv("flaky", "FRONTEND").get("req_tot").equals("4"));
    var gone = csv("flakypool", "gone");
    assertThat(Long.parseLong(gone.get("econ"))).isPositive();
    assertThat(gone.get("wretr")).isEqualTo(gone.get("econ"));
    assertThat(gone.get("wredis")).isEqualTo(gone.get("econ"));
    assertThat(gone).containsEntry("hrsp_2xx", "0");
    assertThat(csv("flakypool", "live")).containsEntry("hrsp_2xx", "4").containsEntry("econ", "0");
    var be = csv("flakypool", "BACKEND");
    assertThat(be).containsEntry("econ", gone.get("econ")).containsEntry("wretr", gone.get("econ")).containsEntry("hrsp_2xx", "4");
  }

  @Test
  void theCsvHeaderIsHaproxys() throws Exception {
    dev.balancer.jetty.Haproxy.requireHaproxy();
    int port = dev.balancer.jetty.Haproxy.freePort();
    Path theirs = dir.resolve("theirs.cfg");
    String text = config("").replace("bind 127.0.0.1:0\n  stats enable\n  stats uri /stats",
        "bind 127.0.0.1:" + port + "\n  stats enable\n  stats uri /stats");
    while (text.contains("bind 127.0.0.1:0\n")) {
      // HAProxy refuses port 0
      text = text.replaceFirst("bind 127.0.0.1:0\n", "bind 127.0.0.1:" + dev.balancer.jetty.Haproxy.freePort() + "\n");
    }
    Files.writeString(theirs, text);
    Process haproxy = new ProcessBuilder("haproxy", "-db", "-f", theirs.toString()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("haproxy.log").toFile()).start();
    try {
      dev.balancer.jetty.Haproxy.awaitListening(haproxy, port, dir.resolve("haproxy.log"));
      String[] haproxyCsv = get("http://127.0.0.1:" + port + "/stats;csv", AUTH).body().split("\n");
      String[] ourCsv = get(url("stats", "/stats;csv"), AUTH).body().split("\n");
      assertThat(ourCsv[0]).isEqualTo(haproxyCsv[0]);
      // the same lines, in the same order, of the same types
      List<String> theirRows = new ArrayList<>();
      List<String> ourRows = new ArrayList<>();
      for (int i = 1; i < haproxyCsv.length; i++) {
        String[] c = haproxyCsv[i].split(",", -1);
        theirRows.add(c[0] + "," + c[1] + " type " + c[32] + " cells " + c.length);
      }
      for (int i = 1; i < ourCsv.length; i++) {
        String[] c = ourCsv[i].split(",", -1);
        ourRows.add(c[0] + "," + c[1] + " type " + c[32] + " cells " + c.length);
      }
      assertThat(ourRows).isEqualTo(theirRows);
    } finally {
      haproxy.destroy();
      haproxy.waitFor();
    }
  }

  @Test
  void thePageNeedsTheCredentialsAndShowsEveryServer() throws Exception {
    HttpResponse<String> anonymous = get(url("stats", "/stats"), null);
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(anonymous.headers().firstValue("www-authenticate")).hasValue("Basic realm=\"HAProxy Statistics\"");
    String wrong = "Basic " + Base64.getEncoder().encodeToString("admin:nope".getBytes(StandardCharsets.UTF_8));
    assertThat(get(url("stats", "/stats"), wrong).statusCode()).isEqualTo(401);
    HttpResponse<String> page = get(url("stats", "/stats"), AUTH);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("refresh")).hasValue("5");
    assertThat(page.headers().firstValue("content-type").orElse("")).startsWith("text/html");
    assertThat(page.body()).contains("<h2>app</h2>", "web1", "web2", "slow1", "dead", "name=\"action\"", "value=\"drain\"");
    assertThat(get(url("stats", "/stats;norefresh"), AUTH).headers().firstValue("refresh")).isEmpty();
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> csv("down", "dead").get("status").equals("DOWN"));
    assertThat(get(url("stats", "/stats;up"), AUTH).body()).contains("web1").doesNotContain("data-server=\"dead\"");
    String json = get(url("stats", "/stats;json"), AUTH).body();
    Object parsed = new org.eclipse.jetty.util.ajax.JSON().fromJSON(json);
    assertThat(parsed).isInstanceOf(Object[].class);
    assertThat(json).contains("{\"objType\":\"Server\",\"proxyId\":3,\"id\":1,\"field\":{\"pos\":1,\"name\":\"svname\"}");
    // a page without 'stats admin': no form, and a post is refused
    String viewer = "Basic " + Base64.getEncoder().encodeToString("viewer:view".getBytes(StandardCharsets.UTF_8));
    assertThat(get(url("readonly", "/"), viewer).body()).contains("web1").doesNotContain("name=\"action\"");
    HttpResponse<String> denied = send("POST", url("readonly", "/"), viewer, "s=web1&action=maint&b=app",
        "content-type", "application/x-www-form-urlencoded");
    assertThat(denied.statusCode()).isEqualTo(303);
    assertThat(denied.headers().firstValue("location")).hasValue("/;st=DENY");
    assertThat(csv("app", "web1")).containsEntry("status", "no check");
  }

  @Test
  void thePageFormSetsServerStatesAsHaproxysDoes() throws Exception {
    HttpResponse<String> r = send("POST", url("stats", "/stats"), AUTH, "s=web1&s=web2&action=drain&b=app",
        "content-type", "application/x-www-form-urlencoded");
    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(r.headers().firstValue("location")).hasValue("/stats;st=DONE");
    assertThat(csv("app", "web1")).containsEntry("status", "DRAIN");
    assertThat(csv("app", "web2")).containsEntry("status", "DRAIN");
    assertThat(get(url("stats", "/stats;st=DONE"), AUTH).body()).contains("Action processed successfully.");
    // HAProxy's page names the backend by its id: #3 is 'app'
    send("POST", url("stats", "/stats"), AUTH, "s=web1&action=ready&b=%233", "content-type", "application/x-www-form-urlencoded");
    assertThat(csv("app", "web1")).containsEntry("status", "no check");
    send("POST", url("stats", "/stats"), AUTH, "s=web1&action=hdown&b=app", "content-type", "application/x-www-form-urlencoded");
    assertThat(csv("app", "web1")).containsEntry("status", "DOWN");
    // another site's page posting with the operator's browser: refused, nothing changes
    HttpResponse<String> csrf = send("POST", url("stats", "/stats"), AUTH, "s=web2&action=maint&b=app",
        "content-type", "application/x-www-form-urlencoded", "Origin", "http://evil.example");
    assertThat(csrf.headers().firstValue("location")).hasValue("/stats;st=DENY");
    assertThat(csv("app", "web2")).containsEntry("status", "DRAIN");
    // a forged token: refused
    HttpResponse<String> forged = send("POST", url("stats", "/stats"), AUTH, "s=web2&action=maint&b=app&token=forged",
        "content-type", "application/x-www-form-urlencoded");
    assertThat(forged.headers().firstValue("location")).hasValue("/stats;st=DENY");
    // no credentials: 401, nothing changes
    assertThat(send("POST", url("stats", "/stats"), null, "s=web2&action=maint&b=app").statusCode()).isEqualTo(401);
    assertThat(csv("app", "web2")).containsEntry("status", "DRAIN");
    // unknown action or server: ERRP
    assertThat(send("POST", url("stats", "/stats"), AUTH, "s=web2&action=explode&b=app").headers().firstValue("location"))
        .hasValue("/stats;st=ERRP");
  }

  @Test
  void theApiListsAndSteersServers() throws Exception {
    String api = url("stats", "/stats/api");
    HttpResponse<String> state = get(api + "/state", AUTH);
    assertThat(state.statusCode()).isEqualTo(200);
    assertThat(state.headers().firstValue("content-type").orElse("")).startsWith("application/json");
    assertThat(state.body()).contains("\"name\":\"www\"", "\"name\":\"web1\"", "\"adminState\":\"READY\"");

    assertThat(send("POST", api + "/servers/app/web1/state", AUTH, "{\"state\":\"drain\"}").body()).contains("\"state\":\"DRAIN\"");
    assertThat(csv("app", "web1")).containsEntry("status", "DRAIN");
    assertThat(send("POST", api + "/servers/app/web1/state", AUTH, "{\"state\":\"maint\"}").statusCode()).isEqualTo(200);
    assertThat(csv("app", "web1")).containsEntry("status", "MAINT");
    assertThat(send("POST", api + "/servers/app/web1/state", AUTH, "{\"state\":\"ready\"}").statusCode()).isEqualTo(200);
    assertThat(send("POST", api + "/servers/app/web1/health", AUTH, "{\"health\":\"down\"}").statusCode()).isEqualTo(200);
    assertThat(csv("app", "web1")).containsEntry("status", "DOWN");
    assertThat(send("POST", api + "/servers/app/web1/health", AUTH, "{\"health\":\"up\"}").statusCode()).isEqualTo(200);

    // weights: absolute, and a percentage of the initial weight (rounded down); 300 is refused
    assertThat(send("POST", api + "/servers/app/web2/weight", AUTH, "{\"weight\":7}").body()).contains("\"weight\":7");
    assertThat(send("POST", api + "/servers/app/web2/weight", AUTH, "{\"weight\":\"250%\"}").body()).contains("\"weight\":2");
    HttpResponse<String> tooHeavy = send("POST", api + "/servers/app/web2/weight", AUTH, "{\"weight\":300}");
    assertThat(tooHeavy.statusCode()).isEqualTo(400);
    assertThat(tooHeavy.body()).contains("Absolute weight can only be between 0 and 256 inclusive.");
    assertThat(csv("app", "web2")).containsEntry("weight", "2");

    // add: starts in MAINT; then READY takes traffic
    HttpResponse<String> added = send("PUT", api + "/servers/app/web3", AUTH,
        "{\"address\":\"127.0.0.1:" + backends.get(2).getAddress().getPort() + "\"}");
    assertThat(added.statusCode()).isEqualTo(201);
    assertThat(added.body()).contains("New server registered.", "\"state\":\"MAINT\"");
    assertThat(csv("app", "web3")).containsEntry("status", "MAINT");
    assertThat(send("PUT", api + "/servers/app/web3", AUTH, "{\"address\":\"127.0.0.1:1\"}").statusCode()).isEqualTo(400);
    send("POST", api + "/servers/app/web3/state", AUTH, "{\"state\":\"ready\"}");
    for (int i = 0; i < 12; i++) {
      get(url("www", "/"), null);
    }
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !csv("app", "web3").get("stot").equals("0"));

    // delete: refused unless in MAINT, refused with a request in flight
    HttpResponse<String> notMaint = send("DELETE", api + "/servers/app/web3", AUTH, null);
    assertThat(notMaint.statusCode()).isEqualTo(409);
    assertThat(notMaint.body()).contains("Only servers in maintenance mode can be deleted.");
    var inFlight = client.sendAsync(HttpRequest.newBuilder(URI.create(url("www", "/slow"))).build(), HttpResponse.BodyHandlers.ofString());
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !csv("app", "BACKEND").get("scur").equals("0"));
    String busy = csv("app", "web1").get("scur").equals("1") ? "web1" : csv("app", "web2").get("scur").equals("1") ? "web2" : "web3";
    send("POST", api + "/servers/app/" + busy + "/state", AUTH, "{\"state\":\"maint\"}");
    HttpResponse<String> stillBusy = send("DELETE", api + "/servers/app/" + busy, AUTH, null);
    assertThat(stillBusy.statusCode()).isEqualTo(409);
    assertThat(stillBusy.body()).contains("Server still has connections attached to it, cannot remove it.");
    release.countDown();
    assertThat(inFlight.get().statusCode()).isEqualTo(200);
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> send("DELETE", api + "/servers/app/" + busy, AUTH, null).statusCode() == 200);
    assertThat(get(url("stats", "/stats;csv"), AUTH).body()).doesNotContain("app," + busy + ",");

    // refusals: no or bad credentials, wrong verb, unknown server, not JSON
    assertThat(get(api + "/state", null).statusCode()).isEqualTo(401);
    String wrong = "Basic " + Base64.getEncoder().encodeToString("admin:guess".getBytes(StandardCharsets.UTF_8));
    assertThat(send("POST", api + "/servers/app/web2/state", wrong, "{\"state\":\"maint\"}").statusCode()).isEqualTo(401);
    assertThat(get(api + "/servers/app/web2/state", AUTH).statusCode()).isEqualTo(405);
    assertThat(send("POST", api + "/servers/app/nope/state", AUTH, "{\"state\":\"maint\"}").statusCode()).isEqualTo(404);
    assertThat(send("POST", api + "/servers/app/web2/state", AUTH, "maint").statusCode()).isEqualTo(400);
    assertThat(send("POST", api + "/servers/app/web2/state", AUTH, "{\"state\":\"maint\"}", "Origin", "http://evil.example").statusCode())
        .isEqualTo(403);
    // where 'stats admin' is absent the API does not exist for anyone
    String viewer = "Basic " + Base64.getEncoder().encodeToString("viewer:view".getBytes(StandardCharsets.UTF_8));
    assertThat(get(url("readonly", "/api/state"), viewer).statusCode()).isEqualTo(403);
  }

  @Test
  void credentialsCanComeFromAUserlist() throws Exception {
    assertThat(get(url("ops", "/api/state"), null).statusCode()).isEqualTo(401);
    String ops = "Basic " + Base64.getEncoder().encodeToString("ops:opspw".getBytes(StandardCharsets.UTF_8));
    assertThat(get(url("ops", "/api/state"), ops).statusCode()).isEqualTo(200);
    assertThat(send("POST", url("ops", "/api/servers/app/web2/state"), ops, "{\"state\":\"drain\"}").statusCode()).isEqualTo(200);
    assertThat(csv("app", "web2")).containsEntry("status", "DRAIN");
  }

  @Test
  void reloadsRunFromTheApiAndRuntimeChangesSurviveThem() throws Exception {
    String api = url("stats", "/stats/api");
    send("POST", api + "/servers/app/web2/state", AUTH, "{\"state\":\"drain\"}");
    send("POST", api + "/servers/app/web1/weight", AUTH, "{\"weight\":5}");
    send("PUT", api + "/servers/app/web9", AUTH, "{\"address\":\"127.0.0.1:" + backends.get(2).getAddress().getPort() + "\"}");
    Files.writeString(cfg, config("") + "# touched\n");
    HttpResponse<String> reload = send("POST", api + "/reload", AUTH, null);
    assertThat(reload.statusCode()).isEqualTo(200);
    assertThat(reload.body()).contains("\"applied\":true");
    // the file did not change these servers: the runtime changes stay
    assertThat(csv("app", "web2")).containsEntry("status", "DRAIN");
    assertThat(csv("app", "web1")).containsEntry("weight", "5");
    assertThat(csv("app", "web9")).containsEntry("status", "MAINT");
    // the file changes web2: the file wins
    Files.writeString(cfg, config("disabled"));
    assertThat(send("POST", api + "/reload", AUTH, null).body()).contains("\"applied\":true");
    assertThat(csv("app", "web2")).containsEntry("status", "MAINT");
    // a broken file: 422 with file:line, the old configuration serves on; GET shows the last result
    Files.writeString(cfg, config("wieght 3"));
    HttpResponse<String> broken = send("POST", api + "/reload", AUTH, null);
    assertThat(broken.statusCode()).isEqualTo(422);
    assertThat(broken.body()).contains("\"applied\":false", "haproxy.cfg:18");
    String last = get(api + "/reload", AUTH).body();
    assertThat(last).contains("\"applied\":false", "haproxy.cfg:18");
    // counted: by this call, and perhaps once more by the file watcher, which saw the same change
    java.util.regex.Matcher failed = java.util.regex.Pattern.compile("\"failed\":(\\d+)").matcher(last);
    assertThat(failed.find()).isTrue();
    assertThat(Integer.parseInt(failed.group(1))).isBetween(1, 2);
    assertThat(get(url("www", "/"), null).statusCode()).isEqualTo(200);
    assertThat(get(url("stats", "/stats"), AUTH).body()).contains("The last reload", "was rejected");
  }
}
