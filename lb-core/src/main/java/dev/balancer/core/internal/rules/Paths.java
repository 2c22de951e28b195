package dev.balancer.core.internal.rules;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The path an ACL sees: the request's path with the encodings that mean nothing removed, so that
 * a rule on {@code /admin} cannot be passed by writing it another way. As HAProxy's {@code
 * http-request normalize-uri} actions {@code percent-decode-unreserved}, {@code merge-slashes} and
 * {@code path-strip-dotdot} together: {@code /%61dmin}, {@code //admin}, {@code /./admin} and
 * {@code /x/../admin} are all {@code /admin}. Encoded separators ({@code %2F}) stay encoded: the
 * servlet container refuses them as ambiguous before any rule runs.
 */
public final class Paths {

  private Paths() {}

  public static String normalize(String raw) {
    if (raw.isEmpty()) {
      return "/";
    }
    String decoded = decodeUnreserved(raw);
    Deque<String> out = new ArrayDeque<>();
    boolean trailingSlash = decoded.endsWith("/");
    for (String seg : decoded.split("/")) {
      switch (seg) {
        case "", "." -> { }
        case ".." -> out.pollLast();
        default -> out.addLast(seg);
      }
    }
    if (decoded.endsWith("/.") || decoded.endsWith("/..")) {
      trailingSlash = true;
    }
    StringBuilder b = new StringBuilder();
    for (String seg : out) {
      b.append('/').append(seg);
    }
    if (b.length() == 0 || trailingSlash) {
      b.append('/');
    }
    return b.toString();
  }

  /** {@code %XX} of a letter, a digit, {@code -}, {@code .}, {@code _} or {@code ~} becomes the character. */
  static String decodeUnreserved(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%' && i + 2 < s.length()) {
        int v = hex(s.charAt(i + 1)) * 16 + hex(s.charAt(i + 2));
        if (v >= 0 && (Character.isLetterOrDigit(v) && v < 128 || v == '-' || v == '.' || v == '_' || v == '~')) {
          b.append((char) v);
          i += 2;
          continue;
        }
      }
      b.append(c);
    }
    return b.toString();
  }

  private static int hex(char c) {
    int d = Character.digit(c, 16);
    return d < 0 ? -1000 : d;
  }
}
