package dev.balancer.jetty;

import dev.balancer.core.Balancer;
import dev.balancer.core.BackendServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.ClientConnectionFactory;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.component.ContainerLifeCycle;
import org.eclipse.jetty.util.component.Graceful;

/**
 * The standalone server's own HTTP/1.1 proxy path: plain keep-alive requests are read, decided by
 * the same {@link Balancer} and forwarded over pooled server connections with no servlet, no
 * {@code HttpClient} and no thread hand-off (everything runs on Jetty's selector threads, as HAProxy
 * runs on its event loops). The head is parsed, the body bytes are copied as they are.
 *
 * <p>Whatever it does not take on, it leaves to the {@link BalancerServlet} on the same connection
 * (Jetty's {@code HttpConnection} takes over with the bytes already read): upgrades (WebSocket),
 * {@code Expect}, chunked or large request bodies, HTTP/1.0, absolute targets, the stats page and
 * the exporter, and any head it does not parse strictly. So every feature behaves as it does through
 * the servlet; only the common request is faster.
 */
final class DirectProxy extends ContainerLifeCycle implements Graceful {

  /** The system property that turns the direct path off ({@code -Dbalancer.direct=false}). */
  static final String ENABLED_PROPERTY = "balancer.direct";

  static boolean enabled() {
    return !"false".equals(System.getProperty(ENABLED_PROPERTY));
  }

  final Balancer balancer;
  final AccessLog accessLog;
  final TrafficStats traffic;
  final ClientConnector client = new ClientConnector();
  private final Map<String, InetSocketAddress> addresses = new ConcurrentHashMap<>();
  private final Map<InetSocketAddress, ConcurrentLinkedDeque<ServerLink>> idle = new ConcurrentHashMap<>();
  final Set<DirectConnection> connections = ConcurrentHashMap.newKeySet();
  private final AtomicInteger exchanges = new AtomicInteger();
  /** Requests this path carried, and connections it left to the servlet (for tests and the stats). */
  final java.util.concurrent.atomic.LongAdder carried = new java.util.concurrent.atomic.LongAdder();
  final java.util.concurrent.atomic.LongAdder handedOver = new java.util.concurrent.atomic.LongAdder();
  private volatile CompletableFuture<Void> shutdown;

  DirectProxy(Balancer balancer, AccessLog accessLog, TrafficStats traffic) {
    this.balancer = balancer;
    this.accessLog = accessLog;
    this.traffic = traffic;
    client.setSelectors(Integer.getInteger("balancer.client.selectors", 1));
    client.setConnectTimeout(BalancerServer.DEFAULT_CONNECT_TIMEOUT);
    client.setTCPNoDelay(true);
    addBean(client);
  }

  void setConnectTimeout(Duration timeout) {
    client.setConnectTimeout(timeout);
  }

  /** The factory of a listener's connections: ours first, Jetty's HTTP/1.1 for what we leave. */
  Factory factory(RequestTimeoutConnectionFactory fallback) {
    return new Factory(fallback);
  }

  final class Factory extends AbstractConnectionFactory {
    final RequestTimeoutConnectionFactory fallback;

    Factory(RequestTimeoutConnectionFactory fallback) {
      super(fallback.getProtocol());
      this.fallback = fallback;
      // Jetty's connection takes over what we read: its buffer must hold all of ours, or bytes are lost
      fallback.setInputBufferSize(Math.max(fallback.getInputBufferSize(), DirectConnection.BUFFER));
      addBean(fallback);
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
      RequestTimeoutConnectionFactory.Timeouts t = fallback.timeouts();
      endPoint.setIdleTimeout(t.shortest());
      return new DirectConnection(DirectProxy.this, connector, endPoint, fallback, t);
    }
  }

  InetSocketAddress address(BackendServer server) {
    return addresses.computeIfAbsent(server.address(), a -> {
      int colon = a.lastIndexOf(':');
      String host = a.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      return new InetSocketAddress(host.isEmpty() ? "127.0.0.1" : host, Integer.parseInt(a.substring(colon + 1)));
    });
  }

  /** A pooled connection to the address, or null. */
  ServerLink pooled(InetSocketAddress address) {
    ConcurrentLinkedDeque<ServerLink> q = idle.get(address);
    if (q == null) {
      return null;
    }
    for (ServerLink link; (link = q.pollLast()) != null; ) {
      if (link.claim()) {
        return link;
      }
    }
    return null;
  }

  /** Gives a connection back to the pool once its exchange ended cleanly. */
  void release(ServerLink link) {
    if (shutdown != null || !isRunning()) {
      link.close();
      return;
    }
    idle.computeIfAbsent(link.address(), k -> new ConcurrentLinkedDeque<>()).offerLast(link);
  }

  void forget(ServerLink link) {
    ConcurrentLinkedDeque<ServerLink> q = idle.get(link.address());
    if (q != null) {
      q.remove(link);
    }
  }

  /** Opens a new connection to a server; the promise is completed on a selector thread. */
  void connect(InetSocketAddress address, Promise<ServerLink> promise) {
    ClientConnectionFactory factory = (endPoint, context) -> new ServerLink(this, endPoint, address);
    Map<String, Object> context = new java.util.HashMap<>(4);
    context.put(ClientConnectionFactory.CONTEXT_KEY, factory);
    context.put(org.eclipse.jetty.io.Transport.CONTEXT_KEY, org.eclipse.jetty.io.Transport.TCP_IP);
    context.put(ClientConnector.CONNECTION_PROMISE_CONTEXT_KEY, new Promise<Connection>() {
      @Override
      public void succeeded(Connection connection) {
        promise.succeeded((ServerLink) connection);
      }

      @Override
      public void failed(Throwable x) {
        promise.failed(x);
      }
    });
    client.connect(address, context);
  }

  void exchangeBegins() {
    exchanges.incrementAndGet();
  }

  void exchangeEnds() {
    if (exchanges.decrementAndGet() == 0 && shutdown != null) {
      shutdown.complete(null);
    }
  }

  /** Closes the idle connections of a listener that is going away; the busy ones close after their exchange. */
  void closeIdle(Connector connector) {
    for (DirectConnection c : List.copyOf(connections)) {
      if (c.connector() == connector) {
        c.closeIfIdle();
      }
    }
  }

  @Override
  public CompletableFuture<Void> shutdown() {
    CompletableFuture<Void> s = shutdown;
    if (s == null) {
      s = new CompletableFuture<>();
      shutdown = s;
      for (DirectConnection c : List.copyOf(connections)) {
        c.closeIfIdle();
      }
      if (exchanges.get() == 0) {
        s.complete(null);
      }
    }
    return s;
  }

  @Override
  public boolean isShutdown() {
    return shutdown != null;
  }

  @Override
  protected void doStop() throws Exception {
    for (DirectConnection c : List.copyOf(connections)) {
      c.getEndPoint().close();
    }
    for (ConcurrentLinkedDeque<ServerLink> q : idle.values()) {
      for (ServerLink l; (l = q.poll()) != null; ) {
        l.close();
      }
    }
    super.doStop();
  }

  @Override
  protected void doStart() throws Exception {
    shutdown = null;
    super.doStart();
  }

  static IOException closed() {
    return new IOException("connection closed");
  }
}
