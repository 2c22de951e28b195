package dev.balancer.config.internal;

/**
 * An address as HAProxy's {@code str2sa_range} reads it: {@code host:port}, {@code [v6]:port},
 * {@code ipv4@host:port}, {@code ipv6@v6:port}; without brackets the last colon separates the port
 * ({@code :::80} is port 80 on all IPv6 addresses). The port may be empty, a number, a range
 * ({@code 80-82}) or an offset ({@code +1}); callers decide what they accept.
 *
 * @return {@code null} for forms Balancer does not handle ({@code unix@}, {@code abns@}, {@code fd@}...)
 */
record HostPort(String host, String port) {

  static HostPort parse(String text) {
    String t = text;
    boolean v6 = false;
    if (t.startsWith("ipv4@")) {
      t = t.substring(5);
    } else if (t.startsWith("ipv6@")) {
      t = t.substring(5);
      v6 = true;
    } else if (t.contains("@") || t.startsWith("/")) {
      return null;
    }
    if (t.startsWith("[")) {
      int close = t.indexOf(']');
      if (close < 0) {
        return null;
      }
      String host = t.substring(1, close);
      String rest = t.substring(close + 1);
      if (rest.isEmpty()) {
        return new HostPort(host, "");
      }
      return rest.startsWith(":") ? new HostPort(host, rest.substring(1)) : null;
    }
    int colon = t.lastIndexOf(':');
    if (colon < 0) {
      return new HostPort(t, "");
    }
    String host = t.substring(0, colon);
    if (host.equals("::") || host.isEmpty() && t.startsWith(":::")) {
      host = "::";
    }
    if (v6 && host.isEmpty()) {
      return null;
    }
    return new HostPort(host, t.substring(colon + 1));
  }
}
