package dev.balancer.jetty.http1;

import dev.balancer.core.HeaderEdit;
import dev.balancer.core.Lease;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The heads the {@link dev.balancer.jetty.direct.DirectProxy} writes: the request as the server gets it and the answer as the
 * client gets it, the same rewriting {@link dev.balancer.jetty.BalancerServlet} does (hop-by-hop fields out, the rules'
 * header edits and cookie persistence in, values byte for byte otherwise).
 *
 * <p>A head goes out as bytes copied from the head that came in, field by field; only a field a rule
 * or persistence adds or changes is written from a string.
 */
public final class HeadRewriter {

  private static final byte[] CLOSE = "Connection: close\r\n".getBytes(StandardCharsets.ISO_8859_1);
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] COLON_SP = {':', ' '};

  /** A request head for the server; {@code close}: it says {@code connection: close} (http-server-close). */
  public record ToServer(ByteBuffer bytes, boolean close) {}

  /** An answer head for the client; {@code close}: the client's connection ends after it. */
  public record ToClient(ByteBuffer bytes, boolean close) {}

  private HeadRewriter() {}

  /** The request as the server gets it: hop-by-hop fields out, the rules' and persistence's edits in. */
  public static ToServer request(HttpHead h, Lease lease) {
    Fields f = new Fields(h);
    Set<String> tokens = connectionTokens(h);
    for (int i = 0; i < h.fields; i++) {
      if (HttpHead.hopByHop(h.kind(i)) || tokens != null && named(h, i, tokens)) {
        f.dropped[i] = true;
      }
    }
    f.edit(lease.requestHeaderEdits());
    boolean close = f.closes();
    if (lease.hasCookiePersistence()) {
      f.forwardCookies(lease);
    }
    return new ToServer(f.write(null, false, null), close);
  }

  /**
   * The answer as the client gets it: hop-by-hop fields out (Transfer-Encoding stays: the body goes
   * as it came), persistence cookies, {@code http-response} edits.
   *
   * @param close whether the client's connection ends after this answer already
   * @param into where to write it when it fits (then the result's bytes are it), else null
   */
  public static ToClient response(HttpHead h, Lease lease, boolean close, ByteBuffer into) {
    Fields f = new Fields(h);
    Set<String> tokens = connectionTokens(h);
    boolean persistence = lease.hasCookiePersistence();
    for (int i = 0; i < h.fields; i++) {
      byte kind = h.kind(i);
      if (kind == HttpHead.CONTENT_LENGTH) {
        // chunked wins over a length (RFC 9112 §6.3), and only the framing we follow goes on
        f.dropped[i] = h.chunked;
      } else if (kind != HttpHead.TRANSFER_ENCODING) {
        f.dropped[i] = HttpHead.hopByHop(kind) || tokens != null && named(h, i, tokens)
            || persistence && kind == HttpHead.SET_COOKIE;
      }
    }
    if (persistence) {
      List<String> fromServer = new ArrayList<>(1);
      for (int i = 0; i < h.fields; i++) {
        if (h.kind(i) == HttpHead.SET_COOKIE) {
          fromServer.add(h.value(i));
        }
      }
      List<String> toClient = lease.responseCookies(fromServer);
      for (String c : toClient) {
        f.add("set-cookie", c);
      }
      int cc = h.find(HttpHead.CACHE_CONTROL);
      boolean cacheable = h.find(HttpHead.LAST_MODIFIED) >= 0 || h.find(HttpHead.ETAG) >= 0
          || h.find(HttpHead.EXPIRES) >= 0 || cc >= 0 && h.value(cc).contains("max-age");
      if (lease.nocache() && cacheable && !toClient.equals(fromServer)) {
        // cookie ... nocache: an answer carrying our cookie must not be cached by a shared cache
        f.add("cache-control", "private");
      }
    }
    f.edit(lease.responseHeaderEdits());
    if (f.closes()) {
      // option httpclose (a response rule of lb-core's): the client's connection ends here
      close = true;
      f.drop("connection");
    }
    return new ToClient(f.write(h, close, into), close);
  }

  private static boolean named(HttpHead h, int i, Set<String> names) {
    for (String n : names) {
      if (h.named(i, n)) {
        return true;
      }
    }
    return false;
  }

  /** The fields a {@code Connection} header names (beyond the hop-by-hop ones): usually none. */
  private static Set<String> connectionTokens(HttpHead h) {
    Set<String> tokens = null;
    for (int i = 0; i < h.fields; i++) {
      if (h.kind(i) == HttpHead.CONNECTION && !h.valueIs(i, "keep-alive") && !h.valueIs(i, "close")) {
        tokens = HopByHop.connectionTokens(h.value(i), tokens);
      }
    }
    return tokens;
  }

  /**
   * The fields of one head on their way out: the head's own in order, less those dropped, some with a
   * new value, then those added, in order.
   */
  private static final class Fields {
    final HttpHead h;
    final boolean[] dropped;
    /** A new value per field of the head, or null: made on the first change. */
    String[] values;
    /** The fields added, name then value: made on the first addition. */
    List<String> added;

    Fields(HttpHead h) {
      this.h = h;
      this.dropped = new boolean[h.fields];
    }

    void add(String name, String value) {
      if (added == null) {
        added = new ArrayList<>(4);
      }
      added.add(name);
      added.add(value);
    }

    /** Drops every field of that name, the head's and those added. */
    void drop(String name) {
      for (int i = 0; i < h.fields; i++) {
        dropped[i] |= h.named(i, name);
      }
      if (added != null) {
        for (int i = added.size() - 2; i >= 0; i -= 2) {
          if (added.get(i).equalsIgnoreCase(name)) {
            added.remove(i + 1);
            added.remove(i);
          }
        }
      }
    }

    /** http-request|http-response set-header, add-header, del-header, in order. */
    void edit(List<HeaderEdit> edits) {
      HeaderEdits.apply(edits, new HeaderEdits.Fields() {
        @Override
        public void remove(String name) {
          drop(name);
        }

        @Override
        public void add(String name, String value) {
          Fields.this.add(name, value);
        }
      });
    }

    /** Whether the fields say {@code connection: close}. */
    boolean closes() {
      for (int i = 0; i < h.fields; i++) {
        if (!dropped[i] && h.kind(i) == HttpHead.CONNECTION && h.value(i).toLowerCase(Locale.ROOT).contains("close")) {
          return true;
        }
      }
      if (added != null) {
        for (int i = 0; i < added.size(); i += 2) {
          if (added.get(i).equalsIgnoreCase("connection") && added.get(i + 1).toLowerCase(Locale.ROOT).contains("close")) {
            return true;
          }
        }
      }
      return false;
    }

    /** Our persistence cookie out of the {@code Cookie} fields the server gets (a field left empty goes). */
    void forwardCookies(Lease lease) {
      for (int i = 0; i < h.fields; i++) {
        if (!dropped[i] && h.kind(i) == HttpHead.COOKIE) {
          String value = h.value(i);
          String kept = lease.forwardCookie(value);
          if (kept.isEmpty()) {
            dropped[i] = true;
          } else if (!kept.equals(value)) {
            if (values == null) {
              values = new String[h.fields];
            }
            values[i] = kept;
          }
        }
      }
      if (added != null) {
        for (int i = added.size() - 2; i >= 0; i -= 2) {
          if (added.get(i).equalsIgnoreCase("cookie")) {
            String kept = lease.forwardCookie(added.get(i + 1));
            if (kept.isEmpty()) {
              added.remove(i + 1);
              added.remove(i);
            } else {
              added.set(i + 1, kept);
            }
          }
        }
      }
    }

    /**
     * The head as bytes: the request's start line as it came ({@code answer} null), or an answer's
     * status line in HTTP/1.1; the fields; {@code Connection: close} when {@code close}. Into
     * {@code into} when it is big enough, else a new buffer; ready to be written either way.
     */
    ByteBuffer write(HttpHead answer, boolean close, ByteBuffer into) {
      byte[] b = h.bytes;
      int size = answer == null ? h.startLineEnd + 2 : 9 + answer.second.length() + 1 + answer.third.length() + 2;
      for (int i = 0; i < h.fields; i++) {
        if (!dropped[i]) {
          int value = values != null && values[i] != null ? values[i].length() : h.valueEnd(i) - h.valueStart(i);
          size += h.nameEnd(i) - h.nameStart(i) + 2 + value + 2;
        }
      }
      if (added != null) {
        for (int i = 0; i < added.size(); i += 2) {
          size += added.get(i).length() + 2 + added.get(i + 1).length() + 2;
        }
      }
      size += (close ? CLOSE.length : 0) + 2;
      ByteBuffer out = into != null && into.capacity() >= size ? into.clear() : ByteBuffer.allocate(size);
      if (answer == null) {
        out.put(b, 0, h.startLineEnd + 2);
      } else {
        put(out, "HTTP/1.1 ");
        put(out, answer.second);
        out.put((byte) ' ');
        put(out, answer.third);
        out.put(CRLF);
      }
      for (int i = 0; i < h.fields; i++) {
        if (!dropped[i]) {
          out.put(b, h.nameStart(i), h.nameEnd(i) - h.nameStart(i));
          out.put(COLON_SP);
          if (values != null && values[i] != null) {
            put(out, values[i]);
          } else {
            out.put(b, h.valueStart(i), h.valueEnd(i) - h.valueStart(i));
          }
          out.put(CRLF);
        }
      }
      if (added != null) {
        for (int i = 0; i < added.size(); i += 2) {
          put(out, added.get(i));
          out.put(COLON_SP);
          put(out, added.get(i + 1));
          out.put(CRLF);
        }
      }
      if (close) {
        out.put(CLOSE);
      }
      out.put(CRLF);
      return out.flip();
    }
  }

  /** Writes a string as ISO-8859-1 (a character beyond it as {@code ?}, as {@code String.getBytes} would). */
  private static void put(ByteBuffer out, String s) {
    for (int k = 0; k < s.length(); k++) {
      char c = s.charAt(k);
      out.put(c <= 0xff ? (byte) c : (byte) '?');
    }
  }
}
