package dev.balancer.jetty.http1;

import dev.balancer.core.Decision;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The proxy's own answers as bytes, byte for byte as HAProxy 2.6 writes them (checked against the
 * real binary): a page for a request it refuses before reading it whole (400, 408: HAProxy's raw
 * message, mixed-case names and {@code Connection: close}), and a local answer or error page on a
 * connection that may go on (lower-case names, as HAProxy's HTX writes them). Every HTTP/1 path
 * that writes its own bytes writes them from here.
 */
public final class RawAnswers {

  private RawAnswers() {}

  /** The body of an answer, as sent. */
  public static byte[] body(Decision.Respond answer) {
    return answer.body().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The head of the answer to a request the proxy could not read (a head too large, a request not
   * in time): the connection closes after it.
   */
  public static ByteBuffer refusalHead(Decision.Respond page, int bodyLength) {
    StringBuilder h = statusLine(page);
    if (page.errorPage()) {
      h.append("Content-length: ").append(bodyLength).append("\r\nCache-Control: no-cache\r\nConnection: close\r\n"
          + "Content-Type: text/html\r\n");
    } else {
      headers(h, page).append("Content-Length: ").append(bodyLength).append("\r\nConnection: close\r\n");
    }
    return bytes(h.append("\r\n"));
  }

  /**
   * The head of a local answer (a rule's, an error page, an {@code errorfile}) on a connection that
   * goes on unless {@code close}.
   */
  public static ByteBuffer answerHead(Decision.Respond answer, int bodyLength, boolean close) {
    StringBuilder h = statusLine(answer);
    if (answer.errorPage()) {
      h.append("content-length: ").append(bodyLength).append("\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n");
    } else {
      headers(h, answer).append("content-length: ").append(bodyLength).append("\r\n");
    }
    if (close) {
      h.append("connection: close\r\n");
    }
    return bytes(h.append("\r\n"));
  }

  private static StringBuilder statusLine(Decision.Respond answer) {
    return new StringBuilder(160).append("HTTP/1.1 ").append(answer.status()).append(' ').append(answer.reason())
        .append("\r\n");
  }

  private static StringBuilder headers(StringBuilder h, Decision.Respond answer) {
    for (Map.Entry<String, String> e : answer.headers()) {
      h.append(e.getKey()).append(": ").append(e.getValue()).append("\r\n");
    }
    return h;
  }

  private static ByteBuffer bytes(StringBuilder h) {
    return ByteBuffer.wrap(h.toString().getBytes(StandardCharsets.ISO_8859_1));
  }
}
