package dev.balancer.jetty.direct;

import dev.balancer.jetty.log.AccessLog;
import dev.balancer.jetty.http1.HeadRewriter;
import dev.balancer.jetty.http1.HttpHead;
import dev.balancer.jetty.http1.RawAnswers;
import dev.balancer.jetty.listen.ClientPhase;
import dev.balancer.jetty.listen.RequestTimeoutConnectionFactory;
import dev.balancer.core.BackendServer;
import dev.balancer.core.Decision;
import dev.balancer.core.Exchange;
import dev.balancer.core.Failure;
import dev.balancer.core.Lease;
import dev.balancer.core.Scheduler;
import dev.balancer.core.Termination;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;

/**
 * A client connection of the {@link DirectProxy}: reads a request head (and a small body), asks the
 * balancer, forwards over a {@link ServerLink}, and is told by the link when the answer went out.
 * One request at a time; anything it does not take on goes to Jetty's HTTP/1.1 connection, with the
 * bytes already read, for the rest of the connection's life.
 */
public final class DirectConnection extends AbstractConnection implements Connection.UpgradeFrom, ClientPhase.Aware {

  /** Our read buffer: a request head and body must fit in it to take the direct path. */
  static final int BUFFER = 16 * 1024;
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DirectConnection.class);


  private enum State { READING, DECIDING, EXCHANGE, CLOSED, HANDED_OVER }

  private final DirectProxy proxy;
  private final DirectConnector.Lane lane;
  private final Connector connector;
  private final RequestTimeoutConnectionFactory fallback;
  private final RequestTimeoutConnectionFactory.Timeouts timeouts;
  private ByteBuffer in;
  private volatile State state = State.READING;
  private int scanned;
  /** The head is in, its body not yet: {@code timeout client} applies, not http-request's. */
  private boolean bodyPending;
  /** Since when the client has not taken a pending piece of the answer (0: it has). */
  private volatile long stalledSinceNanos;
  private long messages;
  /** Written on the selector thread, read by the clock's check. */
  private volatile long lastActivityNanos;
  private volatile Runnable cancelCheck = () -> { };
  /** lb-core's clock: the client side's timeouts are counted and checked on it (a test drives it). */
  private final Scheduler clock;

  // the exchange under way: what lb-core keeps of it (decision, retries, termination, counters), and its bytes
  private final Exchange exchange;
  private HttpHead request;
  private int requestLength;
  private long beginNanos;
  private long headersNanos;
  private String frontend;
  private ServerLink link;
  private ByteBuffer forwardHead;
  private long bodyBytes;
  private long headBytesOut;
  /** The client did not read the answer within {@code timeout client} (HAProxy's cD). */
  private boolean clientTimedOut;
  private boolean retriedStale;
  private boolean closeAfter;
  /** The server was told {@code connection: close}: its connection is not kept. */
  private boolean serverClose;
  private boolean unsent;
  private volatile boolean aborted;
  /** The exchange under way was counted, logged and released: once only. */
  private boolean finished = true;

  private final Callback readCallback = new Callback() {
    @Override
    public void succeeded() {
      onFillable();
    }

    @Override
    public void failed(Throwable x) {
      close();
    }

    @Override
    public InvocationType getInvocationType() {
      return InvocationType.NON_BLOCKING;
    }
  };

  DirectConnection(DirectProxy proxy, Connector connector, DirectConnector.LaneEndPoint endPoint,
      RequestTimeoutConnectionFactory fallback, RequestTimeoutConnectionFactory.Timeouts timeouts) {
    super(endPoint, connector.getExecutor());
    this.proxy = proxy;
    this.lane = endPoint.lane;
    this.connector = connector;
    this.fallback = fallback;
    this.timeouts = timeouts;
    this.exchange = new Exchange(proxy.balancer);
    this.clock = proxy.balancer.scheduler();
    this.lastActivityNanos = clock.nanoTime();
  }

  Connector connector() {
    return connector;
  }

  @Override
  public void onOpen() {
    super.onOpen();
    proxy.connections.add(this);
    if (timeouts.httpRequest() > 0) {
      clock.schedule(Duration.ofMillis(timeouts.httpRequest()), this::checkFirstRequest);
    }
    armTimeouts();
    getEndPoint().fillInterested(readCallback);
  }

  @Override
  public void onClose(Throwable cause) {
    cancelCheck.run();
    super.onClose(cause);
    proxy.connections.remove(this);
    State was = state;
    state = State.CLOSED;
    ServerLink l = link;
    if (was == State.EXCHANGE) {
      // the client went away while its request was under way: the server's connection goes too
      link = null;
      if (l != null) {
        l.close();
      }
      if (exchange.termination() == Termination.NONE) {
        exchange.clientGone(clientTimedOut);
      }
      finish();
    }
    // DECIDING: the decision, when it comes, sees CLOSED, releases what it got and ends the exchange
    releaseBuffer();
  }

  /** The connection closed or changed hands: its buffer may still be under a fill, so it is not reused. */
  private synchronized void releaseBuffer() {
    if (in != null) {
      in = null;
      lane.clientBuffers.drop();
    }
  }

  /** The first request's head must be in within {@code timeout http-request}, trickled or not. */
  private void checkFirstRequest() {
    synchronized (this) {
      if (state != State.READING || messages != 0 || bodyPending || !getEndPoint().isOpen()) {
        return;
      }
      state = State.CLOSED; // before the write: the reading side takes no request from here on
    }
    timeout408();
  }

  @Override
  public ClientPhase phase() {
    State s = state;
    if (s == State.READING) {
      return messages > 0 && scanned == 0 && !bodyPending ? ClientPhase.BETWEEN : bodyPending ? ClientPhase.BODY
          : ClientPhase.HEAD;
    }
    return s == State.DECIDING || s == State.EXCHANGE ? ClientPhase.EXCHANGE : ClientPhase.DONE;
  }

  /** Jetty's idle timeout is off on our end points (the clock checks): only a handed-over connection's counts. */
  @Override
  public boolean onIdleExpired(TimeoutException timeout) {
    if (state == State.HANDED_OVER || state == State.CLOSED) {
      getEndPoint().close();
      return true;
    }
    return false;
  }

  private void armTimeouts() {
    if (timeouts.shortest() > 0) {
      cancelCheck = clock.schedule(Duration.ofMillis(timeouts.shortest()), this::checkTimeouts);
    }
  }

  /**
   * Every shortest of the three client timeouts, on the clock (one timer a period, not one a
   * request): closes the connection when the timeout of where it is has passed, else looks again.
   */
  private void checkTimeouts() {
    if (state == State.HANDED_OVER || state == State.CLOSED || !getEndPoint().isOpen()) {
      return; // Jetty's connection counts a handed-over one's
    }
    boolean close;
    try {
      close = timedOut();
    } catch (RuntimeException e) {
      close = true; // a check that cannot run must not leave the connection unwatched
    }
    if (close) {
      getEndPoint().close();
    } else if (state != State.CLOSED) {
      armTimeouts();
    }
  }

  /** Whether the timeout of where the connection is has passed (a 408 is written here itself). */
  private boolean timedOut() {
    long now = clock.nanoTime();
    long idle = (now - lastActivityNanos) / 1_000_000;
    if (state == State.READING) {
      boolean between = messages > 0 && (in == null || !in.hasRemaining());
      if (between) {
        return idle >= timeouts.keepAlive() || stopping();
      }
      if (bodyPending) {
        return idle >= timeouts.client();
      }
      if (idle >= timeouts.httpRequest()) {
        synchronized (this) {
          if (state != State.READING) {
            return false;
          }
          state = State.CLOSED;
        }
        timeout408();
      }
      return false;
    }
    ServerLink l = link;
    if (state == State.EXCHANGE && l != null && l.writing()) {
      // the answer waits for the client to read: 'timeout client' (HAProxy's cD), from the last
      // piece the client took (bodyWritten starts the count again)
      if (stalledSinceNanos == 0) {
        stalledSinceNanos = now;
      }
      if ((now - stalledSinceNanos) / 1_000_000 >= timeouts.client()) {
        clientTimedOut = true;
        return true;
      }
      return false;
    }
    stalledSinceNanos = 0;
    // deciding or waiting for the server: 'timeout server' and the queue govern
    return false;
  }

  private void timeout408() {
    state = State.CLOSED;
    // from here Jetty's idle timeout closes a client that does not take the 408 (onIdleExpired: CLOSED)
    getEndPoint().setIdleTimeout(Math.max(1, timeouts.client()));
    try {
      proxy.accessLog.timedOut(connector.getName(), getEndPoint().getRemoteSocketAddress(),
          getEndPoint().getCreatedTimeStamp(), messages == 0 && (in == null || !in.hasRemaining()));
    } catch (RuntimeException e) {
      // a log line must never keep the 408 from going out
    }
    Decision.Respond page = proxy.balancer.errorPage(connector.getName(), null, 408);
    byte[] body = RawAnswers.body(page);
    EndPoint ep = getEndPoint();
    ep.write(Callback.from(ep::close, x -> ep.close()), RawAnswers.refusalHead(page, body.length), ByteBuffer.wrap(body));
  }

  /**
   * The listener or the server is going away: an answer says {@code connection: close} and the
   * connection closes after it, as HAProxy's soft stop does.
   */
  private boolean stopping() {
    return proxy.isShutdown() || connector.isShutdown();
  }

  /** Closes the connection if it waits for a request with nothing read yet (a listener or the server going away). */
  void closeIfIdle() {
    if (state == State.READING && (in == null || !in.hasRemaining())) {
      getEndPoint().close();
    }
  }

  @Override
  public void onFillable() {
    if (state != State.READING) {
      return;
    }
    try {
      synchronized (this) {
        if (in == null) {
          in = lane.clientBuffers.take();
        }
      }
      while (state == State.READING) {
        if (BufferUtil.space(in) == 0) {
          if (in.position() == 0) {
            refuseOversized();
            return;
          }
          BufferUtil.compact(in);
        }
        if (!in.hasRemaining()) {
          BufferUtil.clear(in);
        }
        int n = getEndPoint().fill(in);
        if (n < 0) {
          getEndPoint().close();
          return;
        }
        if (n == 0) {
          getEndPoint().tryFillInterested(readCallback); // it may be there since the last exchange
          return;
        }
        long now = clock.nanoTime();
        if (scanned == 0) {
          beginNanos = now;
        }
        lastActivityNanos = now;
        if (!tryRequest()) {
          return;
        }
      }
    } catch (IOException | RuntimeException e) {
      getEndPoint().close();
    }
  }

  /** Takes on the request in the buffer if it is all there: false when it did (or handed it over). */
  private boolean tryRequest() {
    int length = HttpHead.end(in, scanned);
    if (length == HttpHead.BARE_LF) {
      handOver();
      return false;
    }
    if (length < 0) {
      scanned = Math.max(1, in.remaining());
      return true;
    }
    HttpHead h = HttpHead.parse(in, length, true);
    if (h == null || h.upgrade || h.expect || h.chunked || h.otherEncoding || !h.host
        || h.first.equals("CONNECT") || h.first.equals("PRI")) {
      handOver();
      return false;
    }
    long body = Math.max(0, h.contentLength);
    if (length + body > in.capacity()) {
      handOver(); // a body larger than our buffer: streamed by the servlet
      return false;
    }
    if (length + body > in.remaining()) {
      bodyPending = true;
      return true; // the body is on its way
    }
    synchronized (this) {
      if (state != State.READING) {
        return false; // the 408 got there first
      }
      state = State.DECIDING;
    }
    bodyPending = false;
    scanned = 0;
    request = h;
    requestLength = (int) (length + body);
    headersNanos = clock.nanoTime();
    decide();
    return false;
  }

  /**
   * A head larger than our buffer (HAProxy's {@code tune.bufsize} is the same 16 KiB; Jetty's own
   * limit is 8 KiB): HAProxy's 400 page, then a lingering close (output shut, the rest of the
   * request read and dropped until the client closes or times out), so that the client reads the
   * answer rather than a reset.
   */
  private void refuseOversized() {
    state = State.CLOSED;
    // the 400 and the lingering drain end at the latest after timeout client of silence
    getEndPoint().setIdleTimeout(Math.max(1, timeouts.client()));
    String frontendName = connector.getName();
    Decision.Respond page = proxy.balancer.errorPage(frontendName, null, 400);
    byte[] body = RawAnswers.body(page);
    ByteBuffer head = RawAnswers.refusalHead(page, body.length);
    if (proxy.balancer.config().frontend(frontendName).isPresent()) {
      var fe = proxy.balancer.frontendStats(frontendName);
      fe.requestError();
      fe.response(400, in.remaining(), head.remaining() + body.length);
    }
    EndPoint ep = getEndPoint();
    ep.write(Callback.from(() -> {
      ep.shutdownOutput();
      drain();
    }, x -> ep.close()), head, ByteBuffer.wrap(body));
  }

  /** Reads and drops what the client still sends, until it closes (or the idle timeout closes it). */
  private void drain() {
    EndPoint ep = getEndPoint();
    ByteBuffer sink = ByteBuffer.allocate(4096);
    try {
      while (true) {
        BufferUtil.clear(sink);
        int n = ep.fill(sink);
        if (n < 0) {
          ep.close();
          return;
        }
        if (n == 0) {
          ep.fillInterested(Callback.from(this::drain, x -> ep.close()));
          return;
        }
      }
    } catch (IOException | RuntimeException e) {
      ep.close();
    }
  }

  /** Leaves this connection to Jetty's HTTP/1.1 and the servlet, with what was read so far. */
  private void handOver() {
    state = State.HANDED_OVER;
    proxy.handedOver.increment();
    Connection http = fallback.newConnection(connector, getEndPoint());
    getEndPoint().upgrade(http);
  }

  @Override
  public ByteBuffer onUpgradeFrom() {
    synchronized (this) {
      if (in == null || !in.hasRemaining()) {
        releaseBuffer();
        return null;
      }
      ByteBuffer copy = ByteBuffer.allocate(in.remaining());
      copy.put(in.slice()).flip();
      releaseBuffer();
      return copy;
    }
  }

  boolean isHeadRequest() {
    return "HEAD".equals(request.first);
  }

  private void decide() {
    finished = false;
    frontend = connector.getName();
    proxy.exchangeBegins();
    proxy.carried.increment();
    CompletableFuture<Decision> decision = exchange.begin(frontend, new View()).decide();
    if (decision.isDone()) {
      decided(decision.getNow(null));
    } else {
      decision.whenComplete((d, x) -> decided(d));
    }
  }

  private void decided(Decision decided) {
    if (decided instanceof Decision.Serve) {
      // the stats page, the exporter: the servlet serves them
      proxy.exchangeEnds();
      request = null;
      handOver();
      return;
    }
    if (state == State.CLOSED) {
      // the client left while its request waited (a queue, a tarpit): no server had it
      if (decided instanceof Decision.Forward f) {
        f.lease().release();
      }
      exchange.clientLeftQueue();
      finish();
      return;
    }
    Decision decision = exchange.decided(decided);
    boolean gone;
    synchronized (this) {
      gone = state == State.CLOSED;
      if (!gone) {
        state = State.EXCHANGE;
      }
    }
    if (gone) {
      exchange.clientGone(false); // it left just now: the lease goes back
      finish();
      return;
    }
    try {
      if (decision instanceof Decision.Forward f) {
        forward(f.lease());
      } else {
        answer((Decision.Respond) decision);
      }
    } catch (RuntimeException e) {
      // never a lost lease or an exchange that never ends
      LOG.warn("request on {} failed: {}", frontend, e.toString());
      exchange.cutByProxy();
      getEndPoint().close();
      finish();
    }
  }

  // ---- a local answer

  private void answer(Decision.Respond answer) {
    if (answer.drop()) {
      if (answer == Decision.Respond.SILENT_DROP && getEndPoint().getTransport() instanceof java.nio.channels.SocketChannel ch) {
        try {
          ch.setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
        } catch (IOException | RuntimeException e) {
          // closed anyway
        }
      }
      closeAfter = true;
      getEndPoint().close();
      finish();
      return;
    }
    writeAnswer(answer);
  }

  private void writeAnswer(Decision.Respond answer) {
    byte[] body = RawAnswers.body(answer);
    closeAfter |= request.close || stopping();
    ByteBuffer head = RawAnswers.answerHead(answer, body.length, closeAfter);
    exchange.answered(answer.status());
    headBytesOut = head.remaining();
    Callback done = new Callback() {
      @Override
      public void succeeded() {
        bodyBytes = isHeadRequest() ? 0 : body.length;
        finish();
      }

      @Override
      public void failed(Throwable x) {
        exchange.clientGone(false);
        closeAfter = true;
        finish();
      }

      @Override
      public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING;
      }
    };
    if (isHeadRequest()) {
      getEndPoint().write(done, head);
    } else {
      getEndPoint().write(done, head, ByteBuffer.wrap(body));
    }
  }

  // ---- forwarding

  private void forward(Lease l) {
    BackendServer server = l.server();
    if (forwardHead == null || exchange.retries() > 0) {
      HeadRewriter.ToServer out = HeadRewriter.request(request, l);
      forwardHead = out.bytes();
      serverClose = out.close();
    }
    l.onAbort(() -> {
      // on-marked-down shutdown-sessions: cut, and not sent again to that server as a stale retry
      aborted = true;
      ServerLink current = link;
      if (current != null) {
        current.close();
      }
    });
    InetSocketAddress address = proxy.address(server);
    exchange.sending();
    ServerLink pooled = retriedStale ? null : lane.pooled(address);
    if (pooled != null) {
      exchange.connected();
      send(pooled);
      return;
    }
    long connectMillis = server.timeouts().connect().map(Duration::toMillis).orElse(proxy.connectTimeoutMillis());
    lane.connect(address, connectMillis, new Promise<>() {
      @Override
      public void succeeded(ServerLink connected) {
        exchange.connected();
        send(connected);
      }

      @Override
      public void failed(Throwable x) {
        serverFailed(null, x, true);
      }
    });
  }

  private void send(ServerLink l) {
    Lease held = exchange.lease();
    ByteBuffer buffer = in;
    if (state != State.EXCHANGE || held == null || buffer == null) {
      l.close();
      if (held != null) {
        held.release();
      }
      finish(); // once only: the client's close may have ended it already
      return;
    }
    link = l;
    Optional<Duration> serverTimeout = held.server().timeouts().server();
    long idle = serverTimeout.isPresent() ? serverTimeout.get().toMillis() : 0; // no boxed Long per request
    ByteBuffer body = null;
    if (requestLength > request.length) {
      // a copy: the server may answer (and this connection move on) before the body is all out
      body = ByteBuffer.allocate(requestLength - request.length);
      body.put(buffer.slice(buffer.position() + request.length, requestLength - request.length)).flip();
    }
    // the read interest stays registered through the exchange: taking it off and putting it back
    // would cost two epoll_ctl calls a request; bytes or a close arriving meanwhile wake
    // onFillable, which leaves them until the exchange ends (finish() asks again)
    // Not when the next request is already in the buffer: finish() hands it on (perhaps to Jetty's
    // HttpConnection, which must find no read interest of ours), and nothing else reads meanwhile.
    if (buffer.remaining() <= requestLength) {
      getEndPoint().tryFillInterested(readCallback);
    }
    l.send(this, forwardHead.duplicate(), body, idle);
  }

  /** The answer's head as the client gets it (called by the link, on its thread). */
  ByteBuffer responseHead(HttpHead h, boolean untilClose, ByteBuffer into) {
    exchange.answered(h.status);
    HeadRewriter.ToClient out = HeadRewriter.response(h, exchange.lease(),
        closeAfter || request.close || untilClose || stopping(), into);
    closeAfter = out.close();
    headBytesOut = out.bytes().remaining();
    return out.bytes();
  }

  void bodyWritten(int n) {
    stalledSinceNanos = 0;
    bodyBytes += n;
  }

  /** The whole answer went to the client (called by the link). */
  void responseDone(ServerLink l, boolean reusable) {
    link = null;
    exchange.responseDone();
    if (reusable && !serverClose) {
      l.keep();
    } else {
      l.close();
    }
    finish();
  }

  /** The client could not take the answer. */
  void clientWriteFailed(Throwable failure) {
    link = null;
    // onIdleExpired saw the client not reading and Jetty then closed the connection under the
    // pending write: a client timeout, not an abort
    exchange.clientGone(clientTimedOut || failure instanceof TimeoutException);
    closeAfter = true;
    getEndPoint().close();
    finish();
  }

  /**
   * The exchange failed on the server's side ({@code l} null: the connection could not be made).
   * {@code noAnswer}: nothing of an answer came back, so the request may go again when it is safe.
   */
  void serverFailed(ServerLink l, Throwable failure, boolean noAnswer) {
    serverFailed(l, failure, noAnswer, false);
  }

  /** As above; {@code unsent}: the request itself failed to go out, so even its body may go again. */
  void serverFailed(ServerLink l, Throwable failure, boolean noAnswer, boolean requestUnsent) {
    synchronized (this) {
      Lease lease = exchange.lease();
      if (l != null && l != link || state != State.EXCHANGE || lease == null || lease.isReleased() && l != null) {
        return; // already handled (the write and the read side both saw the end)
      }
      link = null;
    }
    LOG.debug("{} failed: {}", exchange.server(), failure.toString());
    unsent |= requestUnsent;
    if (l != null && noAnswer && l.reused() && !retriedStale && !aborted) {
      // a pooled connection the server had closed: send again on a new one, as HAProxy does
      retriedStale = true;
      forward(exchange.lease());
      return;
    }
    boolean timeout = failure instanceof TimeoutException;
    Failure f = l == null ? Failure.connect(timeout)
        : failure instanceof ServerLink.InvalidAnswer ? Failure.invalidAnswer()
        : Failure.noAnswer(timeout, noAnswer && (unsent || requestLength == request.length));
    exchange.failed(f).whenComplete((next, x) -> carryOut(next != null ? next : new Exchange.Next.Cut()));
  }

  /** Does what the exchange answered to a failure: send again, answer with a page, or cut. */
  private void carryOut(Exchange.Next next) {
    if (next instanceof Exchange.Next.Resend again) {
      if (state != State.EXCHANGE) {
        again.lease().release();
        finish();
        return;
      }
      retriedStale = false;
      forward(again.lease());
    } else if (next instanceof Exchange.Next.Answer page) {
      writeAnswer(page.page());
    } else {
      // the answer had begun: cut the connection, as HAProxy does
      closeAfter = true;
      getEndPoint().close();
      finish();
    }
  }

  // ---- the end of an exchange

  private void finish() {
    synchronized (this) {
      if (finished) {
        return; // the client's close and the server's end both saw it
      }
      finished = true;
    }
    try {
      exchange.end(0, requestLength, headBytesOut + bodyBytes);
      String format = exchange.frontendCounted() ? proxy.accessLog.format(frontend) : null;
      if (format != null) {
        String path = request.second;
        int q = path.indexOf('?');
        proxy.accessLog.log(AccessLog.Facts.of(exchange, getEndPoint().getRemoteSocketAddress(), beginNanos,
            headersNanos, request.first, path, q < 0 ? path : path.substring(0, q), q < 0 ? "" : path.substring(q),
            "HTTP/1.1", exchange.loggedStatus(), bodyBytes), frontend, format);
      }
    } catch (RuntimeException e) {
      // stats and the log line never cost the connection
    }
    Lease lease = exchange.lease();
    if (lease != null) {
      lease.release();
    }
    proxy.exchangeEnds();
    messages++;
    boolean close = closeAfter || stopping() || !getEndPoint().isOpen();
    synchronized (this) {
      if (close) {
        releaseBuffer(); // another thread may still be in send(): dropped, not reused
      } else if (in != null) {
        in.position(in.position() + requestLength);
        if (!in.hasRemaining()) {
          // nothing more read: an idle keep-alive connection holds no buffer (the read interest
          // may be registered, but onFillable takes no byte before the state is READING again)
          lane.clientBuffers.give(in);
          in = null;
        }
      }
    }
    reset();
    lastActivityNanos = clock.nanoTime();
    if (close) {
      state = State.CLOSED;
      getEndPoint().close();
      return;
    }
    state = State.READING;
    if (this.in != null && this.in.hasRemaining()) {
      getExecutor().execute(() -> {
        if (tryRequestAfterPipeline()) {
          onFillable();
        }
      });
    } else {
      getEndPoint().tryFillInterested(readCallback);
    }
  }

  private boolean tryRequestAfterPipeline() {
    beginNanos = clock.nanoTime();
    return state == State.READING && tryRequest();
  }

  private void reset() {
    request = null;
    requestLength = 0;
    link = null;
    forwardHead = null;
    bodyBytes = 0;
    headBytesOut = 0;
    clientTimedOut = false;
    retriedStale = false;
    serverClose = false;
    unsent = false;
    aborted = false;
  }

  /** lb-core's view of the request under way. */
  private final class View extends HeadView {
    View() {
      super(request);
    }

    @Override
    public String clientAddress() {
      return getEndPoint().getRemoteSocketAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : "";
    }

    @Override
    public int localPort() {
      return getEndPoint().getLocalSocketAddress() instanceof InetSocketAddress a ? a.getPort() : 0;
    }
  }
}
