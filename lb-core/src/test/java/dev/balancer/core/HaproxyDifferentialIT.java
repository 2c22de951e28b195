package dev.balancer.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.balancer.config.ConfigLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The same config in the real HAProxy and in our balancer: the same server for every request, in
 * sequence for the round-robin algorithms, key by key for the hash algorithms.
 */
class HaproxyDifferentialIT {

  @TempDir Path dir;

  @BeforeAll
  static void oracle() {
    HaproxyOracle.requireHaproxy();
  }

  /** A request as both sides see it. */
  private record Req(String source, String pathAndQuery, Map<String, String> headers) {
    String[] headerLines() {
      return headers.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).toArray(String[]::new);
    }
  }

  private String config(int port, List<Integer> backendPorts, String weights, String backendLines) {
    StringBuilder b = new StringBuilder("""
        global
            stats socket %s mode 600 level admin
        defaults
            mode http
            timeout connect 2s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:%d
            default_backend be
        backend be
        %s""".formatted(dir.resolve("admin.sock"), port, backendLines));
    String[] w = weights.split("/");
    for (int i = 0; i < w.length; i++) {
      b.append("    server s").append(i + 1).append(" 127.0.0.1:").append(backendPorts.get(i))
          .append(" weight ").append(w[i]).append('\n');
    }
    return b.toString();
  }

  /** Runs the requests through HAProxy and through our balancer; returns both answers. */
  private List<List<String>> both(String weights, String backendLines, List<Req> requests) throws Exception {
    try (HaproxyOracle oracle = new HaproxyOracle(dir)) {
      int n = weights.split("/").length;
      List<Integer> ports = oracle.startBackends(n);
      int port = HaproxyOracle.freePort();
      String cfg = config(port, ports, weights, backendLines);
      oracle.start(cfg, port);
      Balancer ours = Balancer.create(ConfigLoader.parse("haproxy.cfg", cfg).orThrow());
      List<String> theirs = new ArrayList<>();
      List<String> mine = new ArrayList<>();
      for (Req r : requests) {
        theirs.add(oracle.request(r.source(), r.pathAndQuery(), r.headerLines()));
        Decision d = ours.decide("fe", RequestView.of(r.source(), "GET", r.pathAndQuery(), r.headers()));
        if (d instanceof Decision.Forward f) {
          mine.add(f.lease().server().name());
          f.lease().release();
        } else {
          mine.add("<503>");
        }
      }
      return List.of(theirs, mine);
    }
  }

  private static List<Req> plain(int n) {
    List<Req> l = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      l.add(new Req("127.0.0.1", "/", Map.of()));
    }
    return l;
  }

  private static int total(String weights) {
    int t = 0;
    for (String w : weights.split("/")) {
      t += Integer.parseInt(w);
    }
    return t;
  }

  @ParameterizedTest(name = "roundrobin {0}")
  @ValueSource(strings = {"1/1/1", "1/2/3", "5/1/1", "2/1", "1/3", "1/1/2", "4/3/2/1", "10/10/1", "0/1/2", "7/3", "13/5/2/1", "3/3/3/3"})
  void roundRobinSequenceIsHaproxys(String weights) throws Exception {
    List<List<String>> r = both(weights, "    balance roundrobin\n", plain(2 * total(weights) + 5));

    assertThat(r.get(1)).isEqualTo(r.get(0));
  }

  @ParameterizedTest(name = "static-rr {0}")
  @ValueSource(strings = {"1/1/1", "1/2/3", "5/1/1", "4/3/2/1", "0/1/2", "6/4", "13/5/2/1"})
  void staticRoundRobinSequenceIsHaproxys(String weights) throws Exception {
    List<List<String>> r = both(weights, "    balance static-rr\n", plain(2 * total(weights) + 5));

    assertThat(r.get(1)).isEqualTo(r.get(0));
  }

  private static List<Req> paths(int n) {
    List<Req> l = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      l.add(new Req("127.0.0.1", "/dir" + (i % 7) + "/sub" + (i % 3) + "/file" + i + ".html?x=" + i + "&uid=u" + i, Map.of()));
    }
    l.add(new Req("127.0.0.1", "/", Map.of()));
    l.add(new Req("127.0.0.1", "/a", Map.of()));
    l.add(new Req("127.0.0.1", "/b", Map.of()));
    l.add(new Req("127.0.0.1", "/c", Map.of()));
    return l;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "balance uri", "balance uri whole", "balance uri len 6", "balance uri depth 2", "balance uri len 9 depth 1",
      "balance url_param uid", "balance uri\n    hash-type consistent", "balance url_param uid\n    hash-type consistent"})
  void uriAndUrlParamKeysLandOnHaproxysServer(String balance) throws Exception {
    for (String weights : new String[] {"1/1/1", "1/2/3"}) {
      List<List<String>> r = both(weights, "    " + balance + "\n", paths(300));

      assertThat(r.get(1)).as(balance + " " + weights).isEqualTo(r.get(0));
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"balance hdr(X-User)", "balance hdr(Host) use_domain_only", "balance hdr(X-User)\n    hash-type consistent"})
  void headerKeysLandOnHaproxysServer(String balance) throws Exception {
    List<Req> reqs = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      reqs.add(new Req("127.0.0.1", "/", Map.of("X-User", "user-" + i, "Host", "www" + (i % 5) + ".example" + i + ".com")));
    }
    for (String weights : new String[] {"1/1/1", "1/2/3"}) {
      List<List<String>> r = both(weights, "    " + balance + "\n", reqs);

      assertThat(r.get(1)).as(balance + " " + weights).isEqualTo(r.get(0));
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"balance source", "balance source\n    hash-type consistent"})
  void sourceAddressesLandOnHaproxysServer(String balance) throws Exception {
    List<Req> reqs = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      reqs.add(new Req("127.0." + (i / 100) + "." + (1 + i % 100), "/", Map.of()));
    }
    for (String weights : new String[] {"1/1/1", "1/2/3"}) {
      List<List<String>> r = both(weights, "    " + balance + "\n", reqs);

      assertThat(r.get(1)).as(balance + " " + weights).isEqualTo(r.get(0));
    }
  }

  /**
   * A scenario in the notation of /tmp-style FWRR models: {@code nK} sends K requests, {@code
   * maint:2}, {@code ready:2}, {@code drain:2}, {@code weight:2=5} change server s2 at runtime
   * (HAProxy through its stats socket, ours through the API).
   */
  private List<List<String>> scenario(String balance, String weights, String script) throws Exception {
    try (HaproxyOracle oracle = new HaproxyOracle(dir)) {
      int n = weights.split("/").length;
      List<Integer> ports = oracle.startBackends(n);
      int port = HaproxyOracle.freePort();
      String cfg = config(port, ports, weights, "    balance " + balance + "\n");
      oracle.start(cfg, port);
      Balancer ours = Balancer.create(ConfigLoader.parse("haproxy.cfg", cfg).orThrow());
      List<String> theirs = new ArrayList<>();
      List<String> mine = new ArrayList<>();
      for (String op : script.split(" ")) {
        if (op.startsWith("n")) {
          for (int i = 0; i < Integer.parseInt(op.substring(1)); i++) {
            theirs.add(oracle.request("127.0.0.1", "/"));
            Decision d = ours.decide("fe", RequestView.of("GET", "/"));
            mine.add(d instanceof Decision.Forward f ? f.lease().server().name() : "<503>");
            if (d instanceof Decision.Forward f) {
              f.lease().release();
            }
          }
          continue;
        }
        String[] parts = op.split("[:=]");
        String server = "s" + parts[1];
        BackendServer s = ours.server("be", server).orElseThrow();
        switch (parts[0]) {
          case "maint", "ready", "drain" -> {
            oracle.command("set server be/" + server + " state " + parts[0]);
            s.setAdminState(AdminState.valueOf(parts[0].toUpperCase(java.util.Locale.ROOT)));
          }
          case "weight" -> {
            oracle.command("set server be/" + server + " weight " + parts[2]);
            s.setWeight(Integer.parseInt(parts[2]));
          }
          default -> throw new IllegalArgumentException(op);
        }
        theirs.add("|" + op + "|");
        mine.add("|" + op + "|");
      }
      return List.of(theirs, mine);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "roundrobin 1/2/3 n6 maint:2 n4 ready:2 n12",
      "roundrobin 1/2/3 n5 weight:3=1 n10 weight:3=6 n14",
      "roundrobin 4/3/2/1 n7 drain:1 n6 ready:1 n10",
      "roundrobin 1/1/1 n4 maint:1 maint:2 n3 ready:1 n5 ready:2 n9",
      "roundrobin 5/1/1 n3 weight:1=0 n4 weight:1=2 n9",
      "roundrobin 10/10/1 n11 maint:3 n5 ready:3 n25",
      "roundrobin 1/2/3 n5 maint:2 ready:2 n12 drain:3 weight:1=4 ready:3 n14",
      "static-rr 1/2/3 n4 maint:2 n4 ready:2 n12",
      "static-rr 4/3/2/1 n7 weight:1=0 n9 drain:2 n5 ready:2 n3 weight:1=4 n10"})
  void runtimeChangesKeepHaproxysSequence(String spec) throws Exception {
    String[] words = spec.split(" ", 3);

    List<List<String>> r = scenario(words[0], words[1], words[2]);

    assertThat(r.get(1)).as(spec).isEqualTo(r.get(0));
  }
}
