package dev.balancer.core.internal.rules;

import dev.balancer.config.model.Acl;
import dev.balancer.config.model.Condition;
import dev.balancer.config.model.Userlist;
import dev.balancer.core.RequestView;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * HAProxy's ACLs, compiled once per configuration into predicates over a {@link RequestView}
 * (reference §8): a fetch gives zero or more samples, a match method compares each with the
 * patterns, and the ACL matches when any sample matches any pattern. Paths are matched
 * normalised ({@link Paths#normalize}), so that {@code //admin}, {@code /%61dmin}, {@code
 * /./admin} or {@code /x/../admin} cannot slip past {@code path_beg /admin}.
 */
public final class Acls {

  private Acls() {}

  /** The ACLs HAProxy predefines, as it defines them. */
  private static final Map<String, Acl> PREDEFINED = predefined();

  private static Map<String, Acl> predefined() {
    Map<String, Acl> m = new LinkedHashMap<>();
    def(m, "FALSE", "always_false");
    def(m, "TRUE", "always_true");
    def(m, "HTTP", "req.proto_http");
    def(m, "HTTP_1.0", "req.ver", "1.0");
    def(m, "HTTP_1.1", "req.ver", "1.1");
    def(m, "HTTP_2.0", "req.ver", "2.0");
    m.put("HTTP_CONTENT", new Acl("HTTP_CONTENT", "req.hdr_val", List.of("content-length"), List.of(), List.of("gt", "0"),
        dev.balancer.config.Location.UNKNOWN));
    def(m, "HTTP_URL_ABS", "url_reg", "^[^/:]*://");
    def(m, "HTTP_URL_SLASH", "url_beg", "/");
    def(m, "HTTP_URL_STAR", "url", "*");
    def(m, "LOCALHOST", "src", "127.0.0.1/8", "::1");
    def(m, "METH_CONNECT", "method", "CONNECT");
    def(m, "METH_DELETE", "method", "DELETE");
    def(m, "METH_GET", "method", "GET", "HEAD");
    def(m, "METH_HEAD", "method", "HEAD");
    def(m, "METH_OPTIONS", "method", "OPTIONS");
    def(m, "METH_POST", "method", "POST");
    def(m, "METH_PUT", "method", "PUT");
    def(m, "METH_TRACE", "method", "TRACE");
    def(m, "RDP_COOKIE", "req.rdp_cookie_cnt", "gt", "0");
    def(m, "REQ_CONTENT", "req.len", "gt", "0");
    def(m, "WAIT_END", "wait_end");
    return Map.copyOf(m);
  }

  private static void def(Map<String, Acl> m, String name, String fetch, String... values) {
    m.put(name, new Acl(name, fetch, List.of(), List.of(), List.of(values), dev.balancer.config.Location.UNKNOWN));
  }

  /** A condition compiled against the named ACLs of its proxy. */
  public static Predicate<RequestView> compile(Condition condition, List<Acl> named) {
    return compile(condition, named, Map.of());
  }

  /**
   * A condition compiled against the named ACLs of its proxy and the configuration's userlists
   * (for {@code http_auth()}).
   */
  public static Predicate<RequestView> compile(Condition condition, List<Acl> named, Map<String, Userlist> users) {
    List<List<Predicate<RequestView>>> or = new ArrayList<>();
    for (List<Condition.Term> and : condition.alternatives()) {
      List<Predicate<RequestView>> terms = new ArrayList<>();
      for (Condition.Term t : and) {
        Predicate<RequestView> p = t.anonymous().isPresent() ? compile(t.anonymous().get(), users)
            : byName(t.aclName(), named, users);
        terms.add(t.negated() ? p.negate() : p);
      }
      or.add(terms);
    }
    Predicate<RequestView> any = r -> {
      for (List<Predicate<RequestView>> and : or) {
        boolean all = true;
        for (Predicate<RequestView> p : and) {
          if (!p.test(r)) {
            all = false;
            break;
          }
        }
        if (all) {
          return true;
        }
      }
      return false;
    };
    return condition.unless() ? any.negate() : any;
  }

  /** A name on several {@code acl} lines means any of them; a proxy's own ACL hides a predefined one. */
  private static Predicate<RequestView> byName(String name, List<Acl> named, Map<String, Userlist> users) {
    List<Predicate<RequestView>> lines = named.stream().filter(a -> a.name().equals(name)).map(a -> compile(a, users)).toList();
    if (lines.isEmpty()) {
      Acl predefined = PREDEFINED.get(name);
      return predefined == null ? r -> false : compile(predefined);
    }
    return r -> lines.stream().anyMatch(p -> p.test(r));
  }

  /**
   * The first sample of a fetch expression, as a log-format's {@code %[...]} uses it: {@code src},
   * {@code req.hdr(host)}, {@code path,lower}; empty when the fetch gives none.
   */
  public static String sample(String expression, RequestView r) {
    String[] parts = expression.split(",");
    String f = parts[0].trim();
    String arg = "";
    int paren = f.indexOf('(');
    if (paren > 0 && f.endsWith(")")) {
      arg = f.substring(paren + 1, f.length() - 1);
      f = f.substring(0, paren);
    }
    List<String> samples = fetch(f, arg).samples(r);
    String v = samples.isEmpty() ? "" : samples.get(samples.size() - 1);
    for (int i = 1; i < parts.length; i++) {
      switch (parts[i].trim()) {
        case "lower" -> v = v.toLowerCase(Locale.ROOT);
        case "upper" -> v = v.toUpperCase(Locale.ROOT);
        default -> { }
      }
    }
    return v;
  }

  /** One ACL line. */
  public static Predicate<RequestView> compile(Acl acl) {
    return compile(acl, Map.of());
  }

  private static Predicate<RequestView> compile(Acl acl, Map<String, Userlist> users) {
    String fetch = acl.fetch();
    if (fetch.equals("http_auth") || fetch.equals("http_auth_group")) {
      Userlist list = users.get(acl.fetchArgs().isEmpty() ? "" : acl.fetchArgs().get(0));
      boolean group = fetch.equals("http_auth_group");
      List<String> wanted = acl.values();
      return r -> {
        Optional<Userlist.User> u = BasicAuth.user(r, list);
        return u.isPresent() && (!group || u.get().groups().stream().anyMatch(wanted::contains));
      };
    }
    String arg = acl.fetchArgs().isEmpty() ? "" : acl.fetchArgs().get(0);
    boolean ignoreCase = acl.ignoreCase();
    String method = explicitMatch(acl).orElse(defaultMatch(fetch));
    Fetch f = fetch(fetch, arg);
    List<String> values = withPatternFiles(acl);
    if (method.equals("bool") || values.isEmpty() && !method.equals("found")) {
      // no pattern: the ACL is true when the fetch gives a true (non-empty, non-zero) sample
      return r -> f.samples(r).stream().anyMatch(v -> !v.isEmpty() && !v.equals("0"));
    }
    Match m = match(method, values, ignoreCase);
    return r -> {
      List<String> samples = f.samples(r);
      if (method.equals("found")) {
        return !samples.isEmpty();
      }
      for (String s : samples) {
        if (m.test(s)) {
          return true;
        }
      }
      return false;
    };
  }

  /** The inline patterns, then those of {@code -f FILE} (one per line; blank lines and {@code #} comments skipped). */
  private static List<String> withPatternFiles(Acl acl) {
    List<String> values = new ArrayList<>(acl.values());
    List<String> flags = acl.flags();
    for (int i = 0; i + 1 < flags.size(); i++) {
      if (flags.get(i).equals("-f")) {
        try {
          for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of(flags.get(i + 1)))) {
            String t = line.strip();
            if (!t.isEmpty() && !t.startsWith("#")) {
              values.add(t);
            }
          }
        } catch (java.io.IOException e) {
          // checked readable when the file was loaded; gone since: no patterns from it
        }
      }
    }
    return values;
  }

  private static Optional<String> explicitMatch(Acl acl) {
    List<String> flags = acl.flags();
    for (int i = 0; i + 1 < flags.size(); i++) {
      if (flags.get(i).equals("-m")) {
        return Optional.of(flags.get(i + 1));
      }
    }
    return Optional.empty();
  }

  /** The match method a fetch's name implies: {@code path_beg} is {@code path} with {@code -m beg}. */
  private static String defaultMatch(String fetch) {
    String base = fetch.startsWith("req.") ? fetch.substring(4) : fetch;
    switch (base) {
      case "always_true", "always_false", "proto_http", "req_proto_http", "ssl_fc", "wait_end" -> {
        return "bool";
      }
      case "len", "req_len" -> {
        return "int";
      }
      case "src" -> {
        return "ip";
      }
      default -> { }
    }
    int u = base.lastIndexOf('_');
    if (u > 0) {
      String suffix = base.substring(u + 1);
      switch (suffix) {
        case "beg", "end", "sub", "dir", "dom", "reg", "len", "ip" -> {
          return suffix;
        }
        case "cnt", "val", "port" -> {
          return "int";
        }
        default -> { }
      }
    }
    return "str";
  }

  /** A sample fetch: the values it gives for a request (none when absent). */
  @FunctionalInterface
  private interface Fetch {
    List<String> samples(RequestView r);
  }

  private static Fetch fetch(String f, String arg) {
    switch (f) {
      case "hdr_cnt", "req.hdr_cnt" -> {
        return r -> List.of(String.valueOf(splitHeader(r.headers(arg)).size()));
      }
      case "req.fhdr_cnt" -> {
        return r -> List.of(String.valueOf(r.headers(arg).size()));
      }
      case "cook_cnt", "req.cook_cnt" -> {
        return r -> List.of(r.cookie(arg).isPresent() ? "1" : "0");
      }
      case "req.fhdr" -> {
        return r -> r.headers(arg);
      }
      case "req.hdrs" -> {
        return r -> List.of();
      }
      default -> { }
    }
    if (f.equals("path") || f.startsWith("path_")) {
      return r -> List.of(Paths.normalize(r.path()));
    }
    if (f.equals("url_param") || f.startsWith("urlp")) {
      return r -> urlParams(r, arg);
    }
    if (f.equals("url") || f.startsWith("url_")) {
      return r -> List.of(r.target());
    }
    if (f.equals("base") || f.startsWith("base_")) {
      return r -> List.of(r.header("host").orElse("") + Paths.normalize(r.path()));
    }
    if (f.equals("hdr") || f.startsWith("hdr_") || f.equals("req.hdr") || f.equals("req.hdr_val") || f.equals("req.hdr_ip")) {
      return r -> splitHeader(r.headers(arg));
    }
    if (f.equals("cook") || f.startsWith("cook_") || f.equals("req.cook") || f.equals("req.cookie")) {
      return r -> r.cookie(arg).map(List::of).orElse(List.of());
    }
    return switch (f) {
      case "query" -> r -> r.query().map(List::of).orElse(List.of());
      case "method", "meth" -> r -> List.of(r.method());
      case "src" -> r -> List.of(r.clientAddress());
      case "dst_port" -> r -> r.localPort() > 0 ? List.of(String.valueOf(r.localPort())) : List.of();
      case "req.ver", "req_ver" -> r -> List.of(r.version().replace("HTTP/", ""));
      case "req.proto_http", "req_proto_http", "always_true", "wait_end" -> r -> List.of("1");
      case "always_false", "ssl_fc" -> r -> List.of("0");
      // the body is not read before routing, and there is no RDP here: HAProxy's answer without them
      case "req.len", "req_len", "req.rdp_cookie_cnt" -> r -> List.of("0");
      default -> r -> List.of();
    };
  }

  /** {@code hdr()} splits values on commas, as HAProxy does for list headers. */
  private static List<String> splitHeader(List<String> values) {
    List<String> out = new ArrayList<>();
    for (String v : values) {
      for (String part : v.split(",")) {
        out.add(part.trim());
      }
    }
    return out;
  }

  private static List<String> urlParams(RequestView r, String name) {
    List<String> out = new ArrayList<>();
    r.query().ifPresent(q -> {
      for (String kv : q.split("[&;]")) {
        // HAProxy finds only NAME=VALUE: a bare NAME is no parameter
        int eq = kv.indexOf('=');
        if (eq >= 0 && kv.substring(0, eq).equals(name)) {
          out.add(kv.substring(eq + 1));
        }
      }
    });
    return out;
  }

  /** Compares one sample with the patterns. */
  @FunctionalInterface
  private interface Match {
    boolean test(String sample);
  }

  private static Match match(String method, List<String> values, boolean ignoreCase) {
    List<String> vs = ignoreCase ? values.stream().map(v -> v.toLowerCase(Locale.ROOT)).toList() : values;
    java.util.function.UnaryOperator<String> fold = ignoreCase ? s -> s.toLowerCase(Locale.ROOT) : s -> s;
    return switch (method) {
      case "str" -> s -> vs.contains(fold.apply(s));
      case "beg" -> s -> vs.stream().anyMatch(fold.apply(s)::startsWith);
      case "end" -> s -> vs.stream().anyMatch(fold.apply(s)::endsWith);
      case "sub" -> s -> vs.stream().anyMatch(fold.apply(s)::contains);
      case "dir" -> s -> vs.stream().anyMatch(v -> delimited(fold.apply(s), v, "/"));
      case "dom" -> s -> vs.stream().anyMatch(v -> delimited(fold.apply(s), v, "/.:"));
      case "reg" -> {
        List<Pattern> ps = values.stream().map(v -> Pattern.compile(v, ignoreCase ? Pattern.CASE_INSENSITIVE : 0)).toList();
        yield s -> ps.stream().anyMatch(p -> p.matcher(s).find());
      }
      case "len" -> {
        Match ints = ints(values);
        yield s -> ints.test(String.valueOf(s.getBytes(StandardCharsets.UTF_8).length));
      }
      case "int" -> ints(values);
      case "ip" -> ips(values);
      default -> s -> false;
    };
  }

  /** {@code dir}/{@code dom}: the pattern is one of the sample's delimited words (or a run of them). */
  private static boolean delimited(String sample, String pattern, String delimiters) {
    if (pattern.isEmpty()) {
      return false;
    }
    int from = 0;
    while ((from = sample.indexOf(pattern, from)) >= 0) {
      int end = from + pattern.length();
      boolean startOk = from == 0 || delimiters.indexOf(sample.charAt(from - 1)) >= 0;
      boolean endOk = end == sample.length() || delimiters.indexOf(sample.charAt(end)) >= 0;
      if (startOk && endOk) {
        return true;
      }
      from++;
    }
    return false;
  }

  /** Integer patterns: {@code 80}, {@code 1024:65535}, {@code :1023}, {@code eq|ge|gt|le|lt N}. */
  private static Match ints(List<String> values) {
    List<long[]> ranges = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      String v = values.get(i);
      long lo;
      long hi;
      switch (v) {
        case "eq", "ge", "gt", "le", "lt" -> {
          long n = Long.parseLong(values.get(++i));
          lo = switch (v) { case "ge" -> n; case "gt" -> n + 1; case "eq" -> n; default -> Long.MIN_VALUE; };
          hi = switch (v) { case "le" -> n; case "lt" -> n - 1; case "eq" -> n; default -> Long.MAX_VALUE; };
        }
        default -> {
          int colon = v.indexOf(':');
          if (colon < 0) {
            lo = hi = Long.parseLong(v);
          } else {
            lo = colon == 0 ? Long.MIN_VALUE : Long.parseLong(v.substring(0, colon));
            hi = colon == v.length() - 1 ? Long.MAX_VALUE : Long.parseLong(v.substring(colon + 1));
          }
        }
      }
      ranges.add(new long[] {lo, hi});
    }
    return s -> {
      long n;
      try {
        n = Long.parseLong(s.trim());
      } catch (NumberFormatException e) {
        return false;
      }
      return ranges.stream().anyMatch(r -> n >= r[0] && n <= r[1]);
    };
  }

  /** Address patterns: {@code 10.0.0.1}, {@code 10.0.0.0/8}, {@code ::1}. */
  private static Match ips(List<String> values) {
    List<byte[][]> nets = new ArrayList<>();
    for (String v : values) {
      int slash = v.indexOf('/');
      try {
        byte[] addr = InetAddress.getByName(slash < 0 ? v : v.substring(0, slash)).getAddress();
        int bits = slash < 0 ? addr.length * 8 : Integer.parseInt(v.substring(slash + 1));
        nets.add(new byte[][] {addr, {(byte) bits}});
      } catch (UnknownHostException | NumberFormatException e) {
        // the config check refuses what is not an address
      }
    }
    return s -> {
      // an address literal only: a sample is never looked up in the DNS, and an empty one is no address
      String t = s.trim();
      if (t.isEmpty() || !IP_LITERAL.matcher(t).matches()) {
        return false;
      }
      byte[] a;
      try {
        a = InetAddress.getByName(t).getAddress();
      } catch (UnknownHostException e) {
        return false;
      }
      for (byte[][] n : nets) {
        if (n[0].length == a.length && prefixMatches(a, n[0], n[1][0] & 0xff)) {
          return true;
        }
      }
      return false;
    };
  }

  private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

  private static boolean prefixMatches(byte[] a, byte[] net, int bits) {
    for (int i = 0; i < a.length && bits > 0; i++, bits -= 8) {
      int mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
      if ((a[i] & mask) != (net[i] & mask)) {
        return false;
      }
    }
    return true;
  }
}
