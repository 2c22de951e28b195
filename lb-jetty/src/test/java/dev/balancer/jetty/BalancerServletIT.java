package dev.balancer.jetty;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.balancer.config.ConfigLoader;
import dev.balancer.core.Balancer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The servlet embedded in a plain Jetty server, as a Java service would use it. */
class BalancerServletIT {

  private WireMockServer backend;
  private Server jetty;
  private ServerConnector connector;
  private Balancer balancer;
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void start() throws Exception {
    backend = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    backend.start();
    backend.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("hello")));
    balancer = Balancer.create(ConfigLoader.parse("embedded.cfg", """
        backend app
          mode http
          server wm 127.0.0.1:%d
        backend empty
          mode http
          server off 127.0.0.1:%d disabled
        """.formatted(backend.port(), backend.port())).orThrow());
    jetty = new Server();
    connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    jetty.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler("/");
    ServletHolder app = new ServletHolder(BalancerServlet.forBackend(balancer, "app"));
    app.setAsyncSupported(true);
    context.addServlet(app, "/app/*");
    ServletHolder empty = new ServletHolder(BalancerServlet.forBackend(balancer, "empty"));
    empty.setAsyncSupported(true);
    context.addServlet(empty, "/empty/*");
    jetty.setHandler(context);
    jetty.start();
  }

  @AfterEach
  void stop() throws Exception {
    jetty.stop();
    backend.stop();
  }

  private HttpResponse<String> get(String pathAndQuery) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + connector.getLocalPort() + pathAndQuery));
    return client.send(b.header("X-Custom", "kept").build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void forwardsUriQueryAndHeadersAsTheClientSentThemAddingNoProxyHeaders() throws Exception {
    HttpResponse<String> r = get("/app/a%20b?x=1&y=%2F");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("hello");
    backend.verify(getRequestedFor(urlEqualTo("/app/a%20b?x=1&y=%2F"))
        .withHeader("X-Custom", equalTo("kept"))
        .withHeader("Host", equalTo("127.0.0.1:" + connector.getLocalPort()))
        .withHeader("X-Forwarded-For", absent())
        .withHeader("Via", absent()));
    // the lease is released on the client library's thread once the exchange completes
    await().atMost(Duration.ofSeconds(2)).until(() -> balancer.server("app", "wm").orElseThrow().inFlight() == 0);
    assertThat(balancer.server("app", "wm").orElseThrow().totalRequests()).isEqualTo(1);
  }

  @Test
  void requestTheClientLibraryRefusesStillReleasesItsServer() throws Exception {
    // Jetty's server accepts '|' in a query, java.net.URI (used by the proxy's client) does not
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", connector.getLocalPort())) {
      s.getOutputStream().write("GET /app/x?f=a|b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
          .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      s.getInputStream().readAllBytes();
    }

    await().atMost(Duration.ofSeconds(2)).until(() -> balancer.server("app", "wm").orElseThrow().totalRequests() == 1);
    await().atMost(Duration.ofSeconds(2)).until(() -> balancer.server("app", "wm").orElseThrow().inFlight() == 0);
  }

  @Test
  void noUsableServerGetsHaproxys503Page() throws Exception {
    HttpResponse<String> r = get("/empty/");

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.headers().firstValue("cache-control")).contains("no-cache");
    assertThat(r.body()).isEqualTo("<html><body><h1>503 Service Unavailable</h1>\n"
        + "No server is available to handle this request.\n</body></html>\n");
  }
}
