package dev.balancer.jetty.listen;

import dev.balancer.core.Scheduler;
import dev.balancer.jetty.http1.RawAnswers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.Callback;

/**
 * HTTP/1.1 connections with HAProxy's {@code timeout http-request} (reference §7): a client that
 * has not sent a whole request head in time, whether it sends nothing at all or trickles bytes
 * (slowloris), gets HAProxy's 408 page and the connection is closed; other clients are not
 * affected. An idle keep-alive connection between two requests is closed silently, as HAProxy
 * does. Jetty alone would close both silently, and would let a trickling client hold its
 * connection for as long as it keeps sending.
 */
public final class RequestTimeoutConnectionFactory extends HttpConnectionFactory {

  /** HAProxy's 408 page. */
  public static final dev.balancer.core.Decision.Respond PAGE_408 = dev.balancer.core.Decision.Respond.errorPage(408);

  /** The three timeouts of a frontend's client side, in milliseconds. */
  public record Timeouts(long client, long httpRequest, long keepAlive) {
    /** The endpoint's idle timeout: the shortest, so that each can be checked when it is due. */
    public long shortest() {
      return Math.min(client, Math.min(httpRequest, keepAlive));
    }
  }

  /** Told of each 408: the frontend, the client, when the connection opened, whether it sent nothing at all. */
  public interface TimeoutListener {
    void timedOut(String frontend, java.net.SocketAddress client, long openedMillis, boolean silent);
  }

  private volatile Timeouts timeouts;
  private final TimeoutListener listener;
  private final Scheduler clock;

  /**
   * @param clock where the timeouts are counted and checked (lb-core's {@link Scheduler}, so that
   *     a test can drive them): Jetty's own idle timeout is off on these connections
   */
  public RequestTimeoutConnectionFactory(HttpConfiguration config, Timeouts timeouts, TimeoutListener listener,
      Scheduler clock) {
    super(config);
    this.timeouts = timeouts;
    this.listener = listener;
    this.clock = java.util.Objects.requireNonNull(clock, "clock");
  }



  /** The timeouts new connections take. */
  public Timeouts timeouts() {
    return timeouts;
  }

  /** A reload may change the timeouts: new connections take the new values. */
  public void setTimeouts(Timeouts timeouts) {
    this.timeouts = timeouts;
  }

  @Override
  public Connection newConnection(Connector connector, EndPoint endPoint) {
    Timeouts t = timeouts;
    endPoint.setIdleTimeout(0); // the connection checks its timeouts on the clock itself
    TimedConnection c = new TimedConnection(getHttpConfiguration(), connector, endPoint, t, listener, clock);
    c.setUseInputDirectByteBuffers(isUseInputDirectByteBuffers());
    c.setUseOutputDirectByteBuffers(isUseOutputDirectByteBuffers());
    return configure(c, connector, endPoint);
  }

  /**
   * A listener of the servlet path: when it shuts down (a stop, or a reload that removes it), its
   * idle connections close at once and those with a request in flight close after their answer
   * ({@code connection: close}, Jetty's {@code GracefulHandler}). Jetty's shutdown idle timeout
   * (1 s) stays as a backstop for a connection caught between two states; it does not cut a
   * request waiting for its server.
   */
  public static ServerConnector servletConnector(Server server, int selectors, RequestTimeoutConnectionFactory http) {
    return new ServerConnector(server, -1, selectors, http) {
      @Override
      public CompletableFuture<Void> shutdown() {
        CompletableFuture<Void> done = super.shutdown();
        closeIdle(this);
        return done;
      }
    };
  }

  /** Closes the listener's HTTP connections that wait for a request with nothing read yet (it is shutting down). */
  public static void closeIdle(ServerConnector connector) {
    for (EndPoint ep : connector.getConnectedEndPoints()) {
      if (ep.getConnection() instanceof TimedConnection t) {
        t.closeIfIdle();
      }
    }
  }

  public static final class TimedConnection extends HttpConnection implements ClientPhase.Aware {
    private final Timeouts timeouts;
    private final Connector connector;
    private final TimeoutListener listener;
    private final Scheduler clock;
    /** The bytes out at the last check, and when the connection last moved (on the clock). */
    private long lastBytesOut = -1;
    private volatile long lastActivityNanos;
    /** The bytes out when the request under way began: more means its answer has begun. */
    private volatile long requestBytesOut;
    /** A 408 was written: the connection only waits to close. */
    private volatile boolean refused;
    private volatile Runnable cancelCheck = () -> { };

    TimedConnection(HttpConfiguration config, Connector connector, EndPoint endPoint, Timeouts timeouts,
        TimeoutListener listener, Scheduler clock) {
      super(config, connector, endPoint);
      this.connector = connector;
      this.listener = listener;
      this.timeouts = timeouts;
      this.clock = clock;
    }

    @Override
    public void onOpen() {
      super.onOpen();
      lastActivityNanos = clock.nanoTime();
      lastBytesOut = getBytesOut();
      if (timeouts.httpRequest() > 0) {
        clock.schedule(Duration.ofMillis(timeouts.httpRequest()), this::checkFirstRequest);
      }
      arm();
    }

    @Override
    public ClientPhase phase() {
      if (!getEndPoint().isOpen()) {
        return ClientPhase.DONE;
      }
      HttpParser.State s = getParser().getState();
      if (getParser().isStart()) {
        return getMessagesIn() > 0 ? ClientPhase.BETWEEN : ClientPhase.HEAD;
      }
      return inHead() ? ClientPhase.HEAD : s.ordinal() < HttpParser.State.END.ordinal() ? ClientPhase.BODY
          : ClientPhase.EXCHANGE;
    }

    @Override
    public void onFillable() {
      lastActivityNanos = clock.nanoTime();
      super.onFillable();
    }

    @Override
    public void onClose(Throwable cause) {
      cancelCheck.run();
      super.onClose(cause);
    }

    /**
     * Each exchange's end is activity too (the keep-alive timeout counts from it), and so is each
     * piece of a request body the servlet reads (Jetty reads those without {@link #onFillable}).
     */
    @Override
    protected HttpStreamOverHTTP1 newHttpStream(String method, String uri, org.eclipse.jetty.http.HttpVersion version) {
      requestBytesOut = getBytesOut();
      return new HttpStreamOverHTTP1(method, uri, version) {
        @Override
        public org.eclipse.jetty.io.Content.Chunk read() {
          org.eclipse.jetty.io.Content.Chunk chunk = super.read();
          if (chunk != null) {
            lastActivityNanos = clock.nanoTime();
          }
          return chunk;
        }

        @Override
        public void succeeded() {
          lastActivityNanos = clock.nanoTime();
          super.succeeded();
        }

        @Override
        public void failed(Throwable x) {
          lastActivityNanos = clock.nanoTime();
          super.failed(x);
        }
      };
    }

    /**
     * Closes the connection if it waits for a request with nothing read yet: the listener or the
     * server is going away (HAProxy's soft stop closes idle connections at once; Jetty alone would
     * give them a second of idle timeout).
     */
    void closeIfIdle() {
      if (getEndPoint().isOpen() && getEndPoint().getConnection() == this && getParser().isStart()
          && isRequestBufferEmpty()) {
        getEndPoint().close();
      }
    }

    /** The first request's head must be in within {@code timeout http-request}, trickled or not. */
    private void checkFirstRequest() {
      if (getEndPoint().isOpen() && getMessagesIn() == 0 && inHead()) {
        timeout408();
      }
    }

    private void arm() {
      if (timeouts.shortest() > 0) {
        cancelCheck = clock.schedule(Duration.ofMillis(timeouts.shortest()), this::check);
      }
    }

    /**
     * Every shortest of the three timeouts, on the clock: how long the connection has been idle
     * (no byte in or out) decides, by where it is: between two requests {@code timeout
     * http-keep-alive} (a silent close), in a request head {@code timeout http-request} (408),
     * else {@code timeout client}, where Jetty decides what the idle request gets (as it would
     * on its own idle timeout).
     */
    private void check() {
      if (!getEndPoint().isOpen() || getEndPoint().getConnection() != this || refused) {
        return; // closed, upgraded to a tunnel (which times itself), or answered 408
      }
      try {
        long now = clock.nanoTime();
        boolean stopping = !getServer().isRunning() || connector.isShutdown();
        boolean betweenRequests = getParser().isStart() && getMessagesIn() > 0;
        // reads and each exchange's end stamp the time themselves; an answer going out to a slow
        // reader shows as bytes out that moved since the last look
        long out = getBytesOut();
        if (out != lastBytesOut) {
          lastBytesOut = out;
          if (!betweenRequests) {
            lastActivityNanos = now;
          }
        }
        long idleMillis = (now - lastActivityNanos) / 1_000_000;
        boolean readingBody = !betweenRequests && !inHead()
            && getParser().getState().ordinal() < HttpParser.State.END.ordinal();
        boolean answering = !betweenRequests && getBytesOut() > requestBytesOut;
        if (betweenRequests && (stopping || idleMillis >= timeouts.keepAlive())) {
          getEndPoint().close(); // a silent close, as HAProxy's
          return;
        } else if (!betweenRequests && inHead()) {
          if (idleMillis >= timeouts.httpRequest()) {
            timeout408();
            return;
          }
        } else if ((readingBody || answering) && idleMillis >= timeouts.client()) {
          // the client stalls its body or does not take its answer: 'timeout client'; never a
          // request waiting for its server ('timeout server' governs that)
          expire(idleMillis);
          return;
        }
      } catch (RuntimeException e) {
        getEndPoint().close(e); // a check that cannot run must not leave the connection unwatched
        return;
      }
      if (getEndPoint().isOpen()) {
        arm();
      }
    }

    /**
     * Jetty's idle expiry, at our time: Jetty's end point fails what waits on the client (a read of
     * the body, a write of the answer) and the connection closes it or fails the request under way,
     * as on Jetty's own idle timeout; so the end point is given one of a millisecond, from now.
     */
    private void expire(long idleMillis) {
      getEndPoint().setIdleTimeout(1);
    }

    private boolean inHead() {
      return getParser().getState().ordinal() <= HttpParser.State.HEADER.ordinal();
    }

    private void timeout408() {
      refused = true;
      getEndPoint().setIdleTimeout(Math.max(1, timeouts.client())); // a client that takes nothing still goes
      try {
        listener.timedOut(connector.getName(), getEndPoint().getRemoteSocketAddress(), getEndPoint().getCreatedTimeStamp(),
            getBytesIn() == 0);
      } catch (RuntimeException e) {
        // a log line must never keep the 408 from going out
      }
      byte[] body = RawAnswers.body(PAGE_408);
      EndPoint ep = getEndPoint();
      ep.write(Callback.from(ep::close, x -> ep.close()), RawAnswers.refusalHead(PAGE_408, body.length),
          ByteBuffer.wrap(body));
    }
  }
}
