package dev.balancer.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A server that answers a POST before reading its body: the client gets that answer. */
class EarlyAnswerIT {

  private ServerSocket backend;
  private BalancerServer lb;

  @AfterEach
  void stop() throws Exception {
    lb.close();
    backend.close();
  }

  @Test
  void anAnswerSentBeforeTheBodyWasReadReachesTheClient() throws Exception {
    backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(() -> {
      while (!backend.isClosed()) {
        try (Socket s = backend.accept()) {
          InputStream in = s.getInputStream();
          StringBuilder head = new StringBuilder();
          while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
              break;
            }
            head.append((char) c);
          }
          s.getOutputStream().write(("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 8\r\nConnection: close\r\n\r\n"
              + "too big\n").getBytes(StandardCharsets.US_ASCII));
          s.getOutputStream().flush();
          // then drain what is still coming, so the close is a clean FIN (a reset could race the
          // answer's bytes in the kernel, whoever the proxy is)
          s.setSoTimeout(2000);
          in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException e) {
          return;
        }
      }
    });
    t.setDaemon(true);
    t.start();
    lb = BalancerServer.start(TestConfigs.www("", "  server s1 127.0.0.1:%d\n".formatted(backend.getLocalPort())));
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    byte[] big = new byte[4 * 1024 * 1024];

    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lb.port("www") + "/upload"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(big)).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(r.body()).isEqualTo("too big\n");
  }
}
