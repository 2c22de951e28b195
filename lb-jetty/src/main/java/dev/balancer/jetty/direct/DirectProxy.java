package dev.balancer.jetty.direct;

import dev.balancer.jetty.log.AccessLog;
import dev.balancer.jetty.listen.RequestTimeoutConnectionFactory;
import com.google.common.net.InetAddresses;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.util.component.ContainerLifeCycle;
import org.eclipse.jetty.util.component.Graceful;

/**
 * The standalone server's own HTTP/1.1 proxy path: plain keep-alive requests are read, decided by
 * the same {@link Balancer} and forwarded over pooled server connections with no servlet, no
 * {@code HttpClient} and no thread hand-off: an exchange runs on the selector thread of its client
 * connection from start to end, its server connection being on the same selector ({@link
 * DirectConnector}), as HAProxy keeps a stream on one thread. The head is parsed, the body bytes are copied as they are.
 *
 * <p>Whatever it does not take on, it leaves to the {@link dev.balancer.jetty.BalancerServlet} on the same connection
 * (Jetty's {@code HttpConnection} takes over with the bytes already read): upgrades (WebSocket),
 * {@code Expect}, chunked or large request bodies, HTTP/1.0, absolute targets, the stats page and
 * the exporter, and any head it does not parse strictly. So every feature behaves as it does through
 * the servlet; only the common request is faster.
 */
public final class DirectProxy extends ContainerLifeCycle implements Graceful {

  /** The system property that turns the direct path off ({@code -Dbalancer.direct=false}). */
  public static final String ENABLED_PROPERTY = "balancer.direct";

  public static boolean enabled() {
    return !"false".equals(System.getProperty(ENABLED_PROPERTY));
  }

  public final Balancer balancer;
  public final AccessLog accessLog;
  /** How long an idle pooled server connection is kept. */
  public static final long POOLED_IDLE_MILLIS = 30_000;
  private final Map<String, InetSocketAddress> addresses = new ConcurrentHashMap<>();
  /** Until the server sets it from the configuration: its default, 5 s. */
  private volatile long connectTimeoutMillis = 5_000;
  public final Set<DirectConnection> connections = ConcurrentHashMap.newKeySet();
  private final AtomicInteger exchanges = new AtomicInteger();
  /** Read buffers held by client connections and by server connections, over all lanes. */
  public final LongAdder clientBuffersHeld = new LongAdder();
  public final LongAdder serverBuffersHeld = new LongAdder();
  public final LongAdder outBuffersHeld = new LongAdder();
  /** Requests this path carried, and connections it left to the servlet (for tests and the stats). */
  public final LongAdder carried = new LongAdder();
  public final LongAdder handedOver = new LongAdder();
  private volatile CompletableFuture<Void> shutdown;

  public DirectProxy(Balancer balancer, AccessLog accessLog) {
    this.balancer = balancer;
    this.accessLog = accessLog;
  }

  /** Selector lanes of all listeners: they share out the free buffers kept between requests. */
  public final AtomicInteger lanes = new AtomicInteger();

  /**
   * A lane's read buffers for its client connections; all lanes together keep up to 1,024 free ones
   * (16 MiB) between requests. Heap, though a direct one would save the JDK a copy per read: a
   * connection that closes drops its buffer (a read may still be under way), and clients that close
   * after each request would make that an allocateDirect per connection, freed only by a collection.
   */
  public BufferCache clientBuffers() {
    return new BufferCache(DirectConnection.BUFFER, false, () -> 1024 / Math.max(1, lanes.get()), clientBuffersHeld);
  }

  /** A lane's read buffers for its server connections (direct: only copied out); 256 kept in all. */
  public BufferCache serverBuffers() {
    return new BufferCache(ServerLink.BUFFER, true, () -> 256 / Math.max(1, lanes.get()), serverBuffersHeld);
  }

  /**
   * A lane's buffers where a server connection puts what it writes in one piece (a request, an
   * answer's head with the start of its body); held as its read buffer is; 256 kept in all.
   */
  public BufferCache outBuffers() {
    return new BufferCache(ServerLink.OUT, true, () -> 256 / Math.max(1, lanes.get()), outBuffersHeld);
  }

  public void setConnectTimeout(Duration timeout) {
    connectTimeoutMillis = timeout.toMillis();
  }

  public long connectTimeoutMillis() {
    return connectTimeoutMillis;
  }

  /** A listener whose plain requests take this path; the rest goes to Jetty's HTTP/1.1 on the same connection. */
  public DirectConnector connector(org.eclipse.jetty.server.Server server, int selectors,
      RequestTimeoutConnectionFactory fallback) {
    return new DirectConnector(server, selectors, this, new Factory(fallback));
  }

  public final class Factory extends AbstractConnectionFactory {
    public final RequestTimeoutConnectionFactory fallback;

    Factory(RequestTimeoutConnectionFactory fallback) {
      super(fallback.getProtocol());
      this.fallback = fallback;
      // Jetty's connection takes over what we read: its buffer must hold all of ours, or bytes are lost
      fallback.setInputBufferSize(Math.max(fallback.getInputBufferSize(), DirectConnection.BUFFER));
      addBean(fallback);
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
      if (!(endPoint instanceof DirectConnector.LaneEndPoint ends)) {
        return fallback.newConnection(connector, endPoint);
      }
      RequestTimeoutConnectionFactory.Timeouts t = fallback.timeouts();
      endPoint.setIdleTimeout(0); // the connection checks its timeouts on lb-core's clock itself
      return new DirectConnection(DirectProxy.this, connector, ends, fallback, t);
    }
  }

  /** Where a server is: the key of its pooled connections, unresolved when it is a name. */
  public InetSocketAddress address(BackendServer server) {
    return addresses.computeIfAbsent(server.address(), a -> {
      // host and port as lb-config parsed them (brackets of an IPv6 address already gone)
      String host = server.host().isEmpty() ? "127.0.0.1" : server.host();
      int port = server.port();
      // an address is used as it is; a name is looked up at each new connection, off the selector
      // (the JVM's cache keeps it for its TTL), as the servlet's HttpClient does
      return InetAddresses.isInetAddress(host) ? new InetSocketAddress(host, port)
          : InetSocketAddress.createUnresolved(host, port);
    });
  }

  /** Gives a connection back to its lane's pool once its exchange ended cleanly. */
  public void release(ServerLink link) {
    if (shutdown != null || !isRunning()) {
      link.close();
      return;
    }
    link.lane().park(link);
  }

  public void exchangeBegins() {
    exchanges.incrementAndGet();
  }

  public void exchangeEnds() {
    if (exchanges.decrementAndGet() == 0 && shutdown != null) {
      shutdown.complete(null);
    }
  }

  /** Closes the idle connections of a listener that is going away; the busy ones close after their exchange. */
  public void closeIdle(Connector connector) {
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
    super.doStop();
  }

  @Override
  protected void doStart() throws Exception {
    shutdown = null;
    super.doStart();
  }

  public static IOException closed() {
    return new IOException("connection closed");
  }
}
