package dev.balancer.core.health;

import dev.balancer.config.model.HttpCheck;
import dev.balancer.core.Scheduler;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import jdk.net.ExtendedSocketOptions;

/**
 * HAProxy's TCP and HTTP checks over non-blocking sockets, all on one {@link CheckLoop}. A TCP check passes when the connection
 * opens. An HTTP check sends the configured request, reads the response (up to 16 KiB, HAProxy's
 * {@code tune.chksize}) and applies the expectations: by default a 2xx or 3xx status.
 */
final class SocketProber implements Prober {

  private static final int MAX_RESPONSE = 16384;

  /**
   * {@code TCP_QUICKACK}, or null where it cannot be set: it is Linux's, and it lives in the
   * {@code jdk.net} module, which a trimmed ({@code jlink}) runtime may leave out. Without it the
   * handshake keeps its own ACK: one packet more per check, nothing else changes.
   */
  private static final java.net.SocketOption<Boolean> QUICKACK = quickAck();

  private final CheckLoop loop = CheckLoop.shared();

  @Override
  public CompletableFuture<CheckResult> probe(CheckTarget target) {
    Attempt a = new Attempt(loop, target);
    loop.execute(a::start);
    return a.result;
  }

  @Override
  public Optional<Scheduler> scheduler() {
    return Optional.of(loop);
  }

  /** One check in progress; every method runs on the check loop's thread. */
  private static final class Attempt implements CheckLoop.Handler {
    final CheckLoop loop;
    final CheckTarget target;
    final long start = System.nanoTime();
    final CompletableFuture<CheckResult> result = new CompletableFuture<>();
    SocketChannel channel;
    SelectionKey key;
    Runnable timer = () -> { };
    boolean connected;
    boolean done;
    ByteBuffer out;
    /** Starts small (most check answers are a few hundred bytes) and grows up to 16 KiB. */
    ByteBuffer buffer;

    Attempt(CheckLoop loop, CheckTarget target) {
      this.loop = loop;
      this.target = target;
    }

    void start() {
      try {
        timer = loop.schedule(target.connectTimeout(), () -> finish(CheckStatus.L4TOUT, 0, "Connection timeout"));
        InetSocketAddress address = new InetSocketAddress(target.host(), target.port());
        // an IPv4 socket for an IPv4 server: cheaper to create than the JDK's default dual-stack one
        channel = address.getAddress() instanceof java.net.Inet4Address
            ? SocketChannel.open(java.net.StandardProtocolFamily.INET) : SocketChannel.open();
        channel.configureBlocking(false);
        // HAProxy closes its check connections with a reset: no TIME_WAIT left behind per check
        channel.setOption(StandardSocketOptions.SO_LINGER, 0);
        if (target.http().isPresent() && QUICKACK != null) {
          // as HAProxy does when it has a request to send: the handshake's last ACK is not sent on
          // its own but rides on the request, one packet (and its kernel work) less per check
          channel.setOption(QUICKACK, false);
        }
        if (address.isUnresolved()) {
          finish(CheckStatus.L4CON, 0, "could not resolve " + target.host());
        } else if (channel.connect(address) || channel.finishConnect()) {
          // on loopback and fast networks the handshake is often over already: no wake-up for it
          connected();
        } else {
          key = channel.register(loop.selector(), SelectionKey.OP_CONNECT, this);
        }
      } catch (IOException | RuntimeException e) {
        failed(e);
      }
    }

    @Override
    public void ready(SelectionKey k) {
      try {
        if (!connected) {
          if (channel.finishConnect()) {
            connected();
          }
        } else if (k.isWritable()) {
          write();
        } else if (k.isReadable()) {
          read();
        }
      } catch (IOException | RuntimeException e) {
        failed(e);
      }
    }

    private void failed(Exception e) {
      finish(CheckStatus.L4CON, 0, e instanceof ConnectException ? "Connection refused" : String.valueOf(e.getMessage()));
    }

    private void connected() throws IOException {
      connected = true;
      timer.run();
      if (target.http().isEmpty()) {
        finish(CheckStatus.L4OK, 0, "");
        return;
      }
      long left = target.totalTimeout().toNanos() - (System.nanoTime() - start);
      timer = loop.schedule(Duration.ofNanos(Math.max(1, left)), () -> finish(CheckStatus.L7TOUT, 0, "Layer7 timeout"));
      out = ByteBuffer.wrap(request(target.http().get()).getBytes(StandardCharsets.ISO_8859_1));
      write();
    }

    private void write() throws IOException {
      channel.write(out);
      interest(out.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
    }

    private void interest(int ops) throws IOException {
      if (key == null) {
        key = channel.register(loop.selector(), ops, this);
      } else {
        key.interestOps(ops);
      }
    }

    private void read() throws IOException {
      if (buffer == null) {
        buffer = ByteBuffer.allocate(1024);
      } else if (!buffer.hasRemaining() && buffer.capacity() < MAX_RESPONSE) {
        ByteBuffer bigger = ByteBuffer.allocate(Math.min(MAX_RESPONSE, buffer.capacity() * 4));
        buffer.flip();
        bigger.put(buffer);
        buffer = bigger;
      }
      int n = channel.read(buffer);
      if (n == 0) {
        return;
      }
      boolean eof = n < 0;
      boolean full = !buffer.hasRemaining() && buffer.capacity() >= MAX_RESPONSE;
      Response r = Response.parse(buffer.array(), buffer.position(), eof || full);
      if (r != null) {
        evaluate(r);
      } else if (eof) {
        finish(CheckStatus.L7RSP, 0, buffer.position() == 0 ? "Empty response" : "Invalid or incomplete response");
      }
    }

    void evaluate(Response r) {
      HttpCheck check = target.http().get();
      if (r.code == 0) {
        finish(CheckStatus.L7RSP, 0, r.reason);
        return;
      }
      if (r.code == 404 && check.disableOn404()) {
        finish(CheckStatus.L7OKC, r.code, r.reason);
        return;
      }
      if (check.expects().isEmpty()) {
        finish(r.code >= 200 && r.code < 400 ? CheckStatus.L7OK : CheckStatus.L7STS, r.code, r.reason);
        return;
      }
      for (HttpCheck.Expect e : check.expects()) {
        boolean matched = matches(e, r);
        if (matched == e.negated()) {
          boolean onStatus = e.kind().equals("status") || e.kind().equals("rstatus");
          finish(onStatus ? CheckStatus.L7STS : CheckStatus.L7RSP, r.code, onStatus ? r.reason
              : "HTTP content check did not match");
          return;
        }
      }
      finish(CheckStatus.L7OK, r.code, r.reason);
    }

    void finish(CheckStatus status, int code, String info) {
      if (done) {
        return;
      }
      done = true;
      CheckResult r = new CheckResult(status, code, info, Duration.ofNanos(System.nanoTime() - start));
      timer.run();
      if (key != null) {
        key.cancel();
      }
      try {
        if (channel != null) {
          channel.close();
        }
      } catch (IOException ignored) {
        // closing anyway
      }
      result.complete(r);
    }
  }

  private static java.net.SocketOption<Boolean> quickAck() {
    try (SocketChannel c = SocketChannel.open()) {
      java.net.SocketOption<Boolean> option = ExtendedSocketOptions.TCP_QUICKACK;
      return c.supportedOptions().contains(option) ? option : null;
    } catch (IOException | RuntimeException | LinkageError e) {
      // no jdk.net module in this runtime, or no such option on this platform
      return null;
    }
  }

  static boolean matches(HttpCheck.Expect e, Response r) {
    return switch (e.kind()) {
      case "status" -> statusMatches(e.pattern(), r.code);
      case "rstatus" -> Pattern.compile(e.pattern()).matcher(String.valueOf(r.code)).find();
      case "string" -> r.body.contains(e.pattern());
      case "rstring" -> Pattern.compile(e.pattern()).matcher(r.body).find();
      case "hdr", "fhdr" -> headerMatches(e.pattern(), r.headers);
      default -> true;
    };
  }

  /** {@code name N [value V]}: a header of that name (with that value inside, when given). */
  static boolean headerMatches(String pattern, String headers) {
    String[] w = pattern.split(" ");
    String name = null;
    String value = null;
    for (int i = 0; i + 1 < w.length; i++) {
      if (w[i].equals("name")) {
        name = w[++i].toLowerCase(Locale.ROOT);
      } else if (w[i].equals("value")) {
        value = w[++i];
      }
    }
    if (name == null) {
      return false;
    }
    for (String line : headers.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name)
          && (value == null || line.substring(colon + 1).contains(value))) {
        return true;
      }
    }
    return false;
  }

  /** {@code 200}, {@code 200,204}, {@code 200-299}, lists of both. */
  static boolean statusMatches(String pattern, int code) {
    for (String part : pattern.split(",")) {
      int dash = part.indexOf('-');
      try {
        if (dash > 0) {
          if (code >= Integer.parseInt(part.substring(0, dash).trim()) && code <= Integer.parseInt(part.substring(dash + 1).trim())) {
            return true;
          }
        } else if (code == Integer.parseInt(part.trim())) {
          return true;
        }
      } catch (NumberFormatException ignored) {
        // not a status: no match
      }
    }
    return false;
  }

  /** The check request as HAProxy writes it. */
  static String request(HttpCheck check) {
    HttpCheck.Request r = check.request();
    StringBuilder b = new StringBuilder();
    b.append(r.method()).append(' ').append(r.uri()).append(' ').append(r.version()).append("\r\n");
    if (!r.headers().isEmpty() || r.body().isPresent() || r.version().equals("HTTP/1.1")) {
      for (HttpCheck.Header h : r.headers()) {
        b.append(h.name().toLowerCase(Locale.ROOT)).append(": ").append(h.value()).append("\r\n");
      }
      r.body().ifPresent(body -> b.append("content-length: ").append(body.length()).append("\r\n"));
      b.append("connection: close\r\n");
    }
    b.append("\r\n");
    r.body().ifPresent(b::append);
    return b.toString();
  }

  /** A parsed response, once complete enough to judge. */
  static final class Response {
    final int code;
    final String reason;
    final String headers;
    final String body;

    private Response(int code, String reason, String headers, String body) {
      this.code = code;
      this.reason = reason;
      this.headers = headers;
      this.body = body;
    }

    /** The response, or null while more bytes are needed. */
    static Response parse(byte[] data, int len, boolean complete) {
      String text = new String(data, 0, len, StandardCharsets.ISO_8859_1);
      int headersEnd = text.indexOf("\r\n\r\n");
      if (headersEnd < 0) {
        return complete ? invalid(text) : null;
      }
      String head = text.substring(0, headersEnd);
      int lineEnd = head.indexOf("\r\n");
      String statusLine = lineEnd < 0 ? head : head.substring(0, lineEnd);
      String[] parts = statusLine.split(" ", 3);
      if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
        return new Response(0, "Invalid response", head, "");
      }
      int code;
      try {
        code = Integer.parseInt(parts[1]);
      } catch (NumberFormatException e) {
        return new Response(0, "Invalid response", head, "");
      }
      String body = text.substring(headersEnd + 4);
      String lower = head.toLowerCase(Locale.ROOT);
      int cl = lower.indexOf("\r\ncontent-length:");
      if (!complete && cl >= 0) {
        int eol = lower.indexOf("\r\n", cl + 2);
        String v = lower.substring(cl + 17, eol < 0 ? lower.length() : eol).trim();
        try {
          if (body.length() < Integer.parseInt(v)) {
            return null;
          }
        } catch (NumberFormatException ignored) {
          // judge what we have at the end
        }
      } else if (!complete && !(code == 204 || code == 304 || code < 200)) {
        if (lower.contains("transfer-encoding: chunked") ? !body.endsWith("0\r\n\r\n") : true) {
          return null;
        }
      }
      return new Response(code, parts.length > 2 ? parts[2] : "", head, body);
    }

    private static Response invalid(String text) {
      return text.isEmpty() ? null : new Response(0, "Invalid response", text, "");
    }
  }
}
