package dev.balancer.jetty;

import dev.balancer.core.Balancer;
import dev.balancer.core.Exchange;
import dev.balancer.jetty.log.AccessLog;
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

  private final Balancer balancer;

  public TrafficStats(Balancer balancer) {
    this.balancer = balancer;
  }

  @Override
  public void log(Request request, Response response) {
    long in = Request.getContentBytesRead(request) + headerBytes(request.getHeaders())
        + request.getMethod().length() + request.getHttpURI().getPathQuery().length() + 12;
    long out = Response.getContentBytesWritten(response) + headerBytes(response.getHeaders()) + 17;
    if (request.getAttribute(AccessLog.EXCHANGE) instanceof Exchange x) {
      x.end(response.getStatus(), in, out);
      return;
    }
    // refused before it reached the balancer (a malformed request): counted on its frontend
    var connector = request.getConnectionMetaData().getConnector();
    String name = connector == null ? null : connector.getName();
    if (name != null && balancer.config().frontend(name).isPresent()) {
      Counters fe = balancer.frontendStats(name);
      fe.requestError();
      fe.response(response.getStatus(), in, out);
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
