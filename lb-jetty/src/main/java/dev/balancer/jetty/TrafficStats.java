package dev.balancer.jetty;

import dev.balancer.core.Balancer;
import dev.balancer.core.BackendServer;
import dev.balancer.core.stats.Counters;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.RequestLog;
import org.eclipse.jetty.server.Response;

/**
 * Counts each finished request in the stats of its frontend, backend and server (status class,
 * bytes, ends of sessions, denials, invalid requests, client aborts): Jetty calls it once per
 * request, as it calls the access log. {@link BalancerServer} installs it; an application that
 * embeds {@link BalancerServlet} in its own server can install it as its request log.
 *
 * <p>Bytes count the request and response as they went over the wire, headers included (the header
 * size is that of the parsed fields, which differs from the raw bytes only by spacing).
 */
public final class TrafficStats implements RequestLog {

  static final String FRONTEND_COUNTED = TrafficStats.class.getName() + ".frontend";
  static final String BACKEND_COUNTED = TrafficStats.class.getName() + ".backend";
  static final String SERVER = TrafficStats.class.getName() + ".server";
  /** Set when the request got no answer at all ({@code http-request reject}): HAProxy counts its status as -1. */
  static final String DROPPED = TrafficStats.class.getName() + ".dropped";

  private final Balancer balancer;

  public TrafficStats(Balancer balancer) {
    this.balancer = balancer;
  }

  @Override
  public void log(Request request, Response response) {
    int status = request.getAttribute(DROPPED) != null ? -1 : response.getStatus();
    long in = Request.getContentBytesRead(request) + headerBytes(request.getHeaders())
        + request.getMethod().length() + request.getHttpURI().getPathQuery().length() + 12;
    long out = Response.getContentBytesWritten(response) + headerBytes(response.getHeaders()) + 17;
    String frontend = request.getAttribute(FRONTEND_COUNTED) instanceof String f ? f : null;
    String termination = request.getAttribute(AccessLog.TERMINATION) instanceof String t ? t : "--";
    if (frontend == null) {
      // refused before it reached the balancer (a malformed request): counted on its frontend
      var connector = request.getConnectionMetaData().getConnector();
      String name = connector == null ? null : connector.getName();
      if (name != null && balancer.config().frontend(name).isPresent()) {
        Counters fe = balancer.frontendStats(name);
        fe.requestError();
        fe.response(status, in, out);
      }
    }
    count(frontend, request.getAttribute(BACKEND_COUNTED) instanceof String b ? b : null,
        request.getAttribute(SERVER) instanceof BackendServer s ? s : null, status, in, out, termination);
  }

  /**
   * Counts a finished request on the frontend, backend and server it began on (each null when it did
   * not get that far), as HAProxy counts it.
   */
  void count(String frontend, String backend, BackendServer server, int status, long in, long out, String termination) {
    if (frontend != null) {
      Counters fe = balancer.frontendStats(frontend);
      fe.end();
      fe.response(status, in, out);
      if (termination.startsWith("PR")) {
        // HAProxy's dreq: deny (whatever its deny_status), tarpit and reject; not auth or return
        fe.deniedRequest();
      }
      if (termination.startsWith("C")) {
        fe.clientAbort();
      }
    }
    if (backend != null) {
      Counters be = balancer.backendStats(backend);
      be.end();
      be.response(status, in, out);
      if (termination.startsWith("C")) {
        be.clientAbort();
      }
    }
    if (server != null) {
      server.stats().response(status, in, out);
      if (termination.startsWith("C")) {
        server.stats().clientAbort();
      } else if (termination.startsWith("S") && !termination.startsWith("SC")) {
        server.stats().serverAbort();
      }
    }
  }

  private static long headerBytes(org.eclipse.jetty.http.HttpFields fields) {
    long n = 2;
    for (HttpField f : fields) {
      n += f.getName().length() + 2 + (f.getValue() == null ? 0 : f.getValue().length()) + 2;
    }
    return n;
  }
}
