package dev.balancer.jetty.http1;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Where a chunked answer ends, without sockets, whole and cut into pieces of every size: the end is
 * found at the same byte however the body arrives, and a malformed body is malformed in any piece.
 * {@code \r}, {@code \n}, {@code \0} are those bytes; {@code end} is where the body ends in the text.
 */
class ChunkScannerTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      one chunk                       | 5\\r\\nhello\\r\\n0\\r\\n\\r\\n                         | end
      two chunks, upper-case hex      | 5\\r\\nhello\\r\\nB\\r\\nhello world\\r\\n0\\r\\n\\r\\n | end
      an extension                    | 5;name=value\\r\\nhello\\r\\n0\\r\\n\\r\\n               | end
      trailers                        | 5\\r\\nhello\\r\\n0\\r\\nX-Sum: 1\\r\\nX-B: 2\\r\\n\\r\\n  | end
      bytes after the end             | 0\\r\\n\\r\\nHTTP/1.1 200 OK                           | end at 5
      not finished                    | 5\\r\\nhel                                           | more
      no digits                       | ;x\\r\\n                                             | malformed
      a signed size                   | +5\\r\\nhello\\r\\n0\\r\\n\\r\\n                        | malformed
      a bare LF after the size        | 5\\nhello\\r\\n0\\r\\n\\r\\n                           | malformed
      a bare LF after the data        | 5\\r\\nhello\\n0\\r\\n\\r\\n                           | malformed
      data longer than its size       | 5\\r\\nhello!\\r\\n0\\r\\n\\r\\n                       | malformed
      a bare LF in an extension       | 5;a\\nb\\r\\nhello\\r\\n0\\r\\n\\r\\n                  | malformed
      a NUL in an extension           | 5;a\\0\\r\\nhello\\r\\n0\\r\\n\\r\\n                   | malformed
      a bare LF ending a trailer      | 0\\r\\nX-A: 1\\n\\r\\n                               | malformed
      a size past 63 bits             | 10000000000000000\\r\\n                             | malformed
      """)
  void theEndIsFoundAtTheSameByteInEveryPiecing(String shape, String table, String expected) {
    byte[] body = bytes(table);
    String whole = verdict(body, body.length);
    assertThat(whole).as(shape).isEqualTo(expected.equals("end") ? "end at " + body.length : expected);
    for (int piece = 1; piece < body.length; piece++) {
      assertThat(verdict(body, piece)).as("%s in pieces of %d", shape, piece).isEqualTo(whole);
    }
  }

  /** Scans {@code body} as it would arrive, {@code piece} bytes a read. */
  private static String verdict(byte[] body, int piece) {
    ChunkScanner scanner = new ChunkScanner();
    ByteBuffer b = ByteBuffer.wrap(body);
    for (int from = 0; from < body.length; from += piece) {
      int end = scanner.scan(b, from, Math.min(body.length, from + piece));
      if (end == ChunkScanner.MALFORMED) {
        return "malformed";
      }
      if (end >= 0) {
        return "end at " + end;
      }
    }
    return "more";
  }

  private static byte[] bytes(String table) {
    return table.replace("\\r", "\r").replace("\\n", "\n").replace("\\0", "\0").getBytes(StandardCharsets.ISO_8859_1);
  }
}
