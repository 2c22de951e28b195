package dev.balancer.jetty;

import dev.balancer.core.Balancer;
import dev.balancer.core.BackendServer;
import dev.balancer.core.Decision;
import dev.balancer.core.Lease;
import dev.balancer.core.Outcome;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.ee10.proxy.AsyncProxyServlet;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.http.HttpHeader;

/**
 * A transparent HTTP proxy servlet that asks a {@link Balancer} where each request goes.
 *
 * <pre>{@code
 * Balancer balancer = Balancer.create(ConfigLoader.load(Path.of("haproxy.cfg")).orThrow());
 * ServletContextHandler context = new ServletContextHandler("/");
 * context.addServlet(new ServletHolder(BalancerServlet.forBackend(balancer, "app")), "/*");
 * }</pre>
 *
 * <p>The request goes to the chosen server unchanged (method, URI, headers including {@code Host},
 * body), as HAProxy forwards it: no {@code Via} or {@code X-Forwarded-*} headers are added. The
 * request counts as in flight on its server until the exchange ends, whatever reloads happen
 * meanwhile. With no usable server the client gets HAProxy's 503 page.
 */
public class BalancerServlet extends AsyncProxyServlet {
  private static final long serialVersionUID = 1L;

  private static final String LEASE = BalancerServlet.class.getName() + ".lease";
  private static final String REFUSAL = BalancerServlet.class.getName() + ".refusal";
  private static final String ATTEMPTS = BalancerServlet.class.getName() + ".attempts";
  private static final String DECISION = BalancerServlet.class.getName() + ".decision";
  private static final String BODY = BalancerServlet.class.getName() + ".body";
  private static final String UNSENT = BalancerServlet.class.getName() + ".unsent";

  /** Request bodies up to this size are read whole before they are sent, so they can be sent again. */
  public static final int BUFFERED_BODY_LIMIT = 64 * 1024;

  private final transient Balancer balancer;
  private final transient Function<HttpServletRequest, CompletableFuture<Decision>> router;

  private BalancerServlet(Balancer balancer, Function<HttpServletRequest, CompletableFuture<Decision>> router) {
    this.balancer = Objects.requireNonNull(balancer, "balancer");
    this.router = router;
  }

  /**
   * A servlet that routes each request by the frontend it arrived on: the name of the Jetty
   * connector that accepted it. {@link BalancerServer} names its connectors after frontends.
   */
  public static BalancerServlet byConnector(Balancer balancer) {
    return new BalancerServlet(balancer, r -> balancer.decideAsync(connectorName(r), new ServletRequestView(r)));
  }

  /** A servlet that sends every request through the named frontend's rules. */
  public static BalancerServlet forFrontend(Balancer balancer, String frontend) {
    Objects.requireNonNull(frontend, "frontend");
    return new BalancerServlet(balancer, r -> balancer.decideAsync(frontend, new ServletRequestView(r)));
  }

  /** A servlet that balances every request over the named backend's servers. */
  public static BalancerServlet forBackend(Balancer balancer, String backend) {
    Objects.requireNonNull(backend, "backend");
    return new BalancerServlet(balancer, r -> balancer.decideForBackendAsync(backend, new ServletRequestView(r)));
  }

  /** The balancer this servlet asks. */
  public Balancer balancer() {
    return balancer;
  }

  private static String connectorName(HttpServletRequest request) {
    String name = ServletContextRequest.getServletContextRequest(request)
        .getConnectionMetaData().getConnector().getName();
    return name == null ? "" : name;
  }

  @Override
  protected HttpClient createHttpClient() throws ServletException {
    HttpClient client = super.createHttpClient();
    // HAProxy has no total request timeout; 'timeout server' is an idle timeout, set per request
    setTimeout(0);
    return client;
  }

  /** Sets how long connecting to a server may take ({@code timeout connect}). */
  public void setConnectTimeout(Duration timeout) {
    HttpClient client = getHttpClient();
    if (client != null) {
      client.setConnectTimeout(timeout.toMillis());
    }
  }

  @Override
  protected void service(HttpServletRequest clientRequest, HttpServletResponse proxyResponse)
      throws ServletException, IOException {
    if (clientRequest.getAttribute(DECISION) == null) {
      CompletableFuture<Decision> decision = router.apply(clientRequest);
      if (!decision.isDone()) {
        // every server is at its maxconn: wait in the queue without holding a thread
        waitAsync(clientRequest, decision);
        return;
      }
      clientRequest.setAttribute(DECISION, decision.join());
    }
    try {
      super.service(clientRequest, proxyResponse);
    } finally {
      Lease lease = (Lease) clientRequest.getAttribute(LEASE);
      if (lease != null) {
        if (clientRequest.isAsyncStarted()) {
          // a safety net: the exchange's own callbacks release first in all but odd failure paths
          clientRequest.getAsyncContext().addListener(new ReleaseOnEnd(lease));
        } else {
          // the exchange never started (a target the client library refused, say)
          lease.release();
        }
      }
    }
  }

  /** Suspends the request until the balancer's queue gives it a server, then dispatches it again. */
  private void waitAsync(HttpServletRequest clientRequest, CompletableFuture<Decision> decision) {
    jakarta.servlet.AsyncContext ctx = clientRequest.startAsync();
    ctx.setTimeout(0);
    ctx.addListener(new AsyncListener() {
      @Override
      public void onComplete(AsyncEvent event) {
        // served or dispatched
      }

      @Override
      public void onTimeout(AsyncEvent event) {
        decision.cancel(false);
      }

      @Override
      public void onError(AsyncEvent event) {
        // the client went away while queued: leave the queue
        decision.cancel(false);
      }

      @Override
      public void onStartAsync(AsyncEvent event) {
        // nothing to do
      }
    });
    decision.whenComplete((d, failure) -> {
      if (d == null) {
        return;
      }
      clientRequest.setAttribute(DECISION, d);
      try {
        ctx.dispatch();
      } catch (IllegalStateException gone) {
        if (d instanceof Decision.Forward f) {
          f.lease().release();
        }
      }
    });
  }

  @Override
  protected String rewriteTarget(HttpServletRequest clientRequest) {
    Decision decision = (Decision) clientRequest.getAttribute(DECISION);
    clientRequest.removeAttribute(DECISION);
    if (decision == null) {
      decision = router.apply(clientRequest).join();
    }
    if (decision instanceof Decision.Forward forward) {
      clientRequest.setAttribute(LEASE, forward.lease());
      return target(clientRequest, forward.lease().server());
    }
    clientRequest.setAttribute(REFUSAL, decision);
    return null;
  }

  private static String target(HttpServletRequest clientRequest, BackendServer server) {
    String uri = clientRequest.getRequestURI();
    String query = clientRequest.getQueryString();
    StringBuilder target = new StringBuilder(32 + uri.length()).append("http://").append(server.address()).append(uri);
    if (query != null) {
      target.append('?').append(query);
    }
    return target.toString();
  }

  /**
   * Small bodies with a known length are read whole first (like HAProxy's {@code option
   * http-buffer-request}), so that a request that failed before the server took it can be sent
   * again to another server.
   */
  @Override
  protected Request.Content proxyRequestContent(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
      Request proxyRequest) throws IOException {
    long length = clientRequest.getContentLengthLong();
    if (length >= 0 && length <= BUFFERED_BODY_LIMIT) {
      byte[] body = clientRequest.getInputStream().readAllBytes();
      clientRequest.setAttribute(BODY, body);
      return new org.eclipse.jetty.client.BytesRequestContent(clientRequest.getContentType(), body);
    }
    return super.proxyRequestContent(clientRequest, proxyResponse, proxyRequest);
  }

  /**
   * Notes whether the request itself failed to go out (the server cannot have processed it), and
   * forwards a complete answer that came back while the body was still going out.
   */
  @Override
  protected org.eclipse.jetty.client.Response.Listener newProxyResponseListener(HttpServletRequest clientRequest,
      HttpServletResponse proxyResponse) {
    return new ProxyResponseListener(clientRequest, proxyResponse) {
      @Override
      public void onComplete(org.eclipse.jetty.client.Result result) {
        boolean answered = result.getResponse() != null && result.getResponse().getStatus() > 0;
        if (result.getRequestFailure() != null && result.getResponseFailure() == null && answered) {
          // the server answered before reading the whole body, then closed: HAProxy forwards such
          // an answer, and so do we, rather than turning it into an error page
          super.onComplete(new org.eclipse.jetty.client.Result(result.getRequest(), null, result.getResponse(), null));
          return;
        }
        if (result.getRequestFailure() != null && !answered) {
          clientRequest.setAttribute(UNSENT, Boolean.TRUE);
        }
        super.onComplete(result);
      }
    };
  }

  @Override
  protected void onProxyRewriteFailed(HttpServletRequest clientRequest, HttpServletResponse proxyResponse) {
    Decision.Respond refusal = clientRequest.getAttribute(REFUSAL) instanceof Decision.Respond r
        ? r : Decision.Respond.NO_SERVER;
    respond(proxyResponse, refusal);
  }

  static void respond(HttpServletResponse response, Decision.Respond answer) {
    try {
      byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
      response.setStatus(answer.status());
      response.setHeader("cache-control", "no-cache");
      response.setContentType("text/html");
      response.setContentLength(body.length);
      response.getOutputStream().write(body);
    } catch (IOException e) {
      // the client went away; nothing to tell it
    }
  }

  @Override
  protected void copyRequestHeaders(HttpServletRequest clientRequest, Request proxyRequest) {
    super.copyRequestHeaders(clientRequest, proxyRequest);
    String host = clientRequest.getHeader(HttpHeader.HOST.asString());
    if (host != null) {
      // HAProxy forwards Host as the client sent it
      proxyRequest.headers(h -> h.put(HttpHeader.HOST, host));
    }
    if (clientRequest.getAttribute(LEASE) instanceof Lease lease && lease.stripCookie().isPresent()) {
      String name = lease.stripCookie().get();
      proxyRequest.headers(h -> {
        String cookies = h.get(HttpHeader.COOKIE);
        if (cookies != null) {
          String kept = stripCookie(cookies, name);
          if (kept.isEmpty()) {
            h.remove(HttpHeader.COOKIE);
          } else {
            h.put(HttpHeader.COOKIE, kept);
          }
        }
      });
    }
  }

  /** {@code cookie ... indirect}: {@code a=1; SRV=c2; b=2} without SRV is {@code a=1; b=2}. */
  static String stripCookie(String header, String name) {
    StringBuilder b = new StringBuilder();
    for (String part : header.split(";")) {
      String p = part.trim();
      if (p.isEmpty() || p.startsWith(name + "=")) {
        continue;
      }
      if (b.length() > 0) {
        b.append("; ");
      }
      b.append(p);
    }
    return b.toString();
  }

  @Override
  protected void onServerResponseHeaders(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
      Response serverResponse) {
    super.onServerResponseHeaders(clientRequest, proxyResponse, serverResponse);
    if (clientRequest.getAttribute(LEASE) instanceof Lease lease && lease.setCookie().isPresent()) {
      proxyResponse.addHeader("set-cookie", lease.setCookie().get());
      var h = serverResponse.getHeaders();
      boolean cacheable = h.contains(HttpHeader.LAST_MODIFIED) || h.contains(HttpHeader.ETAG)
          || h.contains(HttpHeader.EXPIRES) || String.valueOf(h.get(HttpHeader.CACHE_CONTROL)).contains("max-age");
      if (lease.nocache() && cacheable) {
        // cookie ... nocache: a response carrying the cookie must not be cached by a shared cache
        proxyResponse.addHeader("cache-control", "private");
      }
    }
  }

  @Override
  protected void addProxyHeaders(HttpServletRequest clientRequest, Request proxyRequest) {
    // HAProxy adds no Via and no X-Forwarded-* unless told to ('option forwardfor')
  }

  @Override
  protected void sendProxyRequest(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Request proxyRequest) {
    Lease lease = (Lease) clientRequest.getAttribute(LEASE);
    if (lease != null) {
      lease.server().timeouts().server()
          .ifPresent(t -> proxyRequest.idleTimeout(t.toMillis(), TimeUnit.MILLISECONDS));
      // on-marked-down shutdown-sessions: the balancer may cut this request short
      lease.onAbort(() -> proxyRequest.abort(new java.io.IOException("server marked down")));
    }
    super.sendProxyRequest(clientRequest, proxyResponse, proxyRequest);
  }

  @Override
  protected void onProxyResponseSuccess(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Response serverResponse) {
    if (clientRequest.getAttribute(LEASE) instanceof Lease lease) {
      lease.report(Outcome.RESPONSE, serverResponse.getStatus());
    }
    release(clientRequest);
    super.onProxyResponseSuccess(clientRequest, proxyResponse, serverResponse);
  }

  @Override
  protected void onProxyResponseFailure(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Response serverResponse, Throwable failure) {
    Outcome outcome = outcome(failure, serverResponse);
    BackendServer failed = null;
    if (clientRequest.getAttribute(LEASE) instanceof Lease lease) {
      lease.report(outcome, serverResponse == null ? 0 : serverResponse.getStatus());
      failed = lease.server();
    }
    release(clientRequest);
    if (failed != null && retry(clientRequest, proxyResponse, serverResponse, outcome, failed)) {
      return;
    }
    super.onProxyResponseFailure(clientRequest, proxyResponse, serverResponse, failure);
  }

  /**
   * Retries a request that failed before any byte of an answer came back and before anything was
   * committed to the client: a refused or reset connection, a pooled keep-alive connection the
   * server had closed. A request with a body is retried only when the body was kept (small, known
   * length) and the request failed on its way out, so the server cannot have processed it. Up to the
   * backend's {@code retries} (HAProxy's default 3), each time on the server the balancer chooses
   * next (another one when it can), so a failed backend does not become a failed request.
   */
  private boolean retry(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Response serverResponse,
      Outcome outcome, BackendServer failed) {
    if (outcome != Outcome.CONNECTION_ERROR || proxyResponse.isCommitted()
        || serverResponse != null && serverResponse.getStatus() > 0) {
      return false;
    }
    byte[] body = (byte[]) clientRequest.getAttribute(BODY);
    if (hasContent(clientRequest)) {
      // a body can be sent again only if we kept it, and only if the server cannot have taken the
      // request: refused, or the request failed while going out (a closed pooled connection)
      boolean unsent = Boolean.TRUE.equals(clientRequest.getAttribute(UNSENT));
      if (body == null || !unsent) {
        return false;
      }
    }
    clientRequest.removeAttribute(UNSENT);
    int attempts = clientRequest.getAttribute(ATTEMPTS) instanceof Integer n ? n : 0;
    int retries = balancer.config().backend(failed.backend()).map(b -> b.retries()).orElse(3);
    if (attempts >= retries) {
      return false;
    }
    clientRequest.setAttribute(ATTEMPTS, attempts + 1);
    Lease next = null;
    for (int tries = 0; tries < 4 && next == null; tries++) {
      Decision d = router.apply(clientRequest).join();
      if (!(d instanceof Decision.Forward f)) {
        return false;
      }
      if (f.lease().server() == failed && tries < 3) {
        // redispatch: prefer another server while one is available
        f.lease().release();
        continue;
      }
      next = f.lease();
    }
    if (next == null) {
      return false;
    }
    clientRequest.setAttribute(LEASE, next);
    Request proxyRequest = newProxyRequest(clientRequest, target(clientRequest, next.server()));
    copyRequestHeaders(clientRequest, proxyRequest);
    addProxyHeaders(clientRequest, proxyRequest);
    if (body != null) {
      proxyRequest.body(new org.eclipse.jetty.client.BytesRequestContent(clientRequest.getContentType(), body));
    }
    sendProxyRequest(clientRequest, proxyResponse, proxyRequest);
    return true;
  }

  /** How a failed exchange counts for passive health checks ({@code observe}). */
  static Outcome outcome(Throwable failure, Response serverResponse) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof java.util.concurrent.TimeoutException) {
        return Outcome.TIMEOUT;
      }
      if (t instanceof java.net.ConnectException || t instanceof java.net.NoRouteToHostException
          || t instanceof java.net.SocketException) {
        return Outcome.CONNECTION_ERROR;
      }
    }
    return serverResponse == null || serverResponse.getStatus() == 0 ? Outcome.CONNECTION_ERROR : Outcome.INVALID_RESPONSE;
  }

  private static void release(HttpServletRequest clientRequest) {
    if (clientRequest.getAttribute(LEASE) instanceof Lease lease) {
      lease.release();
    }
  }

  private record ReleaseOnEnd(Lease lease) implements AsyncListener {
    @Override
    public void onComplete(AsyncEvent event) {
      lease.release();
    }

    @Override
    public void onTimeout(AsyncEvent event) {
      lease.release();
    }

    @Override
    public void onError(AsyncEvent event) {
      lease.release();
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
      // nothing to do
    }
  }
}
