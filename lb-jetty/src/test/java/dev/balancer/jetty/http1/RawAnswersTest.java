package dev.balancer.jetty.http1;

import static org.assertj.core.api.Assertions.assertThat;

import dev.balancer.core.Decision;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The proxy's own answers, byte for byte as the real HAProxy 2.6.12 wrote them on 127.0.0.1 (a
 * backend with a dead server, a deny rule, a request with two Host fields, a silent connection).
 */
class RawAnswersTest {

  @Test
  void anErrorPageOnAConnectionThatGoesOnIsHaproxysHtxAnswer() {
    Decision.Respond page = Decision.Respond.errorPage(503);

    assertThat(text(page, false)).isEqualTo("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\n"
        + "cache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\n"
        + "No server is available to handle this request.\n</body></html>\n");
    assertThat(text(Decision.Respond.errorPage(403), false)).startsWith("HTTP/1.1 403 Forbidden\r\ncontent-length: 93\r\n");
  }

  @Test
  void aRequestTheProxyCouldNotReadGetsHaproxysRawMessageAndTheConnectionCloses() {
    Decision.Respond page = Decision.Respond.errorPage(400);
    byte[] body = RawAnswers.body(page);

    assertThat(ascii(RawAnswers.refusalHead(page, body.length)) + new String(body, StandardCharsets.UTF_8))
        .isEqualTo("HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\nConnection: close\r\n"
            + "Content-Type: text/html\r\n\r\n<html><body><h1>400 Bad request</h1>\n"
            + "Your browser sent an invalid request.\n</body></html>\n");
    assertThat(ascii(RawAnswers.refusalHead(Decision.Respond.errorPage(408), 110)))
        .isEqualTo("HTTP/1.1 408 Request Time-out\r\nContent-length: 110\r\nCache-Control: no-cache\r\n"
            + "Connection: close\r\nContent-Type: text/html\r\n\r\n");
  }

  @Test
  void aRulesAnswerKeepsItsHeadersInOrderAndSaysCloseWhenTheConnectionEnds() {
    Decision.Respond ret = new Decision.Respond(201, "Created", "created\n",
        List.of(Map.entry("content-type", "text/plain"), Map.entry("X-A", "b")), false);

    assertThat(text(ret, true)).isEqualTo("HTTP/1.1 201 Created\r\ncontent-type: text/plain\r\nX-A: b\r\n"
        + "content-length: 8\r\nconnection: close\r\n\r\ncreated\n");
  }

  private static String text(Decision.Respond answer, boolean close) {
    byte[] body = RawAnswers.body(answer);
    return ascii(RawAnswers.answerHead(answer, body.length, close)) + new String(body, StandardCharsets.UTF_8);
  }

  private static String ascii(ByteBuffer b) {
    return StandardCharsets.ISO_8859_1.decode(b).toString();
  }
}
