package dev.balancer.jetty.http1;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The direct path's request-head parser, the gate against request smuggling, without sockets: what
 * it takes on (and with which framing), what it leaves to Jetty's stricter parser ({@code null}: the
 * servlet path then answers 400 or serves it), what it refuses. {@code \r}, {@code \n}, {@code \0}
 * and {@code \1} in the table are those bytes.
 */
class HttpHeadTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      a plain GET                                  | GET / HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n                                               | taken length -1
      a length                                     | POST / HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 5\\r\\n\\r\\n                      | taken length 5
      the same length twice                        | POST / HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 5\\r\\nContent-Length: 5\\r\\n\\r\\n | taken length 5
      two different lengths                        | POST / HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 5\\r\\nContent-Length: 6\\r\\n\\r\\n | not ours
      a list of lengths                            | POST / HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 5, 5\\r\\n\\r\\n                   | not ours
      a signed length                              | POST / HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: +5\\r\\n\\r\\n                     | not ours
      a negative zero                              | POST / HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: -0\\r\\n\\r\\n                     | not ours
      a length of 19 digits                        | POST / HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 1000000000000000000\\r\\n\\r\\n    | not ours
      an empty length                              | POST / HTTP/1.1\\r\\nHost: a\\r\\nContent-Length:\\r\\n\\r\\n                        | not ours
      chunked and a length (CL.TE)                 | POST / HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 5\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n | chunked
      chunked                                      | POST / HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n             | chunked
      chunked twice                                | POST / HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding: chunked\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n | other encoding
      another coding before chunked                | POST / HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding: gzip, chunked\\r\\n\\r\\n       | other encoding
      an obfuscated chunked                        | POST / HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding: xchunked\\r\\n\\r\\n            | other encoding
      obs-fold                                     | GET / HTTP/1.1\\r\\nHost: a\\r\\nX-A: 1\\r\\n 2\\r\\n\\r\\n                             | not ours
      a space before the colon                     | GET / HTTP/1.1\\r\\nHost: a\\r\\nContent-Length : 5\\r\\n\\r\\n                   | not ours
      a tab before the colon                       | GET / HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding\\t: chunked\\r\\n\\r\\n          | not ours
      a bare LF ending a field                     | GET / HTTP/1.1\\r\\nHost: a\\nX-A: 1\\r\\n\\r\\n                                    | bare LF
      a bare LF ending the head                    | GET / HTTP/1.1\\r\\nHost: a\\r\\n\\n                                                 | bare LF
      a NUL in a value                             | GET / HTTP/1.1\\r\\nHost: a\\r\\nX-A: a\\0b\\r\\n\\r\\n                             | not ours
      a control byte in a value                    | GET / HTTP/1.1\\r\\nHost: a\\r\\nX-A: a\\1b\\r\\n\\r\\n                             | not ours
      a control byte in a name                     | GET / HTTP/1.1\\r\\nHost: a\\r\\nX\\1A: b\\r\\n\\r\\n                               | not ours
      a field with no name                         | GET / HTTP/1.1\\r\\nHost: a\\r\\n: b\\r\\n\\r\\n                                    | not ours
      two Host fields                              | GET / HTTP/1.1\\r\\nHost: a\\r\\nHost: b\\r\\n\\r\\n                                | not ours
      no Host                                      | GET / HTTP/1.1\\r\\nX-A: b\\r\\n\\r\\n                                              | taken without host
      HTTP/1.0                                     | GET / HTTP/1.0\\r\\nHost: a\\r\\n\\r\\n                                               | not ours
      an absolute target                           | GET http://a/ HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n                                      | not ours
      two spaces in the start line                 | GET  / HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n                                              | not ours
      a space in the target                        | GET /a b HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n                                            | not ours
      a control byte in the method                 | G\\1T / HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n                                              | not ours
      """)
  void theParserTakesOnlyWhatItFramesAsEveryHopWould(String shape, String raw, String expected) {
    assertThat(verdict(bytes(raw))).as(shape).isEqualTo(expected);
  }

  private static String verdict(byte[] head) {
    ByteBuffer in = ByteBuffer.wrap(head);
    int length = HttpHead.end(in, 0);
    if (length == HttpHead.BARE_LF) {
      return "bare LF";
    }
    assertThat(length).as("a whole head").isEqualTo(head.length);
    HttpHead h = HttpHead.parse(in, length, true);
    if (h == null) {
      return "not ours";
    }
    if (h.otherEncoding) {
      return "other encoding";
    }
    if (h.chunked) {
      return "chunked";
    }
    return h.host ? "taken length " + h.contentLength : "taken without host";
  }

  private static byte[] bytes(String table) {
    String s = table.replace("\\r", "\r").replace("\\n", "\n").replace("\\t", "\t").replace("\\0", "\0")
        .replace("\\1", "\u0001");
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }
}
