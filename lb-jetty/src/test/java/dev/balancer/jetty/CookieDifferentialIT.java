package dev.balancer.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.balancer.config.ConfigLoader;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Cookie persistence against the real HAProxy: the same config and the same requests through
 * HAProxy and through us, over real sockets; the client must get the same {@code Set-Cookie}
 * headers, and the server must see the same {@code Cookie} header, from the same server. The
 * backends set the cookies a request asks for ({@code ?sc=...}) and echo the cookies they see.
 * Cookie dates ({@code maxidle}/{@code maxlife}) are compared by shape; their values are checked
 * with a manual clock in lb-core's PersistenceTest.
 */
class CookieDifferentialIT {

  @TempDir
  Path dir;

  private final List<HttpServer> backends = new ArrayList<>();
  private Process haproxy;
  private BalancerServer ours;
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /** Each request: the Cookie header sent ("-" for none) and the Set-Cookies the backend answers with. */
  private static final List<String[]> REQUESTS = List.of(
      new String[] {"-"},
      new String[] {"-", "SRV=zzz; Path=/x"},
      new String[] {"-", "X=1"},
      new String[] {"SRV=c2", "SRV=zzz"},
      new String[] {"a=1; SRV=c2; b=2"},
      new String[] {"a=1; SRV=c2~abc; b=2", "SRV=new"},
      new String[] {"SRV=zz~abc"},
      new String[] {"SRV=abc", "SRV=abc; Path=/", "SRV=def"},
      new String[] {"SRV=c1", "SRV=zzz", "Y=2"},
      new String[] {"SRV=nope"},
      new String[] {"SRV=c2|{10 minutes ago}|{10 minutes ago}"},
      new String[] {"SRV=c1|{2 hours ago}|{2 hours ago}"},
      new String[] {"SRV=c2|AAAAA|AAAAA"},
      new String[] {"SRV=c2"});

  @BeforeEach
  void backends() throws IOException {
    Haproxy.requireHaproxy();
    for (String name : List.of("s1", "s2")) {
      HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
      server.createContext("/", exchange -> {
        String query = exchange.getRequestURI().getRawQuery();
        if (query != null) {
          for (String p : query.split("&")) {
            if (p.startsWith("sc=")) {
              exchange.getResponseHeaders().add("Set-Cookie", URLDecoder.decode(p.substring(3), StandardCharsets.UTF_8));
            }
          }
        }
        exchange.getResponseHeaders().add("X-Server", name);
        exchange.getResponseHeaders().add("X-Cookie-Seen", String.valueOf(exchange.getRequestHeaders().get("Cookie")));
        // header values pass byte for byte: spaces after ';', commas inside a date
        exchange.getResponseHeaders().add("X-Params", "a=1; b=2, c=\"x; y\"");
        exchange.getResponseHeaders().add("Set-Cookie", "T=1; Expires=Thu, 01-Jan-2037 00:00:00 GMT; Path=/");
        exchange.sendResponseHeaders(200, -1);
        exchange.close();
      });
      server.start();
      backends.add(server);
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
    backends.forEach(b -> b.stop(0));
  }

  private String config(String cookieLine, int port) {
    return """
        defaults
          mode http
          timeout connect 1s
          timeout client 5s
          timeout server 5s
        frontend www
          bind 127.0.0.1:%d
          default_backend app
        backend app
          %s
          server s1 127.0.0.1:%d cookie c1
          server s2 127.0.0.1:%d cookie c2
        """.formatted(port, cookieLine, backends.get(0).getAddress().getPort(), backends.get(1).getAddress().getPort());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "cookie SRV insert",
      "cookie SRV insert indirect nocache httponly secure domain .example.com attr SameSite=Lax",
      "cookie SRV insert preserve",
      "cookie SRV insert indirect preserve",
      "cookie SRV insert postonly",
      "cookie SRV insert maxidle 1h maxlife 1d",
      "cookie SRV insert indirect maxidle 1h",
      "cookie SRV rewrite",
      "cookie SRV prefix",
      "cookie SRV prefix indirect"})
  void theSameRequestsGetTheSameCookiesAsFromHaproxy(String cookieLine) throws Exception {
    int haproxyPort = Haproxy.freePort();
    Path cfg = dir.resolve("haproxy.cfg");
    Files.writeString(cfg, config(cookieLine, haproxyPort));
    haproxy = new ProcessBuilder("haproxy", "-db", "-f", cfg.toString()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("haproxy.log").toFile()).start();
    Haproxy.awaitListening(haproxy, haproxyPort, dir.resolve("haproxy.log"));
    ours = BalancerServer.start(ConfigLoader.parse("test.cfg", config(cookieLine, 0)).orThrow());

    List<String> theirs = play(haproxyPort);
    List<String> mine = play(ours.port("www"));

    assertThat(mine).containsExactlyElementsOf(theirs);
  }

  /** The requests in order; for each, who answered, the Set-Cookies the client got and the Cookie the server saw. */
  private List<String> play(int port) throws Exception {
    List<String> seen = new ArrayList<>();
    for (String[] r : REQUESTS) {
      StringBuilder q = new StringBuilder("/?x=1");
      for (int i = 1; i < r.length; i++) {
        q.append("&sc=").append(java.net.URLEncoder.encode(r[i], StandardCharsets.UTF_8));
      }
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + q));
      if (!r[0].equals("-")) {
        long now = System.currentTimeMillis() / 1000;
        b.header("Cookie", r[0].replace("{10 minutes ago}", date(now - 600)).replace("{2 hours ago}", date(now - 7200)));
      }
      HttpResponse<Void> resp = client.send(b.build(), HttpResponse.BodyHandlers.discarding());
      seen.add(String.join(" ", r) + " -> " + resp.statusCode() + " " + resp.headers().firstValue("x-server").orElse("?")
          + " set-cookie=" + undated(resp.headers().allValues("set-cookie").toString())
          + " cache-control=" + resp.headers().allValues("cache-control")
          + " x-params=" + resp.headers().allValues("x-params")
          + " server-saw=" + undated(resp.headers().firstValue("x-cookie-seen").orElse("?")));
    }
    return seen;
  }

  /** Cookie dates as {@code |D}, so that the two runs compare a second apart. */
  private static String undated(String s) {
    return s.replaceAll("\\|[A-Za-z0-9+/]{5}(?=[|;\\],]|$)", "|D");
  }

  /** HAProxy's cookie date: seconds / 4, rounded up, in 5 base64 characters. */
  private static String date(long epochSeconds) {
    String b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    long v = (epochSeconds + 3) >> 2;
    char[] out = new char[5];
    for (int i = 4; i >= 0; i--) {
      out[i] = b64.charAt((int) (v & 63));
      v >>= 6;
    }
    return new String(out);
  }

}
