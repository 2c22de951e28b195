package dev.balancer.jetty.log;

import dev.balancer.config.model.Frontend;
import dev.balancer.core.Balancer;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.RequestLog;
import org.eclipse.jetty.server.Response;

/**
 * HAProxy's {@code option httplog} line, one per request of a frontend that asks for it
 * (reference §8):
 *
 * <pre>%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %{+Q}r</pre>
 *
 * for example {@code 127.0.0.1:58750 [26/Nov/2026:00:19:36.736] www app/web1 0/0/0/1/1 200 1170 - -
 * ---- 1/1/0/0/0 0/0 "GET / HTTP/1.1"}. {@code %B} counts the body bytes sent to the client
 * (HAProxy counts the headers too); {@code %Tc} is the time to get a connection to the server,
 * 0 for a pooled one. The proxy servlet leaves the request's story in its attributes.
 */
public final class AccessLog implements RequestLog {

  /** The request attribute that holds a servlet request's {@link dev.balancer.core.Exchange}. */
  public static final String EXCHANGE = "dev.balancer.jetty.exchange";

  private static final DateTimeFormatter DATE =
      DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss.SSS", Locale.ROOT).withZone(ZoneId.systemDefault());

  private final Balancer balancer;
  private final Consumer<String> sink;

  public AccessLog(Balancer balancer, Consumer<String> sink) {
    this.balancer = balancer;
    this.sink = sink;
  }

  @Override
  public void log(Request request, Response response) {
    if (!(request.getAttribute(EXCHANGE) instanceof dev.balancer.core.Exchange x)
        || !x.frontendCounted()) {
      return;
    }
    String frontend = x.frontend();
    // one look-up of the frontend's options per request: whether it logs, and in which format
    balancer.config().frontend(frontend).map(Frontend::options).filter(o -> o.enabled("httplog"))
        .ifPresent(o -> sink.accept(line(x, request, response, frontend, o.logFormat().orElse(HTTPLOG))));
  }

  private boolean logs(String frontend) {
    return option(frontend, "httplog");
  }

  private boolean option(String frontend, String name) {
    return balancer.config().frontend(frontend).map(Frontend::options).map(o -> o.enabled(name)).orElse(false);
  }

  /**
   * HAProxy's line for a connection cut by {@code timeout http-request} with a 408: {@code
   * <BADREQ>}, {@code cR--}; one that sent nothing at all is left out with {@code option
   * dontlognull}.
   */
  public void timedOut(String frontend, java.net.SocketAddress client, long openedMillis, boolean silent) {
    if (frontend == null || !logs(frontend) || silent && option(frontend, "dontlognull")
        || !(client instanceof java.net.InetSocketAddress a)) {
      return;
    }
    long took = System.currentTimeMillis() - openedMillis;
    sink.accept(a.getAddress().getHostAddress() + ":" + a.getPort() + " [" + DATE.format(Instant.ofEpochMilli(openedMillis))
        + "] " + frontend + " " + frontend + "/<NOSRV> -1/-1/-1/-1/" + took + " 408 0 - - cR-- 0/0/0/0/0 0/0 \"<BADREQ>\"");
  }

  /** HAProxy's {@code option httplog} format (without the empty header captures). */
  public static final String HTTPLOG = "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %{+Q}r";

  /** What one request's log line says, however it was proxied. */
  public record Facts(java.net.SocketAddress client, long beginNanos, long headersNanos, String backend, String server,
      long decided, long sent, long begun, long answered, String termination, String cookieFlags, int retries,
      String method, String pathQuery, String path, String query, String version, int status, long bodyBytes) {

    /** The facts of a request whose exchange is {@code x}, with what only the transport knows. */
    public static Facts of(dev.balancer.core.Exchange x, java.net.SocketAddress client, long beginNanos, long headersNanos,
        String method, String pathQuery, String path, String query, String version, int status, long bodyBytes) {
      return new Facts(client, beginNanos, headersNanos, x.backend(), x.serverName(), x.decidedNanos(), x.sentNanos(),
          x.connectedNanos(), x.answeredNanos(), x.termination().code(), x.cookieFlags(), x.retries(), method,
          pathQuery, path, query, version, status, bodyBytes);
    }
  }

  private String line(dev.balancer.core.Exchange x, Request request, Response response, String frontend, String format) {
    var uri = request.getHttpURI();
    // the status the client got, as Jetty wrote it (a local answer too); -1 for no answer at all
    return line(Facts.of(x, request.getConnectionMetaData().getRemoteSocketAddress(), request.getBeginNanoTime(),
        request.getHeadersNanoTime(), request.getMethod(), uri.getPathQuery() == null ? "/" : uri.getPathQuery(),
        uri.getPath() == null ? "/" : uri.getPath(), uri.getQuery() == null ? "" : "?" + uri.getQuery(),
        request.getConnectionMetaData().getProtocol(), x.dropped() ? -1 : response.getStatus(),
        Response.getContentBytesWritten(response)), frontend, format);
  }

  /** The line format of a frontend that logs ({@code option httplog}), or null: one look-up per request. */
  public String format(String frontend) {
    return balancer.config().frontend(frontend).map(Frontend::options).filter(o -> o.enabled("httplog"))
        .map(o -> o.logFormat().orElse(HTTPLOG)).orElse(null);
  }

  /** Logs a request the {@link dev.balancer.jetty.direct.DirectProxy} carried, in its frontend's {@link #format}. */
  public void log(Facts facts, String frontend, String format) {
    sink.accept(line(facts, frontend, format));
  }

  private String line(Facts f, String frontend, String format) {
    long begin = f.beginNanos();
    long now = System.nanoTime();
    long headers = f.headersNanos();
    Instant start = Instant.now().minusNanos(now - begin);
    String backend = f.backend();
    String server = f.server();
    long decided = f.decided();
    long sent = f.sent();
    long begun = f.begun();
    long answered = f.answered();
    int beConn = balancer.servers(backend).stream().mapToInt(s -> s.inFlight()).sum();
    int srvConn = balancer.server(backend, server).map(s -> s.inFlight()).orElse(0);
    java.util.Map<String, String> v = new java.util.HashMap<>();
    if (f.client() instanceof java.net.InetSocketAddress a) {
      v.put("ci", a.getAddress().getHostAddress());
      v.put("cp", String.valueOf(a.getPort()));
    }
    v.put("tr", DATE.format(start));
    v.put("t", DATE.format(start));
    v.put("ft", frontend);
    v.put("f", frontend);
    v.put("b", backend);
    v.put("s", server);
    v.put("TR", ms(begin, headers));
    v.put("Tw", decided < 0 ? "-1" : ms(headers, decided));
    v.put("Tc", sent < 0 || begun < 0 ? "-1" : ms(sent, begun));
    v.put("Tr", begun < 0 || answered < 0 ? "-1" : ms(begun, answered));
    v.put("Ta", ms(begin, now));
    v.put("Tt", ms(begin, now));
    // a request answered by closing the connection (reject) is logged with HAProxy's -1
    v.put("ST", String.valueOf(f.status()));
    v.put("B", String.valueOf(f.bodyBytes()));
    v.put("CC", "-");
    v.put("CS", "-");
    v.put("tsc", f.termination() + f.cookieFlags());
    v.put("ts", f.termination());
    v.put("ac", String.valueOf(beConn));
    v.put("fc", String.valueOf(beConn));
    v.put("bc", String.valueOf(beConn));
    v.put("sc", String.valueOf(srvConn));
    v.put("rc", String.valueOf(f.retries()));
    v.put("sq", "0");
    v.put("bq", String.valueOf(balancer.queued(backend)));
    v.put("r", f.method() + " " + f.pathQuery() + " " + f.version());
    v.put("HM", f.method());
    v.put("HU", f.pathQuery());
    v.put("HP", f.path());
    v.put("HQ", f.query());
    v.put("HV", f.version());
    v.put("ID", "-");
    return v.containsKey("ci") ? format(format, v) : "";
  }

  /**
   * A {@code log-format} line: {@code %X} and {@code %{+Q}X} (quoted) variables from {@code v}, in
   * HAProxy's names; {@code %%} is a percent sign; an unknown variable is written as {@code -}.
   */
  public static String format(String format, java.util.Map<String, String> v) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < format.length(); i++) {
      char c = format.charAt(i);
      if (c != '%' || i + 1 >= format.length()) {
        b.append(c);
        continue;
      }
      if (format.charAt(i + 1) == '%') {
        b.append('%');
        i++;
        continue;
      }
      boolean quote = false;
      int j = i + 1;
      if (format.charAt(j) == '{') {
        int close = format.indexOf('}', j);
        if (close < 0) {
          b.append(format, i, format.length());
          break;
        }
        quote = format.substring(j + 1, close).contains("+Q");
        j = close + 1;
      }
      int k = j;
      while (k < format.length() && Character.isLetter(format.charAt(k))) {
        k++;
      }
      // the longest name that is a variable: %Tr/... after %T is Tr, not T
      String name = format.substring(j, k);
      while (!name.isEmpty() && !v.containsKey(name)) {
        name = name.substring(0, name.length() - 1);
      }
      String value = name.isEmpty() ? "-" : v.get(name);
      b.append(quote ? "\"" + value + "\"" : value);
      i = j + Math.max(name.length(), name.isEmpty() ? k - j : 0) - 1;
    }
    return b.toString();
  }



  private static String ms(long from, long to) {
    if (to < from) {
      return "0";
    }
    return String.valueOf(Math.max(0, TimeUnit.NANOSECONDS.toMillis(to - from)));
  }
}
