package dev.balancer.jetty;

import dev.balancer.jetty.direct.DirectProxy;
import dev.balancer.jetty.log.AccessLog;
import dev.balancer.jetty.listen.ClientPhase;
import dev.balancer.jetty.listen.RequestTimeoutConnectionFactory;
import dev.balancer.config.model.Backend;
import dev.balancer.config.model.Bind;
import dev.balancer.config.model.Config;
import dev.balancer.config.model.Frontend;
import dev.balancer.core.Balancer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standalone balancer: a Jetty server with one connector per {@code bind} of every frontend,
 * all serving one {@link BalancerServlet}.
 *
 * <pre>{@code
 * try (BalancerServer server = BalancerServer.start(ConfigLoader.load(Path.of("haproxy.cfg")).orThrow())) {
 *   int port = server.port("www");
 *   ...
 *   server.apply(newConfig);   // a reload: new binds open, removed ones close, nothing restarts
 * }
 * }</pre>
 */
public final class BalancerServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(BalancerServer.class);

  /** Connect timeout when no backend sets {@code timeout connect}. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** Idle timeout of client connections when a frontend sets no {@code timeout client}. */
  public static final Duration DEFAULT_CLIENT_TIMEOUT = Duration.ofSeconds(30);

  /**
   * How long {@link #close()} lets requests in flight finish when the configuration sets no
   * {@code hard-stop-after} (global).
   */
  public static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  /** How long a listener removed by a reload lets its connections finish before it closes them. */
  public static final Duration LISTENER_GRACE = Duration.ofSeconds(10);

  private final Balancer balancer;
  private final Server server;
  private final BalancerServlet servlet;
  private final AccessLog accessLog;
  /** Our own HTTP/1.1 path, null when turned off: it leaves to the servlet what it does not take on. */
  private final DirectProxy direct;
  private final HttpConfiguration httpConfig = new HttpConfiguration();
  private final Map<BindKey, ServerConnector> connectors = new LinkedHashMap<>();

  /** A listener's identity: its address; {@code nth} tells apart repeated binds such as two {@code :0}. */
  private record BindKey(String host, int port, int nth) {
    String display() {
      return (host.isEmpty() ? "*" : host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
  }

  private BalancerServer(Config config, java.util.function.Consumer<String> accessLog, dev.balancer.core.Scheduler clock) {
    this.balancer = Balancer.create(config, new java.util.SplittableRandom(), clock);
    QueuedThreadPool pool = new QueuedThreadPool(Integer.getInteger("balancer.threads.max", 200),
        Integer.getInteger("balancer.threads.min", 8));
    pool.setReservedThreads(Integer.getInteger("balancer.threads.reserved", -1));
    pool.setName("balancer");
    this.server = new Server(pool);
    server.setStopTimeout(config.global().hardStopAfter().orElse(STOP_TIMEOUT).toMillis());
    httpConfig.setSendServerVersion(false);
    // a bare LF as line end is how requests get smuggled past proxies that read lines differently
    httpConfig.setHttpCompliance(HttpCompliance.RFC9110.without("RFC9110_STRICT_LF",
        HttpCompliance.Violation.LF_HEADER_TERMINATION, HttpCompliance.Violation.LF_CHUNK_TERMINATION));
    httpConfig.setSendDateHeader(false);
    this.servlet = BalancerServlet.byConnector(balancer);
    ServletContextHandler context = new ServletContextHandler("/");
    ServletHolder holder = new ServletHolder("balancer", servlet);
    holder.setAsyncSupported(true);
    context.addServlet(holder, "/*");
    server.setHandler(new GracefulHandler(context));
    this.accessLog = new AccessLog(balancer, accessLog);
    TrafficStats traffic = new TrafficStats(balancer);
    AccessLog log = this.accessLog;
    this.direct = DirectProxy.enabled() ? new DirectProxy(balancer, this.accessLog) : null;
    if (direct != null) {
      server.addBean(direct);
    }
    server.setRequestLog((request, response) -> {
      traffic.log(request, response);
      log.log(request, response);
    });
  }

  /** Where access-log lines go when embedded: the SLF4J logger {@code dev.balancer.access}, at INFO. */
  static final java.util.function.Consumer<String> SLF4J_ACCESS_LOG =
      org.slf4j.LoggerFactory.getLogger("dev.balancer.access")::info;

  /**
   * Starts a balancer serving the configuration: binds every frontend's addresses.
   *
   * @throws Exception when an address cannot be bound; nothing is left running then
   */
  public static BalancerServer start(Config config) throws Exception {
    return start(config, SLF4J_ACCESS_LOG);
  }

  /**
   * As {@link #start(Config)}, writing the access log ({@code option httplog} frontends) to {@code
   * accessLog}: the command line passes standard output, as HAProxy's {@code log stdout} does.
   */
  public static BalancerServer start(Config config, java.util.function.Consumer<String> accessLog) throws Exception {
    return start(config, accessLog, dev.balancer.core.Scheduler.system());
  }

  /**
   * As {@link #start(Config, java.util.function.Consumer)}, on {@code clock}: the balancer's timers
   * (queues, tarpits, retries' waits, checks) and the client side's timeouts ({@code timeout
   * http-request}, {@code http-keep-alive}, {@code client}) run on it, so a test can drive them.
   */
  public static BalancerServer start(Config config, java.util.function.Consumer<String> accessLog,
      dev.balancer.core.Scheduler clock) throws Exception {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(accessLog, "accessLog");
    Objects.requireNonNull(clock, "clock");
    BalancerServer s = new BalancerServer(config, accessLog, clock);
    try {
      s.server.start();
      s.setConnectTimeout(config);
      s.openConnectors(config);
    } catch (Exception e) {
      s.server.stop();
      throw e;
    }
    return s;
  }

  /** The stats page and admin API (give it the file reloader to enable reloads from the API). */
  public dev.balancer.jetty.stats.StatsService statsService() {
    return servlet.statsService();
  }

  /** The meters, served by {@code http-request use-service prometheus-exporter}. */
  public dev.balancer.jetty.metrics.BalancerMetrics metrics() {
    return servlet.metrics();
  }

  /** The direct HTTP/1.1 path, or null when it is turned off. */
  DirectProxy direct() {
    return direct;
  }

  /** The balancer deciding where requests go. */
  public Balancer balancer() {
    return balancer;
  }

  /** The ports a frontend listens on, in {@code bind} order (the real ones when a bind said 0). */
  public synchronized List<Integer> ports(String frontend) {
    List<Integer> ports = new ArrayList<>();
    connectors.forEach((k, c) -> {
      if (frontend.equals(c.getName())) {
        ports.add(c.getLocalPort());
      }
    });
    return ports;
  }

  /** How many selector threads a frontend's first listener runs. */
  synchronized int selectorCount(String frontend) {
    return connectors.values().stream().filter(c -> frontend.equals(c.getName())).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("frontend '" + frontend + "' has no listener"))
        .getSelectorManager().getSelectorCount();
  }

  /** How many client connections a frontend's listeners hold open now. */
  synchronized int openConnections(String frontend) {
    return connectors.values().stream().filter(c -> frontend.equals(c.getName()))
        .mapToInt(c -> c.getConnectedEndPoints().size()).sum();
  }

  /** Where each client connection of a frontend is, as its timeouts see it. */
  synchronized List<ClientPhase> clientPhases(String frontend) {
    return connectors.values().stream().filter(c -> frontend.equals(c.getName()))
        .flatMap(c -> c.getConnectedEndPoints().stream())
        .map(e -> e.getConnection() instanceof ClientPhase.Aware a ? a.phase() : ClientPhase.DONE).toList();
  }

  /** The first port a frontend listens on. */
  public int port(String frontend) {
    List<Integer> ports = ports(frontend);
    if (ports.isEmpty()) {
      throw new IllegalArgumentException("frontend '" + frontend + "' has no listener");
    }
    return ports.get(0);
  }

  /**
   * Applies a new configuration without restarting: binds the new addresses first (if one cannot be
   * bound, nothing changes and the exception says why), swaps the balancer's state in one step,
   * starts accepting on the new addresses, then closes the ones that went away, letting their
   * requests finish. A listener is identified by its address, so renaming a frontend or moving an
   * address to another frontend keeps the socket.
   */
  public synchronized void apply(Config config) throws Exception {
    Objects.requireNonNull(config, "config");
    Map<BindKey, String> wanted = binds(config);
    Map<BindKey, ServerConnector> opened = new LinkedHashMap<>();
    try {
      for (Map.Entry<BindKey, String> e : wanted.entrySet()) {
        if (!connectors.containsKey(e.getKey())) {
          opened.put(e.getKey(), bind(e.getKey(), e.getValue(), config));
        }
      }
    } catch (Exception e) {
      opened.values().forEach(ServerConnector::close);
      throw e;
    }
    balancer.apply(config);
    setConnectTimeout(config);
    wanted.forEach((key, frontend) -> {
      ServerConnector c = connectors.get(key);
      if (c != null) {
        c.setName(frontend);
        c.setIdleTimeout(clientSide(config, frontend).shortest());
        if (c.getDefaultConnectionFactory() instanceof RequestTimeoutConnectionFactory f) {
          f.setTimeouts(clientSide(config, frontend));
        } else if (c.getDefaultConnectionFactory() instanceof DirectProxy.Factory f) {
          f.fallback.setTimeouts(clientSide(config, frontend));
        }
      }
    });
    for (Map.Entry<BindKey, ServerConnector> e : opened.entrySet()) {
      accept(e.getKey(), e.getValue());
    }
    for (BindKey k : List.copyOf(connectors.keySet())) {
      if (!wanted.containsKey(k)) {
        close(k, LISTENER_GRACE);
      }
    }
  }

  private void openConnectors(Config config) throws Exception {
    for (Map.Entry<BindKey, String> e : binds(config).entrySet()) {
      accept(e.getKey(), bind(e.getKey(), e.getValue(), config));
    }
  }

  /**
   * A listener's selector threads: {@code nbthread} when the file sets it, as HAProxy runs that
   * many threads, but no more than the cores (HAProxy's threads serve every listener; here each
   * listener has its own selectors, so a large {@code nbthread} times many listeners must not
   * exhaust the thread pool); else one per core (up to 4 per listener) on the direct path, where
   * each exchange runs on one selector thread, and Jetty's default (half as many) for the servlet.
   * The system property {@code balancer.selectors} overrides both. A listener keeps its count
   * until it is opened again (a restart, or a reload that moves it).
   */
  private int selectors(Config config) {
    int fromFile = config.global().nbthread().orElse(-1);
    int cores = Runtime.getRuntime().availableProcessors();
    int otherwise = fromFile > 0 ? Math.min(fromFile, cores)
        : direct == null ? -1 : Math.min(4, cores);
    return Integer.getInteger("balancer.selectors", otherwise);
  }

  /** Binds the address without accepting yet. */
  private ServerConnector bind(BindKey key, String frontend, Config config) throws Exception {
    RequestTimeoutConnectionFactory http =
        new RequestTimeoutConnectionFactory(httpConfig, clientSide(config, frontend), accessLog::timedOut,
            balancer.scheduler());
    int selectors = selectors(config);
    ServerConnector c = direct == null ? RequestTimeoutConnectionFactory.servletConnector(server, selectors, http)
        : direct.connector(server, selectors, http);
    c.setName(frontend);
    c.setHost(key.host.isEmpty() ? null : key.host);
    c.setPort(key.port);
    c.setIdleTimeout(clientSide(config, frontend).shortest());
    try {
      c.open();
    } catch (Exception e) {
      c.close();
      throw new java.io.IOException("cannot bind " + key.display() + " for frontend '" + frontend + "': "
          + e.getMessage(), e);
    }
    return c;
  }

  private void accept(BindKey key, ServerConnector c) throws Exception {
    server.addConnector(c);
    if (!c.isStarted()) {
      c.start();
    }
    connectors.put(key, c);
    LOG.info("frontend '{}' listening on {}", c.getName(), key.display().replace(":0", ":" + c.getLocalPort()));
  }

  private void close(BindKey key, Duration grace) {
    ServerConnector c = connectors.remove(key);
    if (c == null) {
      return;
    }
    LOG.info("frontend '{}' stops listening on {}", c.getName(), key.display());
    if (direct != null) {
      // after shutdown() below: a connection closes once its exchange ends, an idle one now
      c.getExecutor().execute(() -> direct.closeIdle(c));
    }
    c.shutdown().orTimeout(grace.toMillis() + 1, TimeUnit.MILLISECONDS).whenComplete((ok, failure) -> {
      try {
        c.stop();
      } catch (Exception e) {
        LOG.warn("stopping the listener on {}", key.display(), e);
      }
      server.removeConnector(c);
    });
  }

  /** Every listening address of the configuration and the frontend it belongs to. */
  private static Map<BindKey, String> binds(Config config) {
    Map<BindKey, String> m = new LinkedHashMap<>();
    for (Frontend fe : config.frontends()) {
      for (Bind b : fe.binds()) {
        String host = b.host().equals("0.0.0.0") ? "" : b.host();
        int nth = 0;
        while (m.containsKey(new BindKey(host, b.port(), nth))) {
          nth++;
        }
        m.put(new BindKey(host, b.port(), nth), fe.name());
      }
    }
    return m;
  }

  private static Duration clientTimeout(Config config, String frontend) {
    return config.frontend(frontend).flatMap(f -> f.timeouts().client()).orElse(DEFAULT_CLIENT_TIMEOUT);
  }

  /**
   * {@code timeout client}; {@code timeout http-request}, else the client's; {@code timeout
   * http-keep-alive}, else http-request's: HAProxy's defaults.
   */
  private static RequestTimeoutConnectionFactory.Timeouts clientSide(Config config, String frontend) {
    Duration client = clientTimeout(config, frontend);
    var t = config.frontend(frontend).map(f -> f.timeouts());
    Duration httpRequest = t.flatMap(x -> x.get(dev.balancer.config.model.TimeoutKind.HTTP_REQUEST)).orElse(client);
    Duration keepAlive = t.flatMap(x -> x.get(dev.balancer.config.model.TimeoutKind.HTTP_KEEP_ALIVE)).orElse(httpRequest);
    return new RequestTimeoutConnectionFactory.Timeouts(client.toMillis(), httpRequest.toMillis(), keepAlive.toMillis());
  }

  private void setConnectTimeout(Config config) {
    servlet.setConnectTimeout(connectTimeout(config));
    if (direct != null) {
      direct.setConnectTimeout(connectTimeout(config));
    }
  }

  private static Duration connectTimeout(Config config) {
    return config.backends().stream()
        .map(Backend::timeouts)
        .flatMap(t -> t.connect().stream())
        .max(Duration::compareTo)
        .orElse(DEFAULT_CONNECT_TIMEOUT);
  }

  /**
   * Stops accepting, lets requests in flight finish (up to {@code hard-stop-after}, default {@link
   * #STOP_TIMEOUT}), then stops.
   */
  @Override
  public void close() throws Exception {
    try {
      server.stop();
    } finally {
      balancer.close();
    }
  }

  /** Blocks until the server has stopped. */
  public void join() throws InterruptedException {
    server.join();
  }
}
