package dev.balancer.webapp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WebAppIT {

  private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
  private WebApp app;
  private final HttpClient client = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    app = WebApp.start("127.0.0.1", 0, "webapp1", new PrintStream(logged, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void stop() throws Exception {
    app.close();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void indexShowsTheInstanceNameAndEachRequestIsLogged() throws Exception {
    HttpResponse<String> r = get("/");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("Hello from webapp1");
    assertThat(r.headers().firstValue("x-served-by")).contains("webapp1");
    assertThat(logged.toString(StandardCharsets.UTF_8)).isEqualTo("webapp1 GET / 200\n");
  }

  @Test
  void healthAnswers200AndUnknownPaths404() throws Exception {
    assertThat(get("/health").statusCode()).isEqualTo(200);
    assertThat(get("/nope").statusCode()).isEqualTo(404);
  }

  @Test
  void delayHoldsTheResponseBack() throws Exception {
    long start = System.nanoTime();
    HttpResponse<String> r = get("/?delay=300");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(300);
  }
}
