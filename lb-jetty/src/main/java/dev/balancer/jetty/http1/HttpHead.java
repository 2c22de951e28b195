package dev.balancer.jetty.http1;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The head of one HTTP/1.1 message as the {@link dev.balancer.jetty.direct.DirectProxy} reads it: the start line and the
 * fields as sent (names and values byte for byte), plus what framing needs. Strict on purpose: a
 * head this parser does not take is left to Jetty's full parser (the request) or is a bad answer
 * (the response), never guessed at.
 *
 * <p>The fields stay bytes: each is a pair of ranges in {@link #bytes} and a {@link #kinds kind} for
 * the names framing and rewriting look at, so that a head is read once and written out again without
 * a string per field. A value becomes a string only when a rule asks for it.
 */
public final class HttpHead {

  // What a field is, by name in any case, for the fields framing and rewriting look at.
  public static final byte OTHER = 0;
  public static final byte CONNECTION = 1;
  public static final byte KEEP_ALIVE = 2;
  public static final byte PROXY_CONNECTION = 3;
  public static final byte TE = 4;
  public static final byte TRAILER = 5;
  public static final byte UPGRADE = 6;
  public static final byte PROXY_AUTHORIZATION = 7;
  public static final byte PROXY_AUTHENTICATE = 8;
  public static final byte TRANSFER_ENCODING = 9;
  public static final byte CONTENT_LENGTH = 10;
  public static final byte HOST = 11;
  public static final byte EXPECT = 12;
  public static final byte COOKIE = 13;
  public static final byte SET_COOKIE = 14;
  public static final byte CACHE_CONTROL = 15;
  public static final byte LAST_MODIFIED = 16;
  public static final byte ETAG = 17;
  public static final byte EXPIRES = 18;

  /** The names of the kinds above, in lower case, by kind. */
  private static final String[] KNOWN = {null, "connection", "keep-alive", "proxy-connection", "te", "trailer",
      "upgrade", "proxy-authorization", "proxy-authenticate", "transfer-encoding", "content-length", "host", "expect",
      "cookie", "set-cookie", "cache-control", "last-modified", "etag", "expires"};

  /** Whether a kind is a hop-by-hop field, never forwarded either way (RFC 9110 §7.6.1). */
  public static boolean hopByHop(byte kind) {
    return kind >= CONNECTION && kind <= TRANSFER_ENCODING;
  }

  /** A request's method, target and version; a response's version, status and reason. */
  public String first;
  public String second;
  public String third;
  public int status;
  /** The bytes of the whole head as they came, blank line included: its first {@link #length}. */
  public byte[] bytes;
  private void reset() {
    first = second = third = null;
    status = 0;
    startLineEnd = 0;
    fields = 0;
    length = 0;
    contentLength = -1;
    chunked = otherEncoding = close = upgrade = expect = host = false;
  }

  /** Where the start line's CRLF is. */
  public int startLineEnd;
  /** How many fields there are. */
  public int fields;
  /** Per field, four offsets in {@link #bytes}: name start and end, value start and end (trimmed). */
  private int[] at;
  /** Per field, its kind ({@link #OTHER} for the rest). */
  private byte[] kinds;
  /** The bytes of the whole head, blank line included. */
  public int length;
  public long contentLength = -1;
  public boolean chunked;
  /** A Transfer-Encoding other than chunked alone. */
  public boolean otherEncoding;
  public boolean close;
  public boolean upgrade;
  public boolean expect;
  public boolean host;

  /** What {@link #end} says of a head with a line ended by a bare LF: not ours to read. */
  public static final int BARE_LF = -2;

  /**
   * Where the head in {@code buf} (from its position to its limit) ends: the count of bytes up to and
   * including the blank line, -1 when it is not all there, {@link #BARE_LF} when a line ends with a
   * bare LF. {@code from} is how far an earlier call looked already.
   */
  public static int end(ByteBuffer buf, int from) {
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
  public static HttpHead parse(ByteBuffer buf, int length, boolean request) {
    return parse(buf, length, request, new HttpHead());
  }

  /**
   * As above, into {@code h}, whose arrays are used again when big enough: for a connection that
   * reads one head after another and keeps none of them past the next (a server connection's answers).
   */
  public static HttpHead parse(ByteBuffer buf, int length, boolean request, HttpHead h) {
    byte[] b = h.bytes != null && h.bytes.length >= length ? h.bytes : new byte[length];
    buf.get(buf.position(), b, 0, length);
    h.reset();
    h.bytes = b;
    h.length = length;
    int eol = lineEnd(b, 0, length);
    if (eol < 0 || !h.startLine(b, eol, request)) {
      return null;
    }
    h.startLineEnd = eol;
    int lines = 0;
    for (int k = eol + 2; k < length; k++) {
      if (b[k] == '\n') {
        lines++;
      }
    }
    // as many fields as lines (the blank one gives room to spare); no array grows
    if (h.kinds == null || h.kinds.length < lines) {
      h.kinds = new byte[lines];
      h.at = new int[4 * lines];
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
      if (!h.field(i, colon, vs, ve)) {
        return null;
      }
      i = end + 2;
    }
    return h;
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
    first = text(b, 0, s1);
    second = text(b, s1 + 1, s2 - s1 - 1);
    third = s2 >= eol ? "" : text(b, s2 + 1, eol - s2 - 1);
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

  /** Start-line words most heads carry: taken as they are rather than made anew for each head. */
  private static final String[] COMMON = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH",
      "HTTP/1.1", "HTTP/1.0", "200", "204", "206", "301", "302", "304", "400", "403", "404", "500", "502",
      "503", "OK", "No Content", "Partial Content", "Moved Permanently", "Found", "Not Modified", "Bad Request",
      "Forbidden", "Not Found", "Internal Server Error", "Bad Gateway", "Service Unavailable", "/"};

  /** The bytes as text (ISO-8859-1), one of {@link #COMMON} when they spell it. */
  private static String text(byte[] b, int from, int length) {
    for (String c : COMMON) {
      if (c.length() == length && spells(b, from, c)) {
        return c;
      }
    }
    return new String(b, from, length, StandardCharsets.ISO_8859_1);
  }

  private static boolean spells(byte[] b, int from, String c) {
    for (int k = 0; k < c.length(); k++) {
      if (b[from + k] != c.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  /** Notes what framing and connection management need; false on a field that makes the head unsafe. */
  private boolean field(int ns, int ne, int vs, int ve) {
    int i = fields++;
    at[4 * i] = ns;
    at[4 * i + 1] = ne;
    at[4 * i + 2] = vs;
    at[4 * i + 3] = ve;
    byte kind = kind(bytes, ns, ne);
    kinds[i] = kind;
    switch (kind) {
      case CONTENT_LENGTH -> {
        if (ve == vs || ve - vs > 18) {
          return false;
        }
        long n = 0;
        for (int k = vs; k < ve; k++) {
          byte c = bytes[k];
          if (c < '0' || c > '9') {
            return false; // digits only: '+5' or '-0' may be read otherwise by the next hop
          }
          n = n * 10 + (c - '0');
        }
        if (contentLength >= 0 && contentLength != n) {
          return false;
        }
        contentLength = n;
      }
      case TRANSFER_ENCODING -> {
        if (same(bytes, vs, ve, "chunked") && !chunked) {
          chunked = true;
        } else {
          otherEncoding = true;
        }
      }
      case CONNECTION -> {
        for (int from = vs; from <= ve; ) {
          int comma = from;
          while (comma < ve && bytes[comma] != ',') {
            comma++;
          }
          int ts = from;
          int te = comma;
          while (ts < te && (bytes[ts] == ' ' || bytes[ts] == '\t')) {
            ts++;
          }
          while (te > ts && (bytes[te - 1] == ' ' || bytes[te - 1] == '\t')) {
            te--;
          }
          close |= same(bytes, ts, te, "close");
          upgrade |= same(bytes, ts, te, "upgrade");
          from = comma + 1;
        }
      }
      case UPGRADE -> upgrade = true;
      case EXPECT -> expect = true;
      case HOST -> {
        if (host) {
          return false; // two Host fields: which one routes is ambiguous
        }
        host = true;
      }
      default -> {
        // nothing to note
      }
    }
    return true;
  }

  /** The kind of the field named {@code b[from, to)}. */
  private static byte kind(byte[] b, int from, int to) {
    for (byte k = 1; k < KNOWN.length; k++) {
      if (same(b, from, to, KNOWN[k])) {
        return k;
      }
    }
    return OTHER;
  }

  /** The kind of a field name. */
  public static byte kind(String name) {
    for (byte k = 1; k < KNOWN.length; k++) {
      if (KNOWN[k].equalsIgnoreCase(name)) {
        return k;
      }
    }
    return OTHER;
  }

  /** Whether {@code b[from, to)} is {@code s}, ASCII letters in any case. */
  public static boolean same(byte[] b, int from, int to, String s) {
    if (to - from != s.length()) {
      return false;
    }
    for (int k = 0; k < s.length(); k++) {
      int c = b[from + k];
      int d = s.charAt(k);
      if (c != d) {
        int lc = c | 0x20;
        if (lc != (d | 0x20) || lc < 'a' || lc > 'z') {
          return false;
        }
      }
    }
    return true;
  }

  public byte kind(int i) {
    return kinds[i];
  }

  public int nameStart(int i) {
    return at[4 * i];
  }

  public int nameEnd(int i) {
    return at[4 * i + 1];
  }

  public int valueStart(int i) {
    return at[4 * i + 2];
  }

  public int valueEnd(int i) {
    return at[4 * i + 3];
  }

  /** Whether field {@code i} is named {@code name}, in any case. */
  public boolean named(int i, String name) {
    return same(bytes, at[4 * i], at[4 * i + 1], name);
  }

  public String name(int i) {
    return new String(bytes, at[4 * i], at[4 * i + 1] - at[4 * i], StandardCharsets.ISO_8859_1);
  }

  /** Whether field {@code i}'s value is {@code s}, ASCII letters in any case. */
  public boolean valueIs(int i, String s) {
    return same(bytes, at[4 * i + 2], at[4 * i + 3], s);
  }

  public String value(int i) {
    return new String(bytes, at[4 * i + 2], at[4 * i + 3] - at[4 * i + 2], StandardCharsets.ISO_8859_1);
  }

  /** The first field of a kind, or -1. */
  public int find(byte kind) {
    for (int i = 0; i < fields; i++) {
      if (kinds[i] == kind) {
        return i;
      }
    }
    return -1;
  }

  /** The first value of a field, or null. */
  public String get(String name) {
    for (int i = 0; i < fields; i++) {
      if (named(i, name)) {
        return value(i);
      }
    }
    return null;
  }

  /** Every value of a field, one per line, in order. */
  public List<String> all(String name) {
    List<String> out = new ArrayList<>(1);
    for (int i = 0; i < fields; i++) {
      if (named(i, name)) {
        out.add(value(i));
      }
    }
    return out;
  }

  /** The value of a cookie in the {@code Cookie} fields, or null. */
  public String cookie(String name) {
    for (int i = 0; i < fields; i++) {
      if (kinds[i] == COOKIE) {
        String v = value(i);
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
  public String path() {
    int q = second.indexOf('?');
    return q < 0 ? second : second.substring(0, q);
  }

  /** A request's query without the {@code ?}, or null. */
  public String query() {
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
