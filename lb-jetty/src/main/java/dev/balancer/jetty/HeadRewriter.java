package dev.balancer.jetty;

import dev.balancer.core.HeaderEdit;
import dev.balancer.core.Lease;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The heads the {@link DirectProxy} writes: the request as the server gets it and the answer as the
 * client gets it, the same rewriting {@link BalancerServlet} does (hop-by-hop fields out, the rules'
 * header edits and cookie persistence in, values byte for byte otherwise).
 */
final class HeadRewriter {

  /** Hop-by-hop fields, never forwarded either way (RFC 9110 §7.6.1), as Jetty's proxy drops them. */
  private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection", "te", "trailer",
      "upgrade", "proxy-authorization", "proxy-authenticate", "transfer-encoding");

  /** Fields a {@code Connection} header cannot remove. */
  private static final Set<String> PROTECTED = Set.of("content-length", "host", "transfer-encoding");

  /** A request head for the server; {@code close}: it says {@code connection: close} (http-server-close). */
  record ToServer(ByteBuffer bytes, boolean close) {}

  /** An answer head for the client; {@code close}: the client's connection ends after it. */
  record ToClient(ByteBuffer bytes, boolean close) {}

  private HeadRewriter() {}

  /** The request as the server gets it: hop-by-hop fields out, the rules' and persistence's edits in. */
  static ToServer request(HttpHead h, Lease lease) {
    List<String> names = new ArrayList<>(h.names.size() + 2);
    List<String> values = new ArrayList<>(h.names.size() + 2);
    Set<String> tokens = connectionTokens(h);
    for (int i = 0; i < h.names.size(); i++) {
      String lower = h.names.get(i).toLowerCase(Locale.ROOT);
      if (!HOP_BY_HOP.contains(lower) && (tokens == null || !tokens.contains(lower))) {
        names.add(h.names.get(i));
        values.add(h.values.get(i));
      }
    }
    edit(names, values, lease.requestHeaderEdits());
    boolean close = closes(names, values);
    if (lease.hasCookiePersistence()) {
      for (int i = 0; i < names.size(); i++) {
        if (names.get(i).equalsIgnoreCase("cookie")) {
          String kept = lease.forwardCookie(values.get(i));
          if (kept.isEmpty()) {
            names.remove(i);
            values.remove(i--);
          } else {
            values.set(i, kept);
          }
        }
      }
    }
    StringBuilder b = new StringBuilder(h.length + 64).append(h.first).append(' ').append(h.second).append(" HTTP/1.1\r\n");
    return new ToServer(bytes(b, names, values, false), close);
  }

  /**
   * The answer as the client gets it: hop-by-hop fields out (Transfer-Encoding stays: the body goes
   * as it came), persistence cookies, {@code http-response} edits.
   *
   * @param close whether the client's connection ends after this answer already
   */
  static ToClient response(HttpHead h, Lease lease, boolean close) {
    List<String> names = new ArrayList<>(h.names.size() + 2);
    List<String> values = new ArrayList<>(h.names.size() + 2);
    Set<String> tokens = connectionTokens(h);
    boolean persistence = lease.hasCookiePersistence();
    for (int i = 0; i < h.names.size(); i++) {
      String lower = h.names.get(i).toLowerCase(Locale.ROOT);
      if (h.chunked && lower.equals("content-length")) {
        continue; // chunked wins over a length (RFC 9112 §6.3), and only the framing we follow goes on
      }
      if (lower.equals("transfer-encoding") || !HOP_BY_HOP.contains(lower) && (tokens == null || !tokens.contains(lower))
          && !(persistence && lower.equals("set-cookie"))) {
        names.add(h.names.get(i));
        values.add(h.values.get(i));
      }
    }
    if (persistence) {
      List<String> fromServer = h.all("set-cookie");
      List<String> toClient = lease.responseCookies(fromServer);
      for (String c : toClient) {
        names.add("set-cookie");
        values.add(c);
      }
      String cc = h.get("cache-control");
      boolean cacheable = h.get("last-modified") != null || h.get("etag") != null || h.get("expires") != null
          || cc != null && cc.contains("max-age");
      if (lease.nocache() && cacheable && !toClient.equals(fromServer)) {
        // cookie ... nocache: an answer carrying our cookie must not be cached by a shared cache
        names.add("cache-control");
        values.add("private");
      }
    }
    edit(names, values, lease.responseHeaderEdits());
    if (closes(names, values)) {
      // option httpclose (a response rule of lb-core's): the client's connection ends here
      close = true;
      for (int i = names.size() - 1; i >= 0; i--) {
        if (names.get(i).equalsIgnoreCase("connection")) {
          names.remove(i);
          values.remove(i);
        }
      }
    }
    StringBuilder b = new StringBuilder(h.length + 64).append("HTTP/1.1 ").append(h.second).append(' ')
        .append(h.third).append("\r\n");
    return new ToClient(bytes(b, names, values, close), close);
  }

  private static ByteBuffer bytes(StringBuilder b, List<String> names, List<String> values, boolean close) {
    for (int i = 0; i < names.size(); i++) {
      b.append(names.get(i)).append(": ").append(values.get(i)).append("\r\n");
    }
    if (close) {
      b.append("Connection: close\r\n");
    }
    b.append("\r\n");
    return ByteBuffer.wrap(b.toString().getBytes(StandardCharsets.ISO_8859_1));
  }

  /** The fields a {@code Connection} header names (beyond the hop-by-hop ones): usually none. */
  private static Set<String> connectionTokens(HttpHead h) {
    Set<String> tokens = null;
    for (int i = 0; i < h.names.size(); i++) {
      if (h.names.get(i).equalsIgnoreCase("connection")) {
        for (String t : h.values.get(i).split(",")) {
          String token = t.trim().toLowerCase(Locale.ROOT);
          // never a field that frames or routes the message: 'Connection: content-length' would
          // have the server read the body as a request of its own
          if (!token.isEmpty() && !HOP_BY_HOP.contains(token) && !PROTECTED.contains(token)) {
            tokens = tokens == null ? new java.util.HashSet<>() : tokens;
            tokens.add(token);
          }
        }
      }
    }
    return tokens;
  }

  /** Whether the fields say {@code connection: close}. */
  private static boolean closes(List<String> names, List<String> values) {
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).equalsIgnoreCase("connection") && values.get(i).toLowerCase(Locale.ROOT).contains("close")) {
        return true;
      }
    }
    return false;
  }

  /** http-request|http-response set-header, add-header, del-header, in order. */
  private static void edit(List<String> names, List<String> values, List<HeaderEdit> edits) {
    for (HeaderEdit e : edits) {
      if (e.kind() != HeaderEdit.Kind.ADD) {
        for (int i = names.size() - 1; i >= 0; i--) {
          if (names.get(i).equalsIgnoreCase(e.name())) {
            names.remove(i);
            values.remove(i);
          }
        }
      }
      if (e.kind() != HeaderEdit.Kind.DEL) {
        names.add(e.name());
        values.add(e.value());
      }
    }
  }
}
