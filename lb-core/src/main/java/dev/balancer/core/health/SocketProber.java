package dev.balancer.core.health;

import dev.balancer.config.model.HttpCheck;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousChannelGroup;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * HAProxy's TCP and HTTP checks over non-blocking sockets. A TCP check passes when the connection
 * opens. An HTTP check sends the configured request, reads the response (up to 16 KiB, HAProxy's
 * {@code tune.chksize}) and applies the expectations: by default a 2xx or 3xx status.
 */
final class SocketProber implements Prober {

  private static final int MAX_RESPONSE = 16384;

  private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "health-check-timer");
    t.setDaemon(true);
    return t;
  });

  /** Two threads run every check's I/O completions: no thread per server, no hand-off per event. */
  private static final AsynchronousChannelGroup GROUP = group();

  private static AsynchronousChannelGroup group() {
    try {
      return AsynchronousChannelGroup.withFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "health-check-io");
        t.setDaemon(true);
        return t;
      });
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Override
  public CompletableFuture<CheckResult> probe(CheckTarget target) {
    return new Attempt(target).start();
  }

  /** One check in progress. */
  private static final class Attempt {
    final CheckTarget target;
    final long start = System.nanoTime();
    final CompletableFuture<CheckResult> result = new CompletableFuture<>();
    AsynchronousSocketChannel channel;
    ScheduledFuture<?> timer;
    /** Starts small (most check answers are a few hundred bytes) and grows up to 16 KiB. */
    ByteBuffer buffer = ByteBuffer.allocate(1024);

    Attempt(CheckTarget target) {
      this.target = target;
    }

    CompletableFuture<CheckResult> start() {
      try {
        channel = AsynchronousSocketChannel.open(GROUP);
      } catch (IOException e) {
        finish(CheckStatus.L4CON, 0, String.valueOf(e.getMessage()));
        return result;
      }
      timer = TIMER.schedule(() -> finish(CheckStatus.L4TOUT, 0, "Connection timeout"),
          target.connectTimeout().toNanos(), TimeUnit.NANOSECONDS);
      channel.connect(new InetSocketAddress(target.host(), target.port()), null, new CompletionHandler<Void, Void>() {
        @Override
        public void completed(Void v, Void a) {
          timer.cancel(false);
          if (target.http().isEmpty()) {
            finish(CheckStatus.L4OK, 0, "");
            return;
          }
          long left = target.totalTimeout().toNanos() - (System.nanoTime() - start);
          timer = TIMER.schedule(() -> finish(CheckStatus.L7TOUT, 0, "Layer7 timeout"), Math.max(1, left), TimeUnit.NANOSECONDS);
          write(ByteBuffer.wrap(request(target.http().get()).getBytes(StandardCharsets.ISO_8859_1)));
        }

        @Override
        public void failed(Throwable e, Void a) {
          finish(CheckStatus.L4CON, 0, e instanceof ConnectException ? "Connection refused" : String.valueOf(e.getMessage()));
        }
      });
      return result;
    }

    void write(ByteBuffer out) {
      channel.write(out, null, new CompletionHandler<Integer, Void>() {
        @Override
        public void completed(Integer n, Void a) {
          if (out.hasRemaining()) {
            write(out);
          } else {
            read();
          }
        }

        @Override
        public void failed(Throwable e, Void a) {
          finish(CheckStatus.L4CON, 0, String.valueOf(e.getMessage()));
        }
      });
    }

    void read() {
      if (!buffer.hasRemaining() && buffer.capacity() < MAX_RESPONSE) {
        ByteBuffer bigger = ByteBuffer.allocate(Math.min(MAX_RESPONSE, buffer.capacity() * 4));
        buffer.flip();
        bigger.put(buffer);
        buffer = bigger;
      }
      channel.read(buffer, null, new CompletionHandler<Integer, Void>() {
        @Override
        public void completed(Integer n, Void a) {
          boolean eof = n < 0;
          boolean full = !buffer.hasRemaining() && buffer.capacity() >= MAX_RESPONSE;
          Response r = Response.parse(buffer.array(), buffer.position(), eof || full);
          if (r != null) {
            evaluate(r);
          } else if (eof) {
            finish(CheckStatus.L7RSP, 0, buffer.position() == 0 ? "Empty response" : "Invalid or incomplete response");
          } else {
            read();
          }
        }

        @Override
        public void failed(Throwable e, Void a) {
          finish(CheckStatus.L4CON, 0, String.valueOf(e.getMessage()));
        }
      });
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
      if (result.complete(new CheckResult(status, code, info, Duration.ofNanos(System.nanoTime() - start)))) {
        if (timer != null) {
          timer.cancel(false);
        }
        try {
          if (channel != null) {
            channel.close();
          }
        } catch (IOException ignored) {
          // closing anyway
        }
      }
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
      String statusLine = head.split("\r\n", 2)[0];
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
