package dev.balancer.jetty.direct;

import dev.balancer.jetty.http1.ChunkScanner;
import dev.balancer.jetty.http1.HttpHead;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * One connection of the {@link DirectProxy} to a server: it carries one exchange at a time for a
 * {@link DirectConnection}, reads the answer's head, and copies the answer to the client as it comes,
 * framed by its length, its chunks or the end of the connection. Between exchanges it waits in the
 * proxy's pool, still reading, so that a server closing it is seen at once.
 */
public final class ServerLink extends AbstractConnection {

  /**
   * What one read from the server may bring: 64 KiB, so that a large answer moves in few reads and
   * writes (on 64 KiB answers, +12% against 16 KiB in an A/B with wrk; no change on 1 KiB).
   */
  static final int BUFFER = Integer.getInteger("balancer.direct.serverBuffer", 64 * 1024);

  /**
   * What this connection writes in one piece: a request (head and body) that fits, else its head; an
   * answer's head and as much of its first piece of body as fits. One direct buffer makes one
   * write() with no copy (a heap buffer costs the JDK a temporary direct buffer and a copy; two cost
   * a writev and a thread-local iovec besides).
   */
  static final int OUT = 8 * 1024;

  private enum Framing { NONE, LENGTH, CHUNKED, UNTIL_CLOSE }

  private final DirectProxy proxy;
  private final DirectConnector.Lane lane;
  private final InetSocketAddress address;
  private final AtomicBoolean idle = new AtomicBoolean();
  private final AtomicInteger writeState = new AtomicInteger();
  private ByteBuffer buf;
  /** See {@link #OUT}: taken, given back and dropped with {@link #buf}. */
  private ByteBuffer out;
  /** The answer's head, read again into the same arrays answer after answer (none is kept past its exchange). */
  private final HttpHead answer = new HttpHead();
  /**
   * From the start of a send until its write is done (its callback ran), {@link #out} may hold the
   * request: an answer's head read meanwhile (an early answer, or bytes a server sent unasked while
   * the link was being claimed) goes into a buffer of its own.
   */
  private volatile boolean requestOut;
  private volatile DirectConnection owner;
  private boolean used;
  /** {@code timeout server} of the exchange under way (0: none), checked on lb-core's clock. */
  private volatile long serverTimeoutMillis;
  /** Whether a check of {@code timeout server} is scheduled (one at a time, not one per request). */
  private final AtomicBoolean checking = new AtomicBoolean();
  private volatile Runnable cancelCheck = () -> { };
  private boolean head = true;
  private int scanned;
  private boolean anyByte;
  private Framing framing;
  private long remaining;
  private final ChunkScanner chunks = new ChunkScanner();
  private boolean reusable;
  private int pendingBody;
  private boolean pendingDone;
  private volatile Throwable writeFailure;
  /**
   * The request went out whole, and the answer came back whole and clean: the second of the two
   * puts the connection back in the pool (the answer may be read before the write is told done).
   */
  private final AtomicInteger ends = new AtomicInteger();

  private final Callback readCallback = new Callback() {
    @Override
    public void succeeded() {
      onFillable();
    }

    @Override
    public void failed(Throwable x) {
      readFailed(x);
    }

    @Override
    public InvocationType getInvocationType() {
      return InvocationType.NON_BLOCKING;
    }
  };

  private final Callback writeCallback = new Callback() {
    @Override
    public void succeeded() {
      if (!writeState.compareAndSet(1, 2) && !written()) {
        pump(); // not over yet: the link is still ours (once over, it may already serve another exchange)
      }
    }

    @Override
    public void failed(Throwable x) {
      writeFailure = x;
      if (!writeState.compareAndSet(1, 2)) {
        clientGone();
      }
    }

    @Override
    public InvocationType getInvocationType() {
      return InvocationType.NON_BLOCKING;
    }
  };

  ServerLink(DirectProxy proxy, EndPoint endPoint, DirectConnector.Lane lane, InetSocketAddress address,
      Executor executor) {
    super(endPoint, executor);
    this.proxy = proxy;
    this.lane = lane;
    this.address = address;
  }

  /** The selector this connection runs on, whose client connections may use it. */
  DirectConnector.Lane lane() {
    return lane;
  }

  InetSocketAddress address() {
    return address;
  }

  /** Whether this connection served an exchange before the current one (a close may have crossed it). */
  boolean reused() {
    return used;
  }

  @Override
  public void onOpen() {
    super.onOpen();
    getEndPoint().fillInterested(readCallback);
  }

  /** Takes this connection out of the pool for an exchange; false when it closed meanwhile. */
  boolean claim() {
    return idle.compareAndSet(true, false) && getEndPoint().isOpen();
  }

  /** Sends a request: the head and the body the client connection holds. */
  void send(DirectConnection client, ByteBuffer requestHead, ByteBuffer body, long idleTimeoutMillis) {
    head = true;
    scanned = 0;
    anyByte = false;
    reusable = true;
    writeFailure = null;
    if (buf == null) {
      // given back when the link parks; dropped, not given back, when it closes: a piece of it may
      // still be on its way to a client then, and must not be handed to another exchange meanwhile
      buf = lane.serverBuffers.take();
      out = lane.outBuffers.take();
    }
    ends.set(0);
    requestOut = true;
    owner = client; // last: the read side acts on an owner only with the fields above set
    Callback sent = new Callback() {
      @Override
      public void succeeded() {
        requestOut = false;
        if (ends.incrementAndGet() == 2) {
          park();
        }
      }

      @Override
      public void failed(Throwable x) {
        requestOut = false;
        DirectConnection c = owner;
        if (c == null) {
          close(); // the answer was complete already: the connection is not kept
          return;
        }
        if (!head || anyByte) {
          // the server answered before taking the whole request (a 413, a 401): the answer goes on,
          // the connection is not kept
          reusable = false;
          return;
        }
        owner = null;
        close();
        c.serverFailed(ServerLink.this, x, true, true);
      }

      @Override
      public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING;
      }
    };
    try {
      int bodyLength = body == null ? 0 : body.remaining();
      if (requestHead.remaining() + bodyLength <= out.capacity()) {
        // duplicates: the client connection's head stays whole for a retry elsewhere
        out.clear();
        out.put(requestHead.duplicate());
        if (bodyLength > 0) {
          out.put(body.duplicate());
        }
        out.flip();
        getEndPoint().write(sent, out);
      } else if (bodyLength == 0) {
        getEndPoint().write(sent, requestHead);
      } else {
        getEndPoint().write(sent, requestHead, body);
      }
    } catch (RuntimeException e) {
      // a connection whose last write failed: it cannot carry this request
      owner = null;
      close();
      client.serverFailed(this, e, true, true);
      return;
    }
    // the pool's idle time must not count against 'timeout server': it counts from the send, on
    // lb-core's clock (Jetty's idle timeout only retires pooled connections)
    getEndPoint().setIdleTimeout(0);
    serverTimeoutMillis = idleTimeoutMillis;
    if (getEndPoint() instanceof DirectConnector.ServerEndPoint ep) {
      ep.active();
      checkLater(idleTimeoutMillis);
    }
  }

  private void checkLater(long millis) {
    if (millis > 0 && checking.compareAndSet(false, true)) {
      cancelCheck = proxy.balancer.scheduler().schedule(java.time.Duration.ofMillis(millis), this::checkServerTimeout);
    }
  }

  /**
   * {@code timeout server}: no byte from or to the server for that long while an exchange is under
   * way fails it as Jetty's idle timeout would have (a 504 with no answer yet). One check at a time
   * per connection, again at the time left; a client slow to take the answer is not the server's
   * fault ({@link #onIdleExpired}).
   */
  private void checkServerTimeout() {
    checking.set(false);
    long limit = serverTimeoutMillis;
    if (owner == null || limit <= 0 || !getEndPoint().isOpen()
        || !(getEndPoint() instanceof DirectConnector.ServerEndPoint ep)) {
      return; // parked or closed: the next send checks again
    }
    long idleMillis = (proxy.balancer.scheduler().nanoTime() - ep.activeNanos()) / 1_000_000;
    if (idleMillis >= limit) {
      if (writing()) {
        checkLater(limit);
      } else {
        ep.expire(new TimeoutException("timeout server"));
        checkLater(limit); // nothing was waiting to fail yet: again later, as Jetty's idle timeout would
      }
      return;
    }
    checkLater(limit - idleMillis);
  }

  @Override
  public void onFillable() {
    DirectConnection client = owner;
    if (client == null) {
      // an idle connection: the server closed it, or sent what nobody asked for
      idleEnds();
      return;
    }
    try {
      while (head) {
        if (BufferUtil.hasContent(buf)) {
          int length = HttpHead.end(buf, scanned);
          if (length == HttpHead.BARE_LF) {
            fail(client, new IOException("a bare LF in the response head"), false);
            return;
          }
          if (length >= 0) {
            if (!answerHead(client, length)) {
              return;
            }
            continue;
          }
          scanned = buf.remaining();
          if (buf.position() == 0 && buf.limit() == buf.capacity()) {
            fail(client, new IOException("response head too large"), false);
            return;
          }
          if (BufferUtil.space(buf) == 0) {
            BufferUtil.compact(buf);
          }
        } else {
          BufferUtil.clear(buf);
        }
        int n = getEndPoint().fill(buf);
        if (n < 0) {
          eof(client);
          return;
        }
        if (n == 0) {
          getEndPoint().fillInterested(readCallback);
          return;
        }
        anyByte = true;
      }
      pump();
    } catch (IOException | RuntimeException e) {
      fail(client, e, !anyByte);
    }
  }

  /**
   * Reads the answer's head of {@code length} bytes: an interim answer is skipped (true: read on);
   * a final one starts the copy to the client (false).
   */
  private boolean answerHead(DirectConnection client, int length) {
    HttpHead h = HttpHead.parse(buf, length, false, answer);
    if (h == null || h.otherEncoding || h.status == 101) {
      fail(client, new InvalidAnswer(), false);
      return false;
    }
    buf.position(buf.position() + length);
    scanned = 0;
    if (h.status < 200) {
      return true; // an interim answer (100, 103): the final one follows
    }
    head = false;
    if (client.isHeadRequest() || h.status == 204 || h.status == 304) {
      framing = Framing.NONE;
    } else if (h.chunked) {
      framing = Framing.CHUNKED;
      chunks.reset();
    } else if (h.contentLength >= 0) {
      framing = Framing.LENGTH;
      remaining = h.contentLength;
    } else {
      framing = Framing.UNTIL_CLOSE;
    }
    reusable &= !h.close && framing != Framing.UNTIL_CLOSE && "HTTP/1.1".equals(h.first);
    // the answer's head goes into 'out' unless the request is still being written from it
    send(client.responseHead(h, framing == Framing.UNTIL_CLOSE, requestOut ? null : out));
    return false;
  }

  /** Writes the next piece of the answer's body to the client, and so on until it must wait. */
  private void pump() {
    send(null);
  }

  private void send(ByteBuffer headOut) {
    DirectConnection client = owner;
    while (client != null) {
      int n;
      boolean done;
      int available = buf.remaining();
      switch (framing) {
        case NONE -> {
          n = 0;
          done = true;
        }
        case LENGTH -> {
          n = (int) Math.min(remaining, available);
          done = remaining - n == 0;
        }
        case CHUNKED -> {
          int end = chunks.scan(buf, buf.position(), buf.limit());
          if (end == ChunkScanner.MALFORMED) {
            fail(client, new IOException("invalid chunk"), false);
            return;
          }
          n = end < 0 ? available : end - buf.position();
          done = end >= 0;
        }
        default -> {
          n = available;
          done = false;
        }
      }
      if (headOut == null && n == 0 && !done) {
        BufferUtil.clear(buf);
        try {
          int r = getEndPoint().fill(buf);
          if (r < 0) {
            eof(client);
            return;
          }
          if (r == 0) {
            getEndPoint().fillInterested(readCallback);
            return;
          }
        } catch (IOException e) {
          fail(client, e, false);
          return;
        }
        continue;
      }
      pendingBody = n;
      pendingDone = done;
      ByteBuffer body = n == 0 ? null : buf.slice(buf.position(), n);
      writeState.set(1);
      if (headOut == out && body != null && n <= out.capacity() - out.limit()) {
        // the head is in 'out' already: the body's first piece joins it, for one write
        int headLength = out.limit();
        out.limit(out.capacity()).position(headLength);
        out.put(body);
        out.flip();
        client.getEndPoint().write(writeCallback, out);
      } else if (headOut != null && body != null) {
        client.getEndPoint().write(writeCallback, headOut, body);
      } else {
        client.getEndPoint().write(writeCallback, headOut != null ? headOut : body);
      }
      headOut = null;
      if (writeState.compareAndSet(1, 3)) {
        return; // the write completes later, and carries on from its callback
      }
      if (writeFailure != null) {
        clientGone();
        return;
      }
      if (written()) {
        return;
      }
    }
  }

  /** After a write: true when the exchange is over. */
  private boolean written() {
    DirectConnection client = owner;
    buf.position(buf.position() + pendingBody);
    if (framing == Framing.LENGTH) {
      remaining -= pendingBody;
    }
    if (client == null) {
      return true;
    }
    client.bodyWritten(pendingBody);
    if (!pendingDone) {
      return false;
    }
    // bytes after the end of the answer: the server does not speak HTTP as we do; not reused
    boolean clean = reusable && !buf.hasRemaining();
    owner = null;
    BufferUtil.clear(buf);
    client.responseDone(this, clean);
    return true;
  }

  private void eof(DirectConnection client) {
    if (!head && framing == Framing.UNTIL_CLOSE) {
      owner = null;
      client.responseDone(this, false);
      close();
      return;
    }
    fail(client, DirectProxy.closed(), head && !anyByte);
  }

  /** The exchange failed on the server's side; {@code noAnswer}: not one byte of an answer came back. */
  private void fail(DirectConnection client, Throwable failure, boolean noAnswer) {
    owner = null;
    close();
    client.serverFailed(this, failure, noAnswer);
  }

  private void readFailed(Throwable x) {
    DirectConnection client = owner;
    if (client == null) {
      idleEnds();
      return;
    }
    owner = null;
    close();
    client.serverFailed(this, x, head && !anyByte && !(x instanceof TimeoutException));
  }

  private void clientGone() {
    DirectConnection client = owner;
    owner = null;
    close();
    if (client != null) {
      client.clientWriteFailed(writeFailure);
    }
  }

  /** The exchange ended cleanly: back to the pool once the request is known to be out too. */
  void keep() {
    if (ends.incrementAndGet() == 2) {
      park();
    }
  }

  /** Back to the pool, still reading to see a close. */
  private void park() {
    used = true;
    owner = null;
    // the answer is all written and the request too: nothing reads the buffer any more, and it
    // goes back before another exchange can claim the link
    ByteBuffer b = buf;
    buf = null;
    if (b != null) {
      lane.serverBuffers.give(b);
      lane.outBuffers.give(out);
      out = null;
    }
    getEndPoint().setIdleTimeout(DirectProxy.POOLED_IDLE_MILLIS);
    idle.set(true);
    proxy.release(this);
    // the read interest of the last exchange is spent: ask again
    getEndPoint().tryFillInterested(readCallback);
  }

  private void idleEnds() {
    idle.set(false);
    lane.forget(this);
    close();
  }

  @Override
  public void onClose(Throwable cause) {
    super.onClose(cause);
    cancelCheck.run();
    lane.forget(this);
    if (buf != null) {
      lane.serverBuffers.drop();
      lane.outBuffers.drop();
    }
  }

  /** Whether a piece of the answer waits for the client to take it. */
  boolean writing() {
    return writeState.get() == 3;
  }

  /**
   * {@code timeout server} is for a server that does not answer: while the client is slow to take
   * what the server sent, this connection is idle on purpose (the client side's {@code timeout
   * client} covers that wait).
   */
  @Override
  public boolean onIdleExpired(TimeoutException timeout) {
    return !(owner != null && writing());
  }

  /** A server's answer head that is not valid HTTP (HAProxy's PH: the proxy refuses it with a 502). */
  static final class InvalidAnswer extends IOException {
    private static final long serialVersionUID = 1L;

    InvalidAnswer() {
      super("invalid response head");
    }
  }
}
