package dev.balancer.jetty;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
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
final class RequestTimeoutConnectionFactory extends HttpConnectionFactory {

  static final String PAGE_408 = "<html><body><h1>408 Request Time-out</h1>\n"
      + "Your browser didn't send a complete request in time.\n</body></html>\n";

  private final AtomicLong httpRequestMillis;

  RequestTimeoutConnectionFactory(HttpConfiguration config, long httpRequestMillis) {
    super(config);
    this.httpRequestMillis = new AtomicLong(httpRequestMillis);
  }

  /** A reload may change {@code timeout http-request}: new connections take the new value. */
  void setHttpRequestTimeout(long millis) {
    httpRequestMillis.set(millis);
  }

  @Override
  public Connection newConnection(Connector connector, EndPoint endPoint) {
    TimedConnection c = new TimedConnection(getHttpConfiguration(), connector, endPoint, httpRequestMillis.get());
    c.setUseInputDirectByteBuffers(isUseInputDirectByteBuffers());
    c.setUseOutputDirectByteBuffers(isUseOutputDirectByteBuffers());
    return configure(c, connector, endPoint);
  }

  static final class TimedConnection extends HttpConnection {
    private final long httpRequestMillis;
    private final Connector connector;

    TimedConnection(HttpConfiguration config, Connector connector, EndPoint endPoint, long httpRequestMillis) {
      super(config, connector, endPoint);
      this.connector = connector;
      this.httpRequestMillis = httpRequestMillis;
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

    @Override
    public boolean onIdleExpired(TimeoutException timeout) {
      // silent in the middle of a request head, or a new connection that never spoke: 408
      if (inHead() && !(getParser().isStart() && getMessagesIn() > 0)) {
        timeout408();
        return false;
      }
      return super.onIdleExpired(timeout);
    }

    private boolean inHead() {
      return getParser().getState().ordinal() <= HttpParser.State.HEADER.ordinal();
    }

    private void timeout408() {
      byte[] body = PAGE_408.getBytes(StandardCharsets.ISO_8859_1);
      // byte for byte as HAProxy 2.6 writes it
      String head = "HTTP/1.1 408 Request Time-out\r\nContent-length: " + body.length + "\r\nCache-Control: no-cache\r\n"
          + "Connection: close\r\nContent-Type: text/html\r\n\r\n";
      EndPoint ep = getEndPoint();
      ep.write(Callback.from(ep::close, x -> ep.close()), ByteBuffer.wrap(head.getBytes(StandardCharsets.ISO_8859_1)),
          ByteBuffer.wrap(body));
    }
  }
}
