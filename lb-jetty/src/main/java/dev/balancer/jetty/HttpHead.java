package dev.balancer.jetty;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The head of one HTTP/1.1 message as the {@link DirectProxy} reads it: the start line and the
 * fields as sent (names and values byte for byte), plus what framing needs. Strict on purpose: a
 * head this parser does not take is left to Jetty's full parser (the request) or is a bad answer
 * (the response), never guessed at.
 */
final class HttpHead {

  /** A request's method, target and version; a response's version, status and reason. */
  String first;
  String second;
  String third;
  int status;
  final List<String> names = new ArrayList<>(16);
  final List<String> values = new ArrayList<>(16);
  /** The bytes of the whole head, blank line included. */
  int length;
  long contentLength = -1;
  boolean chunked;
  /** A Transfer-Encoding other than chunked alone. */
  boolean otherEncoding;
  boolean close;
  boolean upgrade;
  boolean expect;
  private boolean host;

  /** What {@link #end} says of a head with a line ended by a bare LF: not ours to read. */
  static final int BARE_LF = -2;

  /**
   * Where the head in {@code buf} (from its position to its limit) ends: the count of bytes up to and
   * including the blank line, -1 when it is not all there, {@link #BARE_LF} when a line ends with a
   * bare LF. {@code from} is how far an earlier call looked already.
   */
  static int end(ByteBuffer buf, int from) {
    int p = buf.position();
    int limit = buf.limit();
    for (int i = p + Math.max(0, from - 3); i < limit; i++) {
      if (buf.get(i) == '\n') {
        if (i == p || buf.get(i - 1) != '\r') {
          return BARE_LF;
        }
        if (i - 3 >= p && buf.get(i - 2) == '\n' && buf.get(i - 3) == '\r') {
          return i + 1 - p;
        }
      }
    }
    return -1;
  }

  /** Parses a head of {@code length} bytes at the buffer's position, or returns null when it is malformed. */
  static HttpHead parse(ByteBuffer buf, int length, boolean request) {
    byte[] b = new byte[length];
    buf.get(buf.position(), b);
    HttpHead h = new HttpHead();
    h.length = length;
    int eol = lineEnd(b, 0, length);
    if (eol < 0 || !h.startLine(b, eol, request)) {
      return null;
    }
    int i = eol + 2;
    while (i < length - 2) {
      int end = lineEnd(b, i, length);
      if (end < 0) {
        return null;
      }
      int colon = -1;
      for (int k = i; k < end; k++) {
        byte c = b[k];
        if (c == ':') {
          colon = k;
          break;
        }
        if (!token(c)) {
          return null; // a space before the colon, a folded line, a control byte: not ours to read
        }
      }
      if (colon <= i) {
        return null;
      }
      int vs = colon + 1;
      int ve = end;
      while (vs < ve && (b[vs] == ' ' || b[vs] == '\t')) {
        vs++;
      }
      while (ve > vs && (b[ve - 1] == ' ' || b[ve - 1] == '\t')) {
        ve--;
      }
      for (int k = vs; k < ve; k++) {
        int c = b[k] & 0xff;
        if (c < 0x20 && c != '\t' || c == 0x7f) {
          return null; // a control byte in a value: not ours to pass on
        }
      }
      String name = new String(b, i, colon - i, StandardCharsets.ISO_8859_1);
      String value = new String(b, vs, ve - vs, StandardCharsets.ISO_8859_1);
      if (!h.field(name, value)) {
        return null;
      }
      i = end + 2;
    }
    return h;
  }

  private static boolean digits(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  private boolean startLine(byte[] b, int eol, boolean request) {
    int s1 = indexOf(b, ' ', 0, eol);
    if (s1 <= 0) {
      return false;
    }
    int s2 = indexOf(b, ' ', s1 + 1, eol);
    if (request) {
      if (s2 < 0 || indexOf(b, ' ', s2 + 1, eol) >= 0) {
        return false;
      }
    } else if (s2 < 0) {
      s2 = eol; // HTTP/1.1 200 with no reason
    }
    first = new String(b, 0, s1, StandardCharsets.ISO_8859_1);
    second = new String(b, s1 + 1, s2 - s1 - 1, StandardCharsets.ISO_8859_1);
    third = s2 >= eol ? "" : new String(b, s2 + 1, eol - s2 - 1, StandardCharsets.ISO_8859_1);
    for (int k = 0; k < eol; k++) {
      int c = b[k] & 0xff;
      if (c < 0x20 || c == 0x7f || request && c >= 0x80) {
        return false; // a response's reason may hold obs-text, nothing else may
      }
    }
    if (request) {
      for (int k = 0; k < s1; k++) {
        if (!token(b[k])) {
          return false;
        }
      }
      return "HTTP/1.1".equals(third) && !second.isEmpty() && second.charAt(0) == '/';
    }
    if (!first.startsWith("HTTP/1.") || second.length() != 3) {
      return false;
    }
    try {
      status = Integer.parseInt(second);
    } catch (NumberFormatException e) {
      return false;
    }
    return status >= 100 && status < 600;
  }

  /** Notes what framing and connection management need; false on a field that makes the head unsafe. */
  private boolean field(String name, String value) {
    names.add(name);
    values.add(value);
    switch (name.length()) {
      case 14 -> {
        if (name.equalsIgnoreCase("content-length")) {
          if (value.isEmpty() || value.length() > 18 || !digits(value)) {
            return false; // digits only: '+5' or '-0' may be read otherwise by the next hop
          }
          long n = Long.parseLong(value);
          if (n < 0 || contentLength >= 0 && contentLength != n) {
            return false;
          }
          contentLength = n;
        }
      }
      case 17 -> {
        if (name.equalsIgnoreCase("transfer-encoding")) {
          if (value.equalsIgnoreCase("chunked") && !chunked) {
            chunked = true;
          } else {
            otherEncoding = true;
          }
        }
      }
      case 10 -> {
        if (name.equalsIgnoreCase("connection")) {
          for (String t : value.split(",")) {
            String token = t.trim();
            if (token.equalsIgnoreCase("close")) {
              close = true;
            } else if (token.equalsIgnoreCase("upgrade")) {
              upgrade = true;
            }
          }
        }
      }
      case 7 -> upgrade |= name.equalsIgnoreCase("upgrade");
      case 6 -> expect |= name.equalsIgnoreCase("expect");
      case 4 -> {
        if (name.equalsIgnoreCase("host")) {
          if (host) {
            return false; // two Host fields: which one routes is ambiguous
          }
          host = true;
        }
      }
      default -> {
        // nothing to note
      }
    }
    return true;
  }

  /** The first value of a field, or null. */
  String get(String name) {
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).equalsIgnoreCase(name)) {
        return values.get(i);
      }
    }
    return null;
  }

  /** Every value of a field, one per line, in order. */
  List<String> all(String name) {
    List<String> out = new ArrayList<>(1);
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).equalsIgnoreCase(name)) {
        out.add(values.get(i));
      }
    }
    return out;
  }

  /** The value of a cookie in the {@code Cookie} fields, or null. */
  String cookie(String name) {
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).equalsIgnoreCase("cookie")) {
        String v = values.get(i);
        int from = 0;
        while (from < v.length()) {
          int semi = v.indexOf(';', from);
          int end = semi < 0 ? v.length() : semi;
          int eq = v.indexOf('=', from);
          if (eq > 0 && eq < end && v.substring(from, eq).trim().equals(name)) {
            return v.substring(eq + 1, end).trim();
          }
          from = end + 1;
        }
      }
    }
    return null;
  }

  /** A request's path, without the query. */
  String path() {
    int q = second.indexOf('?');
    return q < 0 ? second : second.substring(0, q);
  }

  /** A request's query without the {@code ?}, or null. */
  String query() {
    int q = second.indexOf('?');
    return q < 0 ? null : second.substring(q + 1);
  }

  private static int lineEnd(byte[] b, int from, int length) {
    for (int i = from; i + 1 < length; i++) {
      if (b[i] == '\n') {
        return -1; // a bare LF
      }
      if (b[i] == '\r') {
        return b[i + 1] == '\n' ? i : -1;
      }
    }
    return -1;
  }

  private static int indexOf(byte[] b, char c, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] == c) {
        return i;
      }
    }
    return -1;
  }

  private static boolean token(byte c) {
    return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '<' && c != '>' && c != '@' && c != ','
        && c != ';' && c != ':' && c != '\\' && c != '"' && c != '/' && c != '[' && c != ']' && c != '?'
        && c != '=' && c != '{' && c != '}';
  }
}
