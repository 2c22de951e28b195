package dev.balancer.jetty.tunnel;

import dev.balancer.jetty.http1.HopByHop;
import dev.balancer.core.HeaderEdit;
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
      Duration idleTimeout, ClientConnector connector) throws IOException {
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
      byte[] headBytes = readHead(in);
      String[] lines = new String(headBytes, StandardCharsets.ISO_8859_1).split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      response.setStatus(status);
      long contentLength = -1;
      boolean chunked = false;
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon <= 0) {
          continue;
        }
        String name = lines[i].substring(0, colon).trim();
        String value = lines[i].substring(colon + 1).trim();
        if (name.equalsIgnoreCase("content-length")) {
          contentLength = Long.parseLong(value);
        }
        if (name.equalsIgnoreCase("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
          chunked = true;
        }
        if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))
            && (status == 101 || !name.equalsIgnoreCase("connection") && !name.equalsIgnoreCase("upgrade"))) {
          response.addHeader(name, value);
        }
      }
      if (status != 101) {
        // an ordinary answer: its body as its framing says (none for 1xx, 204, 304), then the exchange is over
        byte[] body = status < 200 || status == 204 || status == 304 ? new byte[0]
            : chunked ? dechunk(in)
            : contentLength >= 0 ? in.readNBytes((int) Math.min(contentLength, Integer.MAX_VALUE))
            : in.readAllBytes();
        response.getOutputStream().write(body);
        return;
      }
      ServletContextRequest core = ServletContextRequest.getServletContextRequest(request);
      EndPoint endPoint = core.getConnectionMetaData().getConnection().getEndPoint();
      Executor executor = core.getComponents().getExecutor();
      endPoint.setIdleTimeout(idleTimeout.toMillis());
      Pipe pipe = new Pipe(endPoint, executor, channel, connector, lease, idleTimeout);
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
    for (HeaderEdit e : lease.requestHeaderEdits()) {
      if (e.name().equalsIgnoreCase("connection")) {
        continue; // connection modes do not apply to a protocol switch
      }
      if (e.kind() != HeaderEdit.Kind.ADD) {
        headers.removeIf(h -> h[0].equalsIgnoreCase(e.name()));
      }
      if (e.kind() != HeaderEdit.Kind.DEL) {
        headers.add(new String[] {e.name(), e.value()});
      }
    }
    for (String[] h : headers) {
      b.append(h[0]).append(": ").append(h[1]).append("\r\n");
    }
    return b.append("\r\n").toString();
  }

  /** A chunked body, decoded (trailers dropped). */
  private static byte[] dechunk(InputStream in) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    while (true) {
      String sizeLine = line(in);
      int semi = sizeLine.indexOf(';');
      int size = Integer.parseInt((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
      if (size == 0) {
        while (!line(in).isEmpty()) {
          // trailers
        }
        return out.toByteArray();
      }
      out.write(in.readNBytes(size));
      line(in);
    }
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0 && c != '\n') {
      if (c != '\r') {
        b.append((char) c);
      }
      if (b.length() > 8192) {
        throw new IOException("chunk line too long");
      }
    }
    if (c < 0 && b.length() == 0) {
      throw new IOException("the server closed the connection in a chunked body");
    }
    return b.toString();
  }

  private static byte[] readHead(InputStream in) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("the server closed the connection before answering");
      }
      out.write(c);
      matched = (c == '\r' && (matched == 0 || matched == 2)) || (c == '\n' && (matched == 1 || matched == 3)) ? matched + 1
          : c == '\r' ? 1 : 0;
      if (out.size() > 65536) {
        throw new IOException("the server's answer head is too large");
      }
    }
    return out.toByteArray();
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
    private final AtomicLong lastActivity = new AtomicLong(System.nanoTime());
    private final long idleMillis;
    /** Bytes the client sent right after its request head, for the server first. */
    private ByteBuffer early;
    private volatile ServerSide server;

    Pipe(EndPoint endPoint, Executor executor, SocketChannel channel, ClientConnector connector, Lease lease,
        Duration idle) {
      super(endPoint, executor);
      this.channel = channel;
      this.connector = connector;
      this.lease = lease;
      this.idleMillis = idle.toMillis();
    }

    private boolean idle() {
      return System.nanoTime() - lastActivity.get() >= idleMillis * 1_000_000L;
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
          lastActivity.set(System.nanoTime());
          server.getEndPoint().write(Callback.from(this::fillInterested,
              x -> close("client to server: " + x.getMessage())), fromClient);
        }
      } catch (IOException e) {
        close("client to server: " + e.getMessage());
      }
    }

    @Override
    protected boolean onReadTimeout(TimeoutException timeout) {
      if (!idle()) {
        // the other way was busy: keep the tunnel. The timeout used up our read interest, and
        // Jetty does not renew it when we keep the connection: without this, the next bytes
        // would never be read.
        fillInterested();
        return false;
      }
      close("timeout tunnel");
      return true;
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
      endPoint.setIdleTimeout(pipe.idleMillis);
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
          pipe.lastActivity.set(System.nanoTime());
          pipe.getEndPoint().write(Callback.from(this::fillInterested,
              x -> pipe.close("server to client: " + x.getMessage())), fromServer);
        }
      } catch (IOException e) {
        pipe.close("server to client: " + e.getMessage());
      }
    }

    @Override
    protected boolean onReadTimeout(TimeoutException timeout) {
      if (!pipe.idle()) {
        fillInterested();
        return false;
      }
      pipe.close("timeout tunnel");
      return true;
    }

    @Override
    public void onClose(Throwable cause) {
      pipe.close(cause == null ? "server closed" : cause.toString());
      super.onClose(cause);
    }
  }
}
