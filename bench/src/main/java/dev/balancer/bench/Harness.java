package dev.balancer.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The benchmark harness behind {@code bench/run.sh}: two nginx backends, the contenders side by side
 * (direct, HAProxy with 1 and 2 threads, nginx as a proxy, stock Jetty's BalancerServlet, our
 * balancer's runnable jar on the same haproxy.cfg HAProxy reads), wrk against each in turn, rounds
 * interleaved, medians in a Markdown table.
 *
 * <p>Options (all optional): {@code --duration S} (10), {@code --rounds N} (3), {@code --warmup S}
 * (20, per JVM contender), {@code --out DIR} (bench/out), {@code --only a,b} (contender names),
 * {@code --java-opts "..."} for every JVM contender (by default the container image's: {@code
 * -XX:+UseSerialGC -Xmx256m -XX:-UsePerfData}, the same for stock Jetty as for us), {@code --shapes
 * default|all|NAME,...} (the three keep-alive GET shapes; all of them with {@link #WAVE2}; or those
 * named). Besides the tables: each contender's first proxied answer after exec, and its RSS 30 s
 * after the load.
 */
public final class Harness {

  private static final int BACKEND1 = 18081;
  private static final int BACKEND2 = 18082;
  private static final long CLK_TCK = 100;

  /** The load tool of a shape: wrk (HTTP/1.1, optionally with a Lua script) or ab (HTTP/1.0). */
  enum Tool { WRK, AB, AB_KEEPALIVE }

  /**
   * One traffic shape: a name, the path, the connections, the tool, and for wrk the Lua script (in
   * {@link #LUA}) that shapes the requests, or null for plain keep-alive GETs.
   */
  record Scenario(String name, String path, int connections, Tool tool, String script) {
    Scenario(String name, String path, int connections) {
      this(name, path, connections, Tool.WRK, null);
    }
  }

  /** The first three: keep-alive GETs, the shapes every run measures (and the warm-up's). */
  static final List<Scenario> SCENARIOS = List.of(
      new Scenario("1 KiB c32", "/1k.html", 32),
      new Scenario("1 KiB c128", "/1k.html", 128),
      new Scenario("64 KiB c32", "/64k.bin", 32));

  /**
   * The shapes real clients send besides keep-alive GETs (issue 27's list): HTTP/1.0 with and
   * without keep-alive (ab), a new connection per request, POST bodies (Content-Length and
   * chunked, 4 KiB to 1 MiB), pipelining, large answers, many connections.
   */
  static final List<Scenario> WAVE2 = List.of(
      new Scenario("HTTP/1.0 keep-alive c32", "/1k.html", 32, Tool.AB_KEEPALIVE, null),
      new Scenario("HTTP/1.0 close c32", "/1k.html", 32, Tool.AB, null),
      new Scenario("Connection: close c32", "/1k.html", 32, Tool.WRK, "close"),
      new Scenario("POST 4 KiB c32", "/post", 32, Tool.WRK, "post4k"),
      new Scenario("POST 4 KiB chunked c32", "/post", 32, Tool.WRK, "chunked4k"),
      new Scenario("POST 64 KiB c32", "/post", 32, Tool.WRK, "post64k"),
      new Scenario("POST 1 MiB c8", "/post", 8, Tool.WRK, "post1m"),
      new Scenario("pipelined x16 c32", "/1k.html", 32, Tool.WRK, "pipeline16"),
      new Scenario("1 MiB c8", "/1m.bin", 8),
      new Scenario("1 KiB c1000", "/1k.html", 1000));

  /** The wrk scripts of {@link #WAVE2}, written into the output directory. */
  static final Map<String, String> LUA = Map.of(
      "close", "wrk.headers[\"Connection\"] = \"close\"\n",
      "post4k", post(4 * 1024),
      "post64k", post(64 * 1024),
      "post1m", post(1024 * 1024),
      "chunked4k", """
          local body = string.rep("p", 4096)
          local raw = "POST /post HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nContent-Type: application/octet-stream\\r\\n"
            .. "Transfer-Encoding: chunked\\r\\n\\r\\n" .. string.format("%x", #body) .. "\\r\\n" .. body .. "\\r\\n0\\r\\n\\r\\n"
          request = function() return raw end
          """,
      "pipeline16", """
          init = function(args)
            local r = {}
            for i = 1, 16 do r[i] = wrk.format(nil, "/1k.html") end
            req = table.concat(r)
          end
          request = function() return req end
          """);

  private static String post(int bytes) {
    return "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/octet-stream\"\n"
        + "wrk.body = string.rep(\"p\", " + bytes + ")\n";
  }

  /** One wrk run. */
  record Run(double rps, double p50ms, double p99ms, long requests, long errors, double cpuUsPerReq) {}

  /** A process under test: name, port, how to start it, which pids to read from /proc. */
  final class Contender {
    final String name;
    final int port;
    final boolean jvm;
    Process process;
    final Map<String, List<Run>> runs = new LinkedHashMap<>();
    long peakRssKb;
    long afterRssKb;
    /** From exec to the first proxied 200, in ms (-1: not measured). */
    long firstAnswerMs = -1;

    Contender(String name, int port, boolean jvm) {
      this.name = name;
      this.port = port;
      this.jvm = jvm;
    }

    List<Long> pids() {
      if (process == null) {
        return List.of();
      }
      List<Long> pids = new ArrayList<>();
      pids.add(process.pid());
      process.descendants().forEach(ph -> pids.add(ph.pid()));
      return pids;
    }
  }

  private final Path root;
  private final Path out;
  private final int duration;
  private final int rounds;
  private final int warmup;
  private final List<String> only;
  private final String javaOpts;
  /** The shapes measured after the first three, chosen with {@code --shapes}. */
  private final List<Scenario> shapes;
  private final List<Process> started = new ArrayList<>();
  private final StringBuilder notes = new StringBuilder();

  Harness(Map<String, String> opts) {
    this.root = Path.of(opts.getOrDefault("root", ".")).toAbsolutePath().normalize();
    this.out = root.resolve(opts.getOrDefault("out", "bench/out"));
    this.duration = Integer.parseInt(opts.getOrDefault("duration", "10"));
    this.rounds = Integer.parseInt(opts.getOrDefault("rounds", "3"));
    this.warmup = Integer.parseInt(opts.getOrDefault("warmup", "20"));
    this.only = opts.containsKey("only") ? Arrays.asList(opts.get("only").split(",")) : List.of();
    this.javaOpts = opts.getOrDefault("java-opts", "-XX:+UseSerialGC -Xmx256m -XX:-UsePerfData");
    this.shapes = shapes(opts.getOrDefault("shapes", "default"));
  }

  /** {@code default}: the three keep-alive GET shapes; {@code all}: those and {@link #WAVE2}; else names from both, comma-separated. */
  static List<Scenario> shapes(String option) {
    List<Scenario> every = new ArrayList<>(SCENARIOS);
    every.addAll(WAVE2);
    if (option.equals("default")) {
      return SCENARIOS;
    }
    if (option.equals("all")) {
      return every;
    }
    List<Scenario> chosen = new ArrayList<>();
    for (String name : option.split(",")) {
      chosen.add(every.stream().filter(s -> s.name.equals(name.trim())).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("no shape '" + name + "'; shapes: "
              + every.stream().map(Scenario::name).collect(Collectors.joining(", ")))));
    }
    return chosen;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    Harness h = new Harness(opts);
    Runtime.getRuntime().addShutdownHook(new Thread(h::stopAll));
    try {
      System.out.println(h.run());
    } finally {
      h.stopAll();
    }
  }

  String run() throws Exception {
    Files.createDirectories(out.resolve("www"));
    Files.writeString(out.resolve("www/1k.html"), "x".repeat(1023) + "\n");
    byte[] big = new byte[64 * 1024];
    Arrays.fill(big, (byte) 'y');
    Files.write(out.resolve("www/64k.bin"), big);
    byte[] huge = new byte[1024 * 1024];
    Arrays.fill(huge, (byte) 'z');
    Files.write(out.resolve("www/1m.bin"), huge);
    for (Map.Entry<String, String> e : LUA.entrySet()) {
      Files.writeString(out.resolve(e.getKey() + ".lua"), e.getValue());
    }

    startNginxBackend(BACKEND1);
    startNginxBackend(BACKEND2);

    List<Contender> contenders = new ArrayList<>();
    contenders.add(new Contender("direct", BACKEND1, false));
    contenders.add(new Contender("haproxy-nbthread1", 18101, false));
    contenders.add(new Contender("haproxy-nbthread2", 18102, false));
    contenders.add(new Contender("nginx-proxy", 18103, false));
    contenders.add(new Contender("jetty-stock", 18104, true));
    contenders.add(new Contender("balancer", 18105, true));
    contenders.add(new Contender("jetty-core", 18106, true));
    contenders.add(new Contender("balancer-servlet", 18107, true));
    contenders.add(new Contender("balancer-nbthread1", 18108, true));
    if (!only.isEmpty()) {
      contenders.removeIf(c -> !c.name.equals("direct") && !only.contains(c.name));
    } else {
      // the two comparisons of our own ways (Jetty's core proxy, our servlet path) run when named:
      // the default run stays within its ten minutes
      contenders.removeIf(c -> c.name.equals("jetty-core") || c.name.equals("balancer-servlet")
          || c.name.equals("balancer-nbthread1"));
    }
    Map<String, Run> firstTen = new LinkedHashMap<>();
    for (Contender c : contenders) {
      start(c);
      if (c.jvm) {
        // the first 10 s after start, cold, as a user's first minute sees it
        firstTen.put(c.name, wrk(c, SCENARIOS.get(0), 10));
      }
    }
    // JVM warm-up: all JVM contenders at once (the JIT needs work, not a quiet machine), c32 then c128
    if (warmup > 0) {
      List<Thread> warming = new ArrayList<>();
      for (Contender c : contenders) {
        if (c.jvm) {
          Thread t = new Thread(() -> {
            try {
              if (shapes == SCENARIOS) {
                wrk(c, SCENARIOS.get(0), warmup / 2);
                wrk(c, SCENARIOS.get(1), warmup - warmup / 2);
              } else {
                // every shape measured gets its share: a shape's own code (HTTP/1.0, chunked
                // bodies...) must be compiled before it is measured too
                for (Scenario s : shapes) {
                  wrk(c, s, Math.max(2, warmup / shapes.size()));
                }
              }
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
          t.start();
          warming.add(t);
        }
      }
      for (Thread t : warming) {
        t.join();
      }
    }
    for (int r = 1; r <= rounds; r++) {
      for (Scenario s : shapes) {
        for (Contender c : contenders) {
          System.err.printf("round %d/%d  %-11s %-18s", r, rounds, s.name, c.name);
          Run run = wrk(c, s, duration);
          System.err.printf(" %9.0f req/s  p99 %6.2f ms  errors %d%n", run.rps, run.p99ms, run.errors);
          c.runs.computeIfAbsent(s.name, k -> new ArrayList<>()).add(run);
        }
      }
    }
    for (Contender c : contenders) {
      c.peakRssKb = c.pids().stream().mapToLong(Harness::peakRssKb).sum();
    }
    // what each keeps once the load is gone: 30 s after the last run
    Thread.sleep(30_000);
    for (Contender c : contenders) {
      c.afterRssKb = c.pids().stream().mapToLong(Harness::rssKb).sum();
    }
    String table = table(contenders, firstTen);
    Files.writeString(out.resolve("results.md"), table);
    return table;
  }

  // ---- contenders ---------------------------------------------------------------------------

  private void start(Contender c) throws Exception {
    switch (c.name) {
      case "direct" -> {
        return;
      }
      case "haproxy-nbthread1" -> c.process = spawn(c.name, "haproxy", "-db", "-f", haproxyCfg(c.port, 1).toString());
      case "haproxy-nbthread2" -> c.process = spawn(c.name, "haproxy", "-db", "-f", haproxyCfg(c.port, 2).toString());
      case "nginx-proxy" -> c.process = spawn(c.name, "nginx", "-p", out.toString(), "-c", nginxProxyCfg(c.port).toString());
      case "jetty-stock" -> {
        List<String> cmd = java();
        cmd.addAll(List.of("-cp", root.resolve("bench/target/lb-bench.jar").toString(), StockJetty.class.getName(),
            String.valueOf(c.port), "http://127.0.0.1:" + BACKEND1, "http://127.0.0.1:" + BACKEND2));
        c.process = spawn(c.name, cmd.toArray(String[]::new));
      }
      case "jetty-core" -> {
        List<String> cmd = java();
        cmd.addAll(List.of("-cp", root.resolve("bench/target/lb-bench.jar").toString(), JettyCoreProxy.class.getName(),
            String.valueOf(c.port), "http://127.0.0.1:" + BACKEND1, "http://127.0.0.1:" + BACKEND2));
        c.process = spawn(c.name, cmd.toArray(String[]::new));
      }
      case "balancer" -> {
        List<String> cmd = java();
        cmd.addAll(List.of("-jar", root.resolve("lb-jetty/target/lb-jetty.jar").toString(),
            "-f", haproxyCfg(c.port, 2).toString()));
        c.process = spawn(c.name, cmd.toArray(String[]::new));
      }
      case "balancer-nbthread1" -> {
        // the same product reading the file HAProxy nbthread 1 reads: one selector thread
        List<String> cmd = java();
        cmd.addAll(List.of("-jar", root.resolve("lb-jetty/target/lb-jetty.jar").toString(),
            "-f", haproxyCfg(c.port, 1).toString()));
        c.process = spawn(c.name, cmd.toArray(String[]::new));
      }
      case "balancer-servlet" -> {
        // the same product with its direct HTTP/1.1 path off: every request through the servlet
        List<String> cmd = java();
        cmd.addAll(List.of("-Dbalancer.direct=false", "-jar", root.resolve("lb-jetty/target/lb-jetty.jar").toString(),
            "-f", haproxyCfg(c.port, 2).toString()));
        c.process = spawn(c.name, cmd.toArray(String[]::new));
      }
      default -> throw new IllegalArgumentException(c.name);
    }
    waitForPort(c.port, Duration.ofSeconds(30), c.process);
    c.firstAnswerMs = firstAnswer(c, Duration.ofSeconds(30));
  }

  /** Milliseconds from the contender's exec to its first 200 for GET /1k.html, asked every 10 ms. */
  private long firstAnswer(Contender c, Duration limit) throws Exception {
    long start = c.process.info().startInstant().map(i -> i.toEpochMilli()).orElse(System.currentTimeMillis());
    long deadline = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", c.port), 500);
        s.setSoTimeout(2000);
        s.getOutputStream().write("GET /1k.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            .getBytes(StandardCharsets.ISO_8859_1));
        byte[] head = s.getInputStream().readNBytes(12);
        if (new String(head, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 200")) {
          return System.currentTimeMillis() - start;
        }
      } catch (IOException e) {
        // not yet
      }
      Thread.sleep(10);
    }
    return -1;
  }

  private List<String> java() {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(Arrays.asList(javaOpts.trim().split("\\s+")));
    return cmd;
  }

  /** The one haproxy.cfg that HAProxy and our balancer both read. */
  private Path haproxyCfg(int port, int threads) throws IOException {
    Path f = out.resolve("haproxy-" + port + "-nbthread" + threads + ".cfg");
    Files.writeString(f, """
        global
            nbthread %d
            maxconn 4096

        defaults
            mode http
            timeout connect 5s
            timeout client 30s
            timeout server 30s

        frontend www
            bind 127.0.0.1:%d
            default_backend app

        # the product's features on, as users run it: health checks and cookie persistence
        # (wrk sends no cookie back, so every response gets a Set-Cookie)
        backend app
            balance roundrobin
            option httpchk GET /1k.html
            cookie SRV insert indirect nocache
            server b1 127.0.0.1:%d check inter 2s cookie b1
            server b2 127.0.0.1:%d check inter 2s cookie b2
        """.formatted(threads, port, BACKEND1, BACKEND2));
    return f;
  }

  private void startNginxBackend(int port) throws Exception {
    Path conf = out.resolve("nginx-backend-" + port + ".conf");
    Files.writeString(conf, nginxCommon(port) + """
        http {
            access_log off;
            keepalive_requests 1000000;
            client_max_body_size 8m;
            server {
                listen 127.0.0.1:%d;
                root %s;
                # the POST shapes' target: the body is read and dropped, a short answer
                location = /post { return 200 "ok\\n"; }
            }
        }
        """.formatted(port, out.resolve("www")));
    spawn("nginx-backend-" + port, "nginx", "-p", out.toString(), "-c", conf.toString());
    waitForPort(port, Duration.ofSeconds(10), started.get(started.size() - 1));
  }

  private Path nginxProxyCfg(int port) throws IOException {
    Path conf = out.resolve("nginx-proxy-" + port + ".conf");
    Files.writeString(conf, nginxCommon(port).replace("worker_processes 1;", "worker_processes 2;") + """
        http {
            access_log off;
            keepalive_requests 1000000;
            upstream app {
                server 127.0.0.1:%d;
                server 127.0.0.1:%d;
                keepalive 64;
            }
            server {
                listen 127.0.0.1:%d;
                location / {
                    proxy_pass http://app;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                }
            }
        }
        """.formatted(BACKEND1, BACKEND2, port));
    return conf;
  }

  private String nginxCommon(int port) {
    return """
        %s
        worker_processes 1;
        daemon off;
        master_process on;
        pid %s;
        error_log %s warn;
        events { worker_connections 4096; }
        """.formatted(isRoot() ? "user root root;" : "", out.resolve("nginx-" + port + ".pid"),
        out.resolve("nginx-" + port + ".error.log"));
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  private Process spawn(String name, String... cmd) throws IOException {
    Process p = new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(out.resolve(name + ".log").toFile())
        .start();
    started.add(p);
    return p;
  }

  private void waitForPort(int port, Duration limit, Process process) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    while (true) {
      if (process != null && !process.isAlive()) {
        throw new IllegalStateException("the process for port " + port + " exited with " + process.exitValue()
            + "; see its log in " + out);
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("nothing listens on port " + port + " after " + limit);
        }
        Thread.sleep(50);
      }
    }
  }

  void stopAll() {
    for (Process p : started) {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
    }
    for (Process p : started) {
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    started.clear();
  }

  // ---- measuring -----------------------------------------------------------------------------

  private Run wrk(Contender c, Scenario s, int seconds) throws Exception {
    List<Long> pids = c.pids();
    long cpuBefore = pids.stream().mapToLong(Harness::cpuTicks).sum();
    String url = "http://127.0.0.1:" + c.port + s.path;
    List<String> cmd = new ArrayList<>();
    switch (s.tool) {
      case WRK -> {
        cmd.addAll(List.of("wrk", "-t1", "-c" + s.connections, "-d" + seconds + "s", "--latency"));
        if (s.script != null) {
          cmd.addAll(List.of("-s", out.resolve(s.script + ".lua").toString()));
        }
        cmd.add(url);
      }
      // ab sends HTTP/1.0; -n after -t, else -t caps it at 50,000 requests
      case AB, AB_KEEPALIVE -> {
        cmd.addAll(List.of("ab", "-q", "-r", "-c", String.valueOf(s.connections), "-t", String.valueOf(seconds),
            "-n", "100000000"));
        if (s.tool == Tool.AB_KEEPALIVE) {
          cmd.add("-k");
        }
        cmd.add(url);
      }
    }
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    long cpuAfter = pids.stream().mapToLong(Harness::cpuTicks).sum();
    double cpuMicros = (cpuAfter - cpuBefore) * 1_000_000.0 / CLK_TCK;
    Run run = s.tool == Tool.WRK ? parseWrk(text, cpuMicros) : parseAb(text, cpuMicros);
    if (run.requests == 0) {
      notes.append("- ").append(c.name).append(" ").append(s.name).append(": wrk said: ")
          .append(text.replace('\n', ' ')).append('\n');
    }
    return pids.isEmpty() ? new Run(run.rps, run.p50ms, run.p99ms, run.requests, run.errors, Double.NaN) : run;
  }

  static Run parseWrk(String text, double cpuMicros) {
    double rps = number(text, "Requests/sec:\\s+([\\d.]+)");
    long requests = (long) number(text, "(\\d+) requests in");
    double p50 = latencyMs(text, "50%");
    double p99 = latencyMs(text, "99%");
    long errors = 0;
    Matcher m = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)").matcher(text);
    if (m.find()) {
      for (int i = 1; i <= 4; i++) {
        errors += Long.parseLong(m.group(i));
      }
    }
    errors += (long) number(text, "Non-2xx or 3xx responses: (\\d+)");
    double cpu = requests == 0 ? Double.NaN : cpuMicros / requests;
    return new Run(rps, p50, p99, requests, errors, cpu);
  }

  /** ab's report: its percentiles are whole milliseconds. */
  static Run parseAb(String text, double cpuMicros) {
    double rps = number(text, "Requests per second:\\s+([\\d.]+)");
    long requests = (long) number(text, "Complete requests:\\s+(\\d+)");
    double p50 = number(text, "\\n\\s+50%\\s+(\\d+)");
    double p99 = number(text, "\\n\\s+99%\\s+(\\d+)");
    long errors = (long) number(text, "Failed requests:\\s+(\\d+)") + (long) number(text, "Non-2xx responses:\\s+(\\d+)");
    double cpu = requests == 0 ? Double.NaN : cpuMicros / requests;
    return new Run(rps, p50, p99, requests, errors, cpu);
  }

  private static double number(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  private static double latencyMs(String text, String pct) {
    Matcher m = Pattern.compile("\\s" + Pattern.quote(pct) + "\\s+([\\d.]+)(us|ms|s)").matcher(text);
    if (!m.find()) {
      return Double.NaN;
    }
    double v = Double.parseDouble(m.group(1));
    return switch (m.group(2)) {
      case "us" -> v / 1000;
      case "s" -> v * 1000;
      default -> v;
    };
  }

  /** utime + stime of a process, in clock ticks, from /proc. */
  static long cpuTicks(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (IOException | UncheckedIOException e) {
      return 0;
    }
  }

  /** VmHWM (peak resident set) of a process, in KiB. */
  static long peakRssKb(long pid) {
    return status(pid, "VmHWM:");
  }

  /** VmRSS (resident set now) of a process, in KiB. */
  static long rssKb(long pid) {
    return status(pid, "VmRSS:");
  }

  private static long status(long pid, String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
        if (line.startsWith(field)) {
          return Long.parseLong(line.replaceAll("\\D+", ""));
        }
      }
    } catch (IOException e) {
      // gone
    }
    return 0;
  }

  // ---- reporting -----------------------------------------------------------------------------

  private String table(List<Contender> contenders, Map<String, Run> firstTen) {
    Contender direct = contenders.stream().filter(c -> c.name.equals("direct")).findFirst().orElse(null);
    Contender haproxy = contenders.stream().filter(c -> c.name.equals("haproxy-nbthread2")).findFirst().orElse(null);
    StringBuilder b = new StringBuilder();
    b.append("Run of ").append(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")))
        .append(" on ").append(machine()).append("; wrk -t1 (keep-alive unless the shape says otherwise), ab for HTTP/1.0, ").append(duration)
        .append(" s per run, ").append(rounds).append(" rounds interleaved, medians; JVM contenders ")
        .append(javaOpts).append(", warmed up ").append(warmup).append(" s.\n\n");
    for (Scenario s : shapes) {
      b.append("### ").append(s.name).append(" (").append(s.path).append(s.tool == Tool.WRK ? "" : ", ab")
          .append(s.script == null ? "" : ", " + s.script + ".lua").append(")\n\n");
      b.append("| contender | req/s | × direct | × HAProxy nbthread 2 | p50 ms | p99 ms | errors | CPU µs/req | peak RSS MB |\n");
      b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
      for (Contender c : contenders) {
        List<Run> runs = c.runs.getOrDefault(s.name, List.of());
        if (runs.isEmpty()) {
          continue;
        }
        double rps = median(runs.stream().mapToDouble(Run::rps).toArray());
        b.append(String.format(Locale.ROOT, "| %s | %.0f | %s | %s | %.2f | %.2f | %d | %s | %s |%n",
            c.name, rps, ratio(rps, direct, s), ratio(rps, haproxy, s),
            median(runs.stream().mapToDouble(Run::p50ms).toArray()),
            median(runs.stream().mapToDouble(Run::p99ms).toArray()),
            runs.stream().mapToLong(Run::errors).sum(),
            c.process == null ? "-" : String.format(Locale.ROOT, "%.0f", median(runs.stream().mapToDouble(Run::cpuUsPerReq).toArray())),
            c.process == null ? "-" : String.valueOf(c.peakRssKb / 1024)));
      }
      b.append('\n');
    }
    if (!firstTen.isEmpty()) {
      b.append("First 10 s after start (cold JVM), 1 KiB c32: ");
      b.append(firstTen.entrySet().stream()
          .map(e -> String.format(Locale.ROOT, "%s %.0f req/s", e.getKey(), e.getValue().rps))
          .collect(Collectors.joining(", ")));
      b.append(".\n");
    }
    b.append("\nFirst proxied answer after exec (ms): ").append(contenders.stream().filter(c -> c.process != null)
        .map(c -> c.name + " " + c.firstAnswerMs).collect(Collectors.joining(", "))).append(".\n");
    b.append("RSS 30 s after the load (MB; peak in the tables): ").append(contenders.stream()
        .filter(c -> c.process != null).map(c -> c.name + " " + c.afterRssKb / 1024).collect(Collectors.joining(", ")))
        .append(".\n");
    if (notes.length() > 0) {
      b.append("\nNotes:\n").append(notes);
    }
    return b.toString();
  }

  private static String ratio(double rps, Contender base, Scenario s) {
    if (base == null || base.runs.get(s.name) == null) {
      return "-";
    }
    double baseRps = median(base.runs.get(s.name).stream().mapToDouble(Run::rps).toArray());
    return baseRps == 0 ? "-" : String.format(Locale.ROOT, "%.2f", rps / baseRps);
  }

  static double median(double[] values) {
    double[] v = Arrays.stream(values).filter(d -> !Double.isNaN(d)).sorted().toArray();
    if (v.length == 0) {
      return Double.NaN;
    }
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static String machine() {
    String cpu = "unknown CPU";
    try {
      cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
          .findFirst().map(l -> l.substring(l.indexOf(':') + 2)).orElse(cpu);
    } catch (IOException ignored) {
      // keep the default
    }
    return Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), Java "
        + System.getProperty("java.version") + ", " + version("haproxy", "-v") + ", " + version("nginx", "-v");
  }

  private static String version(String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String first = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().findFirst().orElse("");
      p.waitFor();
      Matcher m = Pattern.compile("version:? (?:nginx/)?([\\w.\\-]+)").matcher(first);
      return cmd[0] + " " + (m.find() ? m.group(1) : first);
    } catch (Exception e) {
      return cmd[0] + " (absent)";
    }
  }

  static boolean portFree(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
