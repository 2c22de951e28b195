package dev.balancer.core;

import dev.balancer.config.model.Balance;
import dev.balancer.config.model.HashType;
import dev.balancer.core.internal.balance.Hashes;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The hash key of a request for the hash algorithms, extracted exactly as HAProxy 2.6's
 * {@code backend.c} does; -1 when the request has none (the algorithm then falls back to round
 * robin) or the algorithm is not a hash.
 */
final class HashKeys {

  private HashKeys() {}

  static long key(Balance balance, HashType type, RequestView request) {
    return switch (balance.algorithm()) {
      case SOURCE -> source(type, request.clientAddress());
      case URI -> uri(balance, type, request);
      case URL_PARAM -> urlParam(balance, type, request);
      case HDR -> header(balance, type, request);
      default -> -1;
    };
  }

  private static long unsigned(int h) {
    return Integer.toUnsignedLong(h);
  }

  /** The address's 32-bit words XORed (one word for IPv4), then the avalanche if configured. */
  static long source(HashType type, String address) {
    byte[] addr;
    if (address == null || address.isEmpty() || !(Character.isDigit(address.charAt(0)) || address.indexOf(':') >= 0)) {
      // not an IP literal (a unix socket, say): HAProxy falls back to round robin
      return -1;
    }
    try {
      addr = InetAddress.getByName(address).getAddress();
    } catch (UnknownHostException e) {
      return -1;
    }
    int h = 0;
    for (int l = 0; l + 4 <= addr.length; l += 4) {
      h ^= (addr[l] & 0xff) << 24 | (addr[l + 1] & 0xff) << 16 | (addr[l + 2] & 0xff) << 8 | (addr[l + 3] & 0xff);
    }
    return unsigned(Hashes.avalanche(type) ? Hashes.fullHash(h) : h);
  }

  /** The URI (path, and the query with {@code whole}), cut by {@code len} and {@code depth}. */
  static long uri(Balance balance, HashType type, RequestView request) {
    String uri = request.path() + request.query().map(q -> "?" + q).orElse("");
    byte[] b = uri.getBytes(StandardCharsets.ISO_8859_1);
    int start = 0;
    int len = b.length;
    if (balance.uriPathOnly()) {
      // an absolute URI: skip scheme and authority
      int scheme = uri.indexOf("://");
      if (scheme > 0 && uri.indexOf('/') > scheme) {
        int slash = uri.indexOf('/', scheme + 3);
        start = slash < 0 ? len : slash;
      }
    }
    int remaining = len - start;
    if (balance.uriLength() > 0 && remaining > balance.uriLength()) {
      remaining = balance.uriLength();
    }
    int end = start;
    int slashes = 0;
    while (remaining-- > 0) {
      byte c = b[end];
      if (c == '/') {
        slashes++;
        if (balance.uriDepth() > 0 && slashes == balance.uriDepth() + 1) {
          break;
        }
      } else if (c == '?' && !balance.uriWhole()) {
        break;
      }
      end++;
    }
    return unsigned(Hashes.hash(type, b, start, end - start));
  }

  /** The value of the URL parameter, up to the next {@code &}; -1 when absent. */
  static long urlParam(Balance balance, HashType type, RequestView request) {
    Optional<String> query = request.query();
    if (query.isEmpty() || balance.parameter().isEmpty()) {
      return -1;
    }
    byte[] q = query.get().getBytes(StandardCharsets.ISO_8859_1);
    byte[] name = balance.parameter().get().getBytes(StandardCharsets.ISO_8859_1);
    int plen = name.length;
    int params = 0;
    int remaining = q.length;
    while (remaining > plen) {
      if (q[params + plen] == '=' && regionMatches(q, params, name)) {
        int start = params + plen + 1;
        int end = start;
        while (end < q.length && q[end] != '&') {
          end++;
        }
        return unsigned(Hashes.hash(type, q, start, end - start));
      }
      int amp = indexOf(q, (byte) '&', params, params + remaining);
      if (amp < 0) {
        return -1;
      }
      remaining -= amp + 1 - params;
      params = amp + 1;
    }
    return -1;
  }

  /** The header's first value; with {@code use_domain_only}, its main domain name only. */
  static long header(Balance balance, HashType type, RequestView request) {
    Optional<String> value = balance.parameter().flatMap(request::header);
    if (value.isEmpty()) {
      return -1;
    }
    String v = firstElement(value.get());
    v = v.strip();
    if (v.isEmpty()) {
      return -1;
    }
    byte[] b = v.getBytes(StandardCharsets.ISO_8859_1);
    if (!balance.useDomainOnly()) {
      return unsigned(Hashes.hash(type, b, 0, b.length));
    }
    // from the end: the dot before the top-level domain ends the domain, the dot before it starts it
    int len = b.length;
    int p = len;
    int end = len;
    boolean dohash = false;
    while (len > 0) {
      if (dohash) {
        if (b[p - 1] == '.') {
          break;
        }
      } else if (p < b.length && b[p] == '.') {
        end = p;
        dohash = true;
      }
      p--;
      len--;
    }
    return unsigned(Hashes.hash(type, b, p, end - p));
  }

  /** The first comma-separated element, commas inside double quotes (with \ escapes) not counting. */
  static String firstElement(String v) {
    boolean quoted = false;
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (quoted && c == '\\') {
        i++;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        return v.substring(0, i);
      }
    }
    return v;
  }

  private static boolean regionMatches(byte[] a, int off, byte[] b) {
    if (off + b.length > a.length) {
      return false;
    }
    for (int i = 0; i < b.length; i++) {
      if (a[off + i] != b[i]) {
        return false;
      }
    }
    return true;
  }

  private static int indexOf(byte[] a, byte c, int from, int to) {
    for (int i = from; i < Math.min(to, a.length); i++) {
      if (a[i] == c) {
        return i;
      }
    }
    return -1;
  }
}
