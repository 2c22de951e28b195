package dev.balancer.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.balancer.core.AdminState;
import dev.balancer.webapp.WebApp;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Cookie persistence through the proxy, over real sockets. */
class StickyIT {

  private WebApp w1;
  private WebApp w2;
  private BalancerServer lb;
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void start() throws Exception {
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    w1 = WebApp.start("127.0.0.1", 0, "webapp1", quiet);
    w2 = WebApp.start("127.0.0.1", 0, "webapp2", quiet);
    lb = BalancerServer.start(TestConfigs.www("", "  cookie SRV insert indirect nocache httponly\n  server webapp1 127.0.0.1:%d cookie w1\n  server webapp2 127.0.0.1:%d cookie w2\n".formatted(w1.port(), w2.port())));
  }

  @AfterEach
  void stop() throws Exception {
    lb.close();
    w1.close();
    w2.close();
  }

  private HttpResponse<String> get(String cookie) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lb.port("www") + "/"));
    if (cookie != null) {
      b.header("Cookie", cookie);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String servedBy(HttpResponse<String> r) {
    return r.headers().firstValue("x-served-by").orElse("?");
  }

  @Test
  void theCookieSetOnTheFirstAnswerKeepsTheClientOnItsServer() throws Exception {
    HttpResponse<String> first = get(null);
    assertThat(first.headers().firstValue("set-cookie")).contains("SRV=w1; path=/; HttpOnly");

    for (int i = 0; i < 5; i++) {
      HttpResponse<String> r = get("SRV=w1");
      assertThat(servedBy(r)).isEqualTo("webapp1");
      assertThat(r.headers().firstValue("set-cookie")).isEmpty();
    }
  }

  @Test
  void drainKeepsStickyClientsWhileMaintenanceMovesThemWithANewCookie() throws Exception {
    lb.balancer().server("app", "webapp1").orElseThrow().setAdminState(AdminState.DRAIN);
    assertThat(servedBy(get("SRV=w1"))).isEqualTo("webapp1");
    assertThat(servedBy(get(null))).isEqualTo("webapp2");

    lb.balancer().server("app", "webapp1").orElseThrow().setAdminState(AdminState.MAINT);
    HttpResponse<String> moved = get("SRV=w1");
    assertThat(servedBy(moved)).isEqualTo("webapp2");
    assertThat(moved.headers().firstValue("set-cookie")).contains("SRV=w2; path=/; HttpOnly");
  }
}
