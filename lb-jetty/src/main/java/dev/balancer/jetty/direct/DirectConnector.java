package dev.balancer.jetty.direct;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SelectorManager;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * A listener whose direct connections open their server connections on their own selector, so that
 * an exchange (read the request, write it to the server, read the answer, write it to the client)
 * runs on one thread from start to end, as HAProxy keeps both sides of a stream on one thread. With
 * a separate client-side selector every request would wake a second thread and cross back.
 *
 * <p>Each selector is a {@link Lane}: the client connections it accepted, the pool of idle server
 * connections they share, and their read buffers. A lane's server connections are closed with the listener's selectors.
 */
public final class DirectConnector extends ServerConnector {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DirectConnector.class);

  private final DirectProxy proxy;
  private final Map<ManagedSelector, Lane> lanes = new ConcurrentHashMap<>();
  private Manager manager;

  DirectConnector(Server server, int selectors, DirectProxy proxy, DirectProxy.Factory factory) {
    super(server, -1, selectors, factory);
    this.proxy = proxy;
  }

  /**
   * As the servlet path's listener: the connections the direct path handed to Jetty's HTTP/1
   * (an upgrade, a stats page) close at once too when idle (DirectProxy closes its own).
   */
  @Override
  public java.util.concurrent.CompletableFuture<Void> shutdown() {
    java.util.concurrent.CompletableFuture<Void> done = super.shutdown();
    dev.balancer.jetty.listen.RequestTimeoutConnectionFactory.closeIdle(this);
    return done;
  }

  @Override
  protected void doStop() throws Exception {
    super.doStop();
    // its lanes' share of the kept buffers goes to the other listeners' lanes
    proxy.lanes.addAndGet(-lanes.size());
    lanes.clear();
  }

  @Override
  protected SelectorManager newSelectorManager(Executor executor, Scheduler scheduler, int selectors) {
    // a connect's timeout ('timeout connect') waits on lb-core's clock; the end points keep Jetty's
    // scheduler for the idle timeouts Jetty measures on the system's clock
    manager = new Manager(executor, new dev.balancer.jetty.listen.ClockScheduler(() -> proxy.balancer.scheduler()), selectors);
    return manager;
  }

  @Override
  protected SocketChannelEndPoint newEndPoint(SocketChannel channel, ManagedSelector selector, SelectionKey key) {
    Lane lane = lanes.get(selector);
    if (lane == null) {
      lane = lanes.computeIfAbsent(selector, s -> {
        proxy.lanes.incrementAndGet();
        return new Lane(manager, s, proxy.clientBuffers(), proxy.serverBuffers(), proxy.outBuffers());
      });
    }
    LaneEndPoint endPoint = new LaneEndPoint(channel, selector, key, getScheduler(), lane);
    endPoint.setIdleTimeout(getIdleTimeout());
    return endPoint;
  }

  /**
   * An end point of the direct path, client or server side: Jetty's, but one buffer is flushed with
   * a plain write(). Jetty always gathers (writev), which costs the JDK a thread-local iovec per
   * write even for one buffer, and the direct path writes one buffer nearly always.
   */
  static class DirectEndPoint extends SocketChannelEndPoint {
    DirectEndPoint(SocketChannel channel, ManagedSelector selector, SelectionKey key, Scheduler scheduler) {
      super(channel, selector, key, scheduler);
    }

    @Override
    public boolean flush(ByteBuffer... buffers) throws IOException {
      if (buffers.length != 1) {
        return super.flush(buffers);
      }
      int n;
      try {
        n = getChannel().write(buffers[0]);
      } catch (IOException e) {
        throw new EofException(e);
      }
      if (n > 0) {
        notIdle();
      }
      return !buffers[0].hasRemaining();
    }
  }

  /**
   * A server connection's end point: it notes on lb-core's clock when bytes last moved either way,
   * so that {@link ServerLink} checks {@code timeout server} on that clock (Jetty's own idle timeout,
   * on the system's, only retires pooled connections).
   */
  static final class ServerEndPoint extends DirectEndPoint {
    private final dev.balancer.core.Scheduler clock;
    private volatile long activeNanos;

    ServerEndPoint(SocketChannel channel, ManagedSelector selector, SelectionKey key, Scheduler scheduler,
        dev.balancer.core.Scheduler clock) {
      super(channel, selector, key, scheduler);
      this.clock = clock;
      this.activeNanos = clock.nanoTime();
    }

    /** When a byte last came in or went out, on lb-core's clock. */
    long activeNanos() {
      return activeNanos;
    }

    void active() {
      activeNanos = clock.nanoTime();
    }

    /** Jetty calls it when a fill or a flush moved bytes (our single-buffer flush too). */
    @Override
    public void notIdle() {
      if (clock != null) { // null while Jetty's constructor runs
        active();
      }
      super.notIdle();
    }

    /** Times the connection out as Jetty's idle timeout would: its connection decides, a pending read or write fails. */
    void expire(java.util.concurrent.TimeoutException timeout) {
      onIdleExpired(timeout);
    }
  }

  /** A client connection's end point, which knows the lane its server connections belong to. */
  static final class LaneEndPoint extends DirectEndPoint {
    final Lane lane;

    LaneEndPoint(SocketChannel channel, ManagedSelector selector, SelectionKey key, Scheduler scheduler, Lane lane) {
      super(channel, selector, key, scheduler);
      this.lane = lane;
    }
  }

  /** One selector: where its client connections' server connections are opened and pooled. */
  static final class Lane {
    private final Manager manager;
    private final ManagedSelector selector;
    private final Map<InetSocketAddress, ConcurrentLinkedDeque<ServerLink>> idle = new ConcurrentHashMap<>();
    final BufferCache clientBuffers;
    final BufferCache serverBuffers;
    final BufferCache outBuffers;

    Lane(Manager manager, ManagedSelector selector, BufferCache clientBuffers, BufferCache serverBuffers,
        BufferCache outBuffers) {
      this.manager = manager;
      this.selector = selector;
      this.clientBuffers = clientBuffers;
      this.serverBuffers = serverBuffers;
      this.outBuffers = outBuffers;
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

    void park(ServerLink link) {
      idle.computeIfAbsent(link.address(), k -> new ConcurrentLinkedDeque<>()).offerLast(link);
    }

    void forget(ServerLink link) {
      ConcurrentLinkedDeque<ServerLink> q = idle.get(link.address());
      if (q != null) {
        q.remove(link);
      }
    }

    /**
     * Opens a connection to a server on this lane's selector, failing after {@code timeoutMillis}
     * (the backend's {@code timeout connect}); the promise completes once it is open (on a pool
     * thread: a new connection costs a hand-off, a pooled one none).
     */
    void connect(InetSocketAddress address, long timeoutMillis, Promise<ServerLink> promise) {
      if (address.isUnresolved()) {
        try {
          manager.getExecutor().execute(() -> {
            InetSocketAddress resolved = new InetSocketAddress(address.getHostString(), address.getPort());
            if (resolved.isUnresolved()) {
              promise.failed(new UnknownHostException(address.getHostString()));
            } else {
              connect(address, resolved, timeoutMillis, promise);
            }
          });
        } catch (RejectedExecutionException x) {
          promise.failed(x);
        }
      } else {
        connect(address, address, timeoutMillis, promise);
      }
    }

    private void connect(InetSocketAddress address, InetSocketAddress resolved, long timeoutMillis,
        Promise<ServerLink> promise) {
      SocketChannel channel = null;
      try {
        channel = SocketChannel.open();
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        boolean connected = channel.connect(resolved);
        manager.open(channel, connected, new Dial(this, address, timeoutMillis, promise));
      } catch (Throwable x) {
        if (channel != null) {
          try {
            channel.close();
          } catch (IOException ignored) {
            // failing anyway
          }
        }
        promise.failed(x);
      }
    }
  }

  /** What a server connection being opened carries through the selector. */
  private record Dial(Lane lane, InetSocketAddress address, long timeoutMillis, Promise<ServerLink> promise) {
  }

  private final class Manager extends ServerConnectorManager {
    /**
     * The connect being submitted on this thread: Jetty asks, as it submits it, which selector takes
     * it (its lane's) and its timeout (its backend's).
     */
    private final ThreadLocal<Dial> dialing = new ThreadLocal<>();

    Manager(Executor executor, Scheduler scheduler, int selectors) {
      super(executor, scheduler, selectors);
    }

    void open(SocketChannel channel, boolean connected, Dial dial) throws IOException {
      if (!dial.lane().selector.isRunning() || !isRunning()) {
        // the listener stopped (a reload removed it) after the request was taken: nothing would
        // ever process the connect
        channel.close();
        dial.promise().failed(new IOException("the listener is stopped"));
        return;
      }
      dialing.set(dial);
      try {
        if (connected) {
          accept(channel, dial);
        } else {
          connect(channel, dial);
        }
      } finally {
        dialing.remove();
      }
    }

    @Override
    protected ManagedSelector chooseSelector() {
      Dial d = dialing.get();
      return d != null ? d.lane().selector : super.chooseSelector();
    }

    @Override
    public long getConnectTimeout() {
      Dial d = dialing.get();
      return d != null ? d.timeoutMillis() : proxy.connectTimeoutMillis();
    }

    @Override
    protected SocketChannelEndPoint newEndPoint(SelectableChannel channel, ManagedSelector selector,
        SelectionKey key)
        throws IOException {
      if (key.attachment() instanceof Dial) {
        // a server connection: not one of the listener's end points (a graceful stop does not wait for it)
        SocketChannelEndPoint endPoint = new ServerEndPoint((SocketChannel) channel, selector, key,
            DirectConnector.this.getScheduler(),
            proxy.balancer.scheduler());
        endPoint.setIdleTimeout(DirectProxy.POOLED_IDLE_MILLIS);
        return endPoint;
      }
      return super.newEndPoint(channel, selector, key);
    }

    @Override
    public Connection newConnection(SelectableChannel channel, EndPoint endPoint, Object attachment)
        throws IOException {
      if (attachment instanceof Dial d) {
        return new ServerLink(proxy, endPoint, d.lane(), d.address(), getExecutor());
      }
      return super.newConnection(channel, endPoint, attachment);
    }

    @Override
    protected void endPointOpened(EndPoint endPoint) {
      if (endPoint instanceof LaneEndPoint) {
        super.endPointOpened(endPoint);
      }
    }

    @Override
    protected void endPointClosed(EndPoint endPoint) {
      if (endPoint instanceof LaneEndPoint) {
        super.endPointClosed(endPoint);
      }
    }

    @Override
    public void connectionOpened(Connection connection, Object attachment) {
      super.connectionOpened(connection, attachment);
      if (attachment instanceof Dial d) {
        try {
          d.promise().succeeded((ServerLink) connection);
        } catch (RuntimeException x) {
          // the exchange's own failure, not the connection's: Jetty must not fail the promise again
          connection.close();
          LOG.warn("sending over a new server connection", x);
        }
      }
    }

    @Override
    protected void connectionFailed(SelectableChannel channel, Throwable failure, Object attachment) {
      if (!dialFailed(attachment, failure)) {
        super.connectionFailed(channel, failure, attachment);
      }
    }

    @Override
    protected void onAcceptFailed(SelectableChannel channel, Throwable failure, Object attachment) {
      if (!dialFailed(attachment, failure)) {
        super.onAcceptFailed(channel, failure, attachment);
      }
    }

    /** Fails the promise of a server connection that could not be made; false: not one of ours. */
    private boolean dialFailed(Object attachment, Throwable failure) {
      if (attachment instanceof Dial d) {
        d.promise().failed(failure);
        return true;
      }
      return false;
    }
  }
}
