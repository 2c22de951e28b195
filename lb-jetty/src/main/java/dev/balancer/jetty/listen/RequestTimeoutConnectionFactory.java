package dev.balancer.jetty.listen;

import dev.balancer.jetty.http1.RawAnswers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
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

  public RequestTimeoutConnectionFactory(HttpConfiguration config, Timeouts timeouts, TimeoutListener listener) {
    super(config);
    this.timeouts = timeouts;
    this.listener = listener;
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
    endPoint.setIdleTimeout(t.shortest());
    TimedConnection c = new TimedConnection(getHttpConfiguration(), connector, endPoint, t, listener);
    c.setUseInputDirectByteBuffers(isUseInputDirectByteBuffers());
    c.setUseOutputDirectByteBuffers(isUseOutputDirectByteBuffers());
    return configure(c, connector, endPoint);
  }

  public static final class TimedConnection extends HttpConnection {
    private final long httpRequestMillis;
    private final Timeouts timeouts;
    private final Connector connector;
    private final TimeoutListener listener;

    TimedConnection(HttpConfiguration config, Connector connector, EndPoint endPoint, Timeouts timeouts,
        TimeoutListener listener) {
      super(config, connector, endPoint);
      this.connector = connector;
      this.listener = listener;
      this.timeouts = timeouts;
      this.httpRequestMillis = timeouts.httpRequest();
    }

    @Override
    public void onOpen() {
      super.onOpen();
      if (httpRequestMillis > 0) {
        connector.getScheduler().schedule(this::checkFirstRequest, httpRequestMillis, TimeUnit.MILLISECONDS);
      }
    }

    /** The first request's head must be in within {@code timeout http-request}, trickled or not. */
    private void checkFirstRequest() {
      if (getEndPoint().isOpen() && getMessagesIn() == 0 && inHead()) {
        timeout408();
      }
    }

    /** When the endpoint last woke us, and for how long the connection has been idle since then. */
    private long lastWakeNanos;
    private long idleMillis;

    /**
     * The endpoint wakes us after the shortest of the three timeouts, and Jetty then starts its
     * idle clock again: so the time the connection has been idle is counted here, over wake-ups
     * that follow each other with no activity between them. Which timeout applies depends on
     * where the connection is: between two requests {@code timeout http-keep-alive} (a silent
     * close), in a request head {@code timeout http-request} (408), else {@code timeout client}.
     */
    @Override
    public boolean onIdleExpired(TimeoutException timeout) {
      if (!getServer().isRunning() || connector.isShutdown()) {
        return super.onIdleExpired(timeout); // stopping: Jetty's graceful close decides
      }
      long now = System.nanoTime();
      long step = timeouts.shortest();
      boolean continued = lastWakeNanos != 0 && (now - lastWakeNanos) / 1_000_000 <= step + step / 2 + 50;
      idleMillis = continued ? idleMillis + step : step;
      lastWakeNanos = now;
      boolean betweenRequests = getParser().isStart() && getMessagesIn() > 0;
      if (betweenRequests) {
        return idleMillis >= timeouts.keepAlive() && super.onIdleExpired(timeout);
      }
      if (inHead()) {
        if (idleMillis >= timeouts.httpRequest()) {
          timeout408();
        }
        return false;
      }
      return idleMillis >= timeouts.client() && super.onIdleExpired(timeout);
    }

    private boolean inHead() {
      return getParser().getState().ordinal() <= HttpParser.State.HEADER.ordinal();
    }

    private void timeout408() {
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
