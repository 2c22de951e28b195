package dev.balancer.jetty.http1;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The one definition of the fields that describe a single connection and are never forwarded
 * (RFC 9110 §7.6.1), and of what a {@code Connection} header may remove besides them: every HTTP/1
 * path (the direct path, the servlet, the tunnel) asks here.
 */
public final class HopByHop {

  /** The hop-by-hop fields, in lower case. */
  public static final Set<String> NAMES = Set.of("connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade",
      "proxy-authorization", "proxy-authenticate", "transfer-encoding");

  /**
   * Fields a {@code Connection} header can never remove: they frame or route the message ({@code
   * Connection: content-length} would have the next hop read the body as a request of its own).
   */
  public static final Set<String> PROTECTED = Set.of("content-length", "host", "transfer-encoding");

  private HopByHop() {}

  /** Whether a field, by its name in any case, is hop-by-hop. */
  public static boolean is(String name) {
    return NAMES.contains(name.toLowerCase(Locale.ROOT));
  }

  /**
   * The fields one {@code Connection} value names that must stay behind too, in lower case: its
   * tokens less {@code close}, {@code keep-alive}, the hop-by-hop fields (which go anyway) and the
   * {@link #PROTECTED} ones.
   *
   * @param into where to add them, or null to make a set when there is one
   * @return {@code into}, or a new set, or null when there is none and {@code into} was null
   */
  public static Set<String> connectionTokens(String connectionValue, Set<String> into) {
    Set<String> tokens = into;
    for (String t : connectionValue.split(",")) {
      String token = t.trim().toLowerCase(Locale.ROOT);
      if (!token.isEmpty() && !token.equals("close") && !NAMES.contains(token) && !PROTECTED.contains(token)) {
        tokens = tokens == null ? new HashSet<>() : tokens;
        tokens.add(token);
      }
    }
    return tokens;
  }
}
