package dev.balancer.jetty.tunnel;

import dev.balancer.jetty.http1.ChunkScanner;
import dev.balancer.jetty.http1.HeaderEdits;
import dev.balancer.jetty.http1.HopByHop;
import dev.balancer.jetty.http1.HttpHead;
import dev.balancer.core.Lease;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.nio.channels.SocketChannel;
import java.util.HashMap;
import java.util.Map;
import org.eclipse.jetty.io.ClientConnectionFactory;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.util.BufferUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * WebSocket and other {@code Upgrade} requests, which Jetty's proxy servlet cannot carry: the
 * request head goes to the chosen server over a socket of its own; when the server answers {@code
 * 101}, the client gets that answer and the client's connection becomes a byte tunnel to the
 * server, both ways, until both sides have closed (one side's close is passed on to the other as a
 * half-close, which may still answer) or it stays silent for {@code timeout tunnel} (else
 * {@code timeout client}/{@code server}), as in HAProxy. Any other answer is passed back as an
 * ordinary response. The lease on the server is held while the tunnel lives.
 *
 * <p>Both ways run on selectors, no thread per tunnel: the client's side on the listener's, the
 * server's on the HTTP client's connector, each reading only when its last bytes are written to
 * the other side.
 */
public final class Tunnel {

  private static final Logger LOG = LoggerFactory.getLogger(Tunnel.class);
  /** Hop-by-hop fields less the two a protocol switch needs to carry on: Connection and Upgrade. */
  private static final Set<String> HOP_BY_HOP = HopByHop.NAMES.stream()
      .filter(n -> !n.equals("connection") && !n.equals("upgrade")).collect(java.util.stream.Collectors.toUnmodifiableSet());

  private Tunnel() {}

  /** Whether the request asks to switch protocols ({@code Connection: upgrade} and {@code Upgrade}). */
  public static boolean isUpgrade(HttpServletRequest r) {
    if (r.getHeader("upgrade") == null) {
      return false;
    }
    for (String v : Collections.list(r.getHeaders("connection"))) {
      for (String token : v.split(",")) {
        if (token.trim().equalsIgnoreCase("upgrade")) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Sends the upgrade request to the leased server and answers the client; returns normally when
   * the answer is written (the tunnel, if any, then runs on its own).
   */
  public static void open(HttpServletRequest request, HttpServletResponse response, Lease lease, Duration connectTimeout,
      Duration idleTimeout, ClientConnector connector, dev.balancer.core.Scheduler clock) throws IOException {
    // a channel, used blocking for the handshake and then handed to the connector's selector
    SocketChannel channel = SocketChannel.open();
    Socket socket = channel.socket();
    boolean handedOver = false;
    try {
      socket.connect(new InetSocketAddress(lease.server().host(), lease.server().port()),
          (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
      socket.setTcpNoDelay(true);
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, idleTimeout.toMillis()));
      socket.getOutputStream().write(head(request, lease).getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      ByteBuffer read = ByteBuffer.allocate(HEAD_LIMIT);
      HttpHead h = readHead(in, read);
      int status = h.status;
      response.setStatus(status);
      for (int i = 0; i < h.fields; i++) {
        String name = h.name(i);
        if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))
            && (status == 101 || !name.equalsIgnoreCase("connection") && !name.equalsIgnoreCase("upgrade"))) {
          response.addHeader(name, h.value(i));
        }
      }
      if (status != 101) {
        // an ordinary answer: its body as its framing says (none for 1xx, 204, 304), then the exchange is over
        byte[] body = status < 200 || status == 204 || status == 304 ? new byte[0]
            : h.chunked ? dechunk(in, read)
            : h.contentLength >= 0 ? rest(in, read, h.contentLength)
            : rest(in, read, -1);
        response.getOutputStream().write(body);
        return;
      }
      ServletContextRequest core = ServletContextRequest.getServletContextRequest(request);
      EndPoint endPoint = core.getConnectionMetaData().getConnection().getEndPoint();
      Executor executor = core.getComponents().getExecutor();
      endPoint.setIdleTimeout(0); // the pipe times both ways on lb-core's clock
      Pipe pipe = new Pipe(endPoint, executor, channel, connector, lease, idleTimeout, clock);
      request.setAttribute(HttpStream.UPGRADE_CONNECTION_ATTRIBUTE, pipe);
      // the pipe takes over when Jetty has written the 101 and switches the connection; when the
      // exchange fails instead (the client gone, the 101 not written), nothing ever opens it: its
      // server connection and its lease go here
      org.eclipse.jetty.server.Request.addCompletionListener(core, failure -> {
        if (failure != null) {
          pipe.close("the switch failed: " + failure);
        }
      });
      handedOver = true;
    } finally {
      if (!handedOver) {
        channel.close();
      }
    }
  }

  /** The request head as the server must see it: as the client sent it, with the rules' header edits. */
  private static String head(HttpServletRequest r, Lease lease) {
    StringBuilder b = new StringBuilder(r.getMethod()).append(' ').append(r.getRequestURI());
    if (r.getQueryString() != null) {
      b.append('?').append(r.getQueryString());
    }
    b.append(" HTTP/1.1\r\n");
    List<String[]> headers = new ArrayList<>();
    for (String name : Collections.list(r.getHeaderNames())) {
      if (HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
        continue;
      }
      for (String value : Collections.list(r.getHeaders(name))) {
        headers.add(new String[] {name, value});
      }
    }
    // connection modes do not apply to a protocol switch
    HeaderEdits.apply(lease.requestHeaderEdits().stream().filter(e -> !e.name().equalsIgnoreCase("connection")).toList(),
        new HeaderEdits.Fields() {
          @Override
          public void remove(String name) {
            headers.removeIf(h -> h[0].equalsIgnoreCase(name));
          }

          @Override
          public void add(String name, String value) {
            headers.add(new String[] {name, value});
          }
        });
    for (String[] h : headers) {
      b.append(h[0]).append(": ").append(h[1]).append("\r\n");
    }
    return b.append("\r\n").toString();
  }

  /** Larger answer heads are refused, as the direct path refuses them. */
  private static final int HEAD_LIMIT = 64 * 1024;

  /**
   * Reads the server's answer head with the HTTP/1 kit's strict parser, a byte at a time so that
   * nothing after it is taken from the socket (after a 101 the server may speak at once, and those
   * bytes belong to the tunnel).
   */
  private static HttpHead readHead(InputStream in, ByteBuffer read) throws IOException {
    while (true) {
      if (!read.hasRemaining()) {
        throw new IOException("the server's answer head is too large");
      }
      int c = in.read();
      if (c < 0) {
        throw new IOException("the server closed the connection before answering");
      }
      read.put((byte) c);
      if (c != '\n') {
        continue;
      }
      read.flip();
      int length = HttpHead.end(read, Math.max(0, read.remaining() - 1));
      if (length == HttpHead.BARE_LF) {
        throw new IOException("the server's answer head ends a line with a bare LF");
      }
      if (length > 0) {
        HttpHead h = HttpHead.parse(read, length, false);
        if (h == null || h.otherEncoding) {
          throw new IOException("the server's answer head is not valid HTTP/1.1");
        }
        read.position(read.limit());
        return h;
      }
      read.position(read.limit()).limit(read.capacity());
    }
  }

  /** The rest of a body of {@code length} bytes (-1: until the server closes), after what {@code read} holds. */
  private static byte[] rest(InputStream in, ByteBuffer read, long length) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    int first = length < 0 ? read.remaining() : (int) Math.min(read.remaining(), length);
    out.write(read.array(), read.position(), first);
    if (length < 0) {
      in.transferTo(out);
    } else if (length > first) {
      out.write(in.readNBytes((int) Math.min(length - first, Integer.MAX_VALUE)));
    }
    return out.toByteArray();
  }

  /**
   * A chunked body, decoded (trailers dropped): its end found by the HTTP/1 kit's {@link
   * ChunkScanner} (which refuses what is malformed), then its chunks' data taken from the bytes.
   */
  private static byte[] dechunk(InputStream in, ByteBuffer read) throws IOException {
    java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
    raw.write(read.array(), read.position(), read.remaining());
    ChunkScanner scanner = new ChunkScanner();
    // the scanner keeps its state across pieces: each read is scanned once, on its own
    int end = scanner.scan(ByteBuffer.wrap(read.array(), 0, read.limit()), read.position(), read.limit());
    byte[] buf = new byte[8192];
    while (end == ChunkScanner.MORE) {
      int n = in.read(buf);
      if (n < 0) {
        throw new IOException("the server closed the connection in a chunked body");
      }
      raw.write(buf, 0, n);
      end = scanner.scan(ByteBuffer.wrap(buf, 0, n), 0, n);
    }
    if (end == ChunkScanner.MALFORMED) {
      throw new IOException("the server's chunked body is malformed");
    }
    byte[] b = raw.toByteArray();
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    int i = 0;
    while (true) {
      int lineEnd = indexOfCrlf(b, i);
      int sizeEnd = i;
      while (sizeEnd < lineEnd && Character.digit(b[sizeEnd], 16) >= 0) {
        sizeEnd++;
      }
      int size = Integer.parseInt(new String(b, i, sizeEnd - i, StandardCharsets.ISO_8859_1), 16);
      if (size == 0) {
        return out.toByteArray();
      }
      out.write(b, lineEnd + 2, size);
      i = lineEnd + 2 + size + 2;
    }
  }

  private static int indexOfCrlf(byte[] b, int from) {
    for (int i = from; i + 1 < b.length; i++) {
      if (b[i] == '\r' && b[i + 1] == '\n') {
        return i;
      }
    }
    return b.length;
  }

  /** The upgraded client connection: bytes both ways between the client's end point and the server's. */
  public static final class Pipe extends AbstractConnection implements Connection.UpgradeTo {
    private final SocketChannel channel;
    private final ClientConnector connector;
    private final Lease lease;
    private final ByteBuffer fromClient = BufferUtil.allocate(16384);
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Each way that has ended (its sender closed its side), passed on as a half-close. */
    private final AtomicBoolean clientDone = new AtomicBoolean();
    private final AtomicBoolean serverDone = new AtomicBoolean();
    /** The last time bytes went either way: the tunnel times out only when both ways are silent. */
    private final AtomicLong lastActivity;
    private final long idleMillis;
    private final dev.balancer.core.Scheduler clock;
    private volatile Runnable cancelCheck = () -> { };
    /** Bytes the client sent right after its request head, for the server first. */
    private ByteBuffer early;
    private volatile ServerSide server;

    Pipe(EndPoint endPoint, Executor executor, SocketChannel channel, ClientConnector connector, Lease lease,
        Duration idle, dev.balancer.core.Scheduler clock) {
      super(endPoint, executor);
      this.channel = channel;
      this.connector = connector;
      this.lease = lease;
      this.idleMillis = idle.toMillis();
      this.clock = clock;
      this.lastActivity = new AtomicLong(clock.nanoTime());
    }

    void active() {
      lastActivity.set(clock.nanoTime());
    }

    /**
     * {@code timeout tunnel} (else {@code timeout client}/{@code server}), on lb-core's clock: the
     * tunnel closes when neither way moved a byte for that long. One check at a time, again at the
     * time left.
     */
    private void checkLater(long millis) {
      if (idleMillis > 0 && !closed.get()) {
        cancelCheck = clock.schedule(Duration.ofMillis(Math.max(1, millis)), this::check);
      }
    }

    private void check() {
      long idle = (clock.nanoTime() - lastActivity.get()) / 1_000_000;
      if (idle >= idleMillis) {
        close("timeout tunnel");
      } else {
        checkLater(idleMillis - idle);
      }
    }

    @Override
    public void onUpgradeTo(ByteBuffer buffered) {
      // bytes the client sent right after its request head, already read by the HTTP parser
      if (BufferUtil.hasContent(buffered)) {
        early = ByteBuffer.wrap(BufferUtil.toArray(buffered));
      }
    }

    @Override
    public void onOpen() {
      super.onOpen();
      active();
      checkLater(idleMillis);
      Map<String, Object> context = new HashMap<>();
      context.put(Transport.CONTEXT_KEY, Transport.TCP_IP);
      context.put(ClientConnectionFactory.CONTEXT_KEY, (ClientConnectionFactory) (ep, ctx) -> new ServerSide(ep, this));
      context.put(ClientConnector.CONNECTION_PROMISE_CONTEXT_KEY, new Promise<Connection>() {
        @Override
        public void succeeded(Connection connection) {
          server = (ServerSide) connection;
          if (closed.get()) {
            connection.close();
            return;
          }
          ByteBuffer first = early;
          early = null;
          if (first != null) {
            server.getEndPoint().write(Callback.from(Pipe.this::fillInterested,
                x -> close("client to server: " + x.getMessage())), first);
          } else {
            fillInterested();
          }
        }

        @Override
        public void failed(Throwable x) {
          close("the server's side: " + x);
        }
      });
      try {
        channel.configureBlocking(false);
        context.put(ClientConnector.REMOTE_SOCKET_ADDRESS_CONTEXT_KEY, channel.getRemoteAddress());
        connector.accept(channel, context);
      } catch (IOException | RuntimeException e) {
        close("the server's side: " + e);
      }
    }

    /** Client to server: read when the last bytes are written, so a slow server slows the client. */
    @Override
    public void onFillable() {
      try {
        BufferUtil.clear(fromClient);
        int n = getEndPoint().fill(fromClient);
        if (n < 0) {
          // the client said all: the server hears it, and may still answer
          ended(clientDone, serverDone, server.getEndPoint(), "client closed");
        } else if (n == 0) {
          fillInterested();
        } else {
          active();
          server.getEndPoint().write(Callback.from(this::fillInterested,
              x -> close("client to server: " + x.getMessage())), fromClient);
        }
      } catch (IOException e) {
        close("client to server: " + e.getMessage());
      }
    }


    /**
     * One way ended ({@code done}): its receiver's sending side is shut, as HAProxy passes a
     * half-close on; the tunnel closes once the other way has ended too.
     */
    private void ended(AtomicBoolean done, AtomicBoolean other, EndPoint receiver, String why) {
      done.set(true);
      if (other.get()) {
        close(why);
      } else {
        // every byte read before the end is written already (a side reads only then)
        receiver.shutdownOutput();
        if (other.get()) {
          close(why);
        }
      }
    }

    private void close(String why) {
      if (closed.compareAndSet(false, true)) {
        cancelCheck.run();
        LOG.debug("tunnel to {}/{} closed: {}", lease.server().backend(), lease.server().name(), why);
        ServerSide s = server;
        if (s != null) {
          s.getEndPoint().close();
        } else {
          try {
            channel.close();
          } catch (IOException ignored) {
            // closing anyway
          }
        }
        getEndPoint().close();
        lease.release();
      }
    }

    @Override
    public void onClose(Throwable cause) {
      close(cause == null ? "closed" : cause.toString());
      super.onClose(cause);
    }
  }

  /** The server's side of a tunnel: server to client, read when the last bytes are written. */
  public static final class ServerSide extends AbstractConnection {
    private final Pipe pipe;
    private final ByteBuffer fromServer = BufferUtil.allocate(16384);

    ServerSide(EndPoint endPoint, Pipe pipe) {
      super(endPoint, pipe.connector.getExecutor());
      this.pipe = pipe;
      endPoint.setIdleTimeout(0); // the pipe times both ways
    }

    @Override
    public void onOpen() {
      super.onOpen();
      fillInterested();
    }

    @Override
    public void onFillable() {
      try {
        BufferUtil.clear(fromServer);
        int n = getEndPoint().fill(fromServer);
        if (n < 0) {
          pipe.ended(pipe.serverDone, pipe.clientDone, pipe.getEndPoint(), "server closed");
        } else if (n == 0) {
          fillInterested();
        } else {
          pipe.active();
          pipe.getEndPoint().write(Callback.from(this::fillInterested,
              x -> pipe.close("server to client: " + x.getMessage())), fromServer);
        }
      } catch (IOException e) {
        pipe.close("server to client: " + e.getMessage());
      }
    }


    @Override
    public void onClose(Throwable cause) {
      pipe.close(cause == null ? "server closed" : cause.toString());
      super.onClose(cause);
    }
  }
}
