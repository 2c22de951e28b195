package dev.balancer.jetty;

import dev.balancer.core.Balancer;
import dev.balancer.core.BackendServer;
import dev.balancer.core.Decision;
import dev.balancer.core.HeaderEdit;
import dev.balancer.core.Lease;
import dev.balancer.core.Outcome;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.eclipse.jetty.client.Destination;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.ee10.proxy.AsyncProxyServlet;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.SelectorManager;
import org.eclipse.jetty.http.HttpFields;
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

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BalancerServlet.class);

  private final transient Balancer balancer;
  private final transient Function<HttpServletRequest, CompletableFuture<Decision>> router;
  private final transient Function<HttpServletRequest, String> frontendOf;
  private final transient dev.balancer.jetty.stats.StatsService stats;
  private final transient dev.balancer.jetty.metrics.BalancerMetrics metrics;

  private BalancerServlet(Balancer balancer, Function<HttpServletRequest, CompletableFuture<Decision>> router,
      Function<HttpServletRequest, String> frontendOf) {
    this.balancer = Objects.requireNonNull(balancer, "balancer");
    this.router = router;
    this.frontendOf = frontendOf;
    this.stats = new dev.balancer.jetty.stats.StatsService(balancer);
    this.metrics = new dev.balancer.jetty.metrics.BalancerMetrics(balancer);
  }

  /** The stats page and admin API this servlet serves where a {@code stats uri} matches. */
  public dev.balancer.jetty.stats.StatsService statsService() {
    return stats;
  }

  /** The meters {@code http-request use-service prometheus-exporter} serves. */
  public dev.balancer.jetty.metrics.BalancerMetrics metrics() {
    return metrics;
  }

  /**
   * One of our own services: the stats page (and admin API) or the Prometheus exporter. The access
   * log names them as HAProxy does, {@code <STATS>} and {@code <PROMEX>}.
   */
  private void serve(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Decision.Serve s) throws IOException {
    clientRequest.setAttribute(AccessLog.DECIDED, System.nanoTime());
    clientRequest.setAttribute(AccessLog.BACKEND, s.proxy());
    clientRequest.setAttribute(AccessLog.TERMINATION, "LR");
    if (s.service().equals("stats")) {
      clientRequest.setAttribute(AccessLog.SERVER, "<STATS>");
      stats.serve(s.proxy(), clientRequest, proxyResponse);
    } else {
      clientRequest.setAttribute(AccessLog.SERVER, "<PROMEX>");
      proxyResponse.setStatus(200);
      proxyResponse.setHeader("cache-control", "no-cache");
      proxyResponse.setContentType("text/plain; version=0.0.4; charset=utf-8");
      proxyResponse.getWriter().write(metrics.scrape());
    }
  }

  /**
   * A servlet that routes each request by the frontend it arrived on: the name of the Jetty
   * connector that accepted it. {@link BalancerServer} names its connectors after frontends.
   */
  public static BalancerServlet byConnector(Balancer balancer) {
    return new BalancerServlet(balancer, r -> balancer.decideAsync(connectorName(r), new ServletRequestView(r)),
        BalancerServlet::connectorName);
  }

  /** A servlet that sends every request through the named frontend's rules. */
  public static BalancerServlet forFrontend(Balancer balancer, String frontend) {
    Objects.requireNonNull(frontend, "frontend");
    return new BalancerServlet(balancer, r -> balancer.decideAsync(frontend, new ServletRequestView(r)), r -> frontend);
  }

  /** A servlet that balances every request over the named backend's servers. */
  public static BalancerServlet forBackend(Balancer balancer, String backend) {
    Objects.requireNonNull(backend, "backend");
    return new BalancerServlet(balancer, r -> balancer.decideForBackendAsync(backend, new ServletRequestView(r)), r -> null);
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
    // a body without a Content-Type is forwarded without one (Jetty would say application/octet-stream)
    client.setDefaultRequestContentType(null);
    return client;
  }

  @Override
  protected HttpClient newHttpClient(ClientConnector connector) {
    HttpClient client = super.newHttpClient(connector);
    // a destination per server and connect timeout: one a reload left behind goes once idle
    // (set before the client starts)
    client.setDestinationIdleTimeout(java.util.concurrent.TimeUnit.MINUTES.toMillis(5));
    return client;
  }

  /**
   * A server's {@code timeout connect}, on the requests to it: Jetty's {@code HttpClient} has one
   * connect timeout, so the request carries its server's as its tag (requests with another tag
   * keep their own connection pool) and {@link ServerTimeouts} applies it when it connects.
   */
  record ConnectTimeout(long millis) {
  }

  /** Connects within the timeout its request's tag names, else within the client's own. */
  static final class ServerTimeouts extends ClientConnector {
    private final ThreadLocal<ConnectTimeout> connecting = new ThreadLocal<>();

    @Override
    public void connect(SocketAddress address, Map<String, Object> context) {
      if (context.get(Destination.CONTEXT_KEY) instanceof Destination d
          && d.getOrigin().getTag() instanceof ConnectTimeout t) {
        // Jetty asks for the timeout while submitting the connect, on this thread
        connecting.set(t);
        try {
          super.connect(address, context);
        } finally {
          connecting.remove();
        }
      } else {
        super.connect(address, context);
      }
    }

    /** The timeout of a blocking connect (when one is configured): the tag's too. */
    @Override
    public Duration getConnectTimeout() {
      ConnectTimeout t = connecting.get();
      return t != null ? Duration.ofMillis(t.millis()) : super.getConnectTimeout();
    }

    @Override
    protected SelectorManager newSelectorManager() {
      return new ClientSelectorManager(getExecutor(), getScheduler(), getSelectors()) {
        @Override
        public long getConnectTimeout() {
          ConnectTimeout t = connecting.get();
          return t != null ? t.millis() : super.getConnectTimeout();
        }
      };
    }
  }

  @Override
  protected ClientConnector newClientConnector() {
    return new ServerTimeouts();
  }

  /**
   * Sets how long connecting to a server may take when its backend sets no {@code timeout
   * connect} of its own.
   */
  public void setConnectTimeout(Duration timeout) {
    HttpClient client = getHttpClient();
    if (client != null) {
      client.setConnectTimeout(timeout.toMillis());
    }
  }

  @Override
  protected void service(HttpServletRequest clientRequest, HttpServletResponse proxyResponse)
      throws ServletException, IOException {
    if (clientRequest.getAttribute(AccessLog.FRONTEND) == null) {
      String frontend = frontendOf.apply(clientRequest);
      if (frontend != null) {
        clientRequest.setAttribute(AccessLog.FRONTEND, frontend);
        balancer.frontendStats(frontend).begin();
        clientRequest.setAttribute(TrafficStats.FRONTEND_COUNTED, frontend);
      }
    }
    if ("CONNECT".equals(clientRequest.getMethod())) {
      // a proxy for the configured servers only: no tunnel to wherever the client names
      proxyResponse.setHeader("connection", "close");
      answer(clientRequest, proxyResponse, Decision.Respond.errorPage(405));
      return;
    }
    if (clientRequest.getAttribute(DECISION) == null) {
      CompletableFuture<Decision> decision = router.apply(clientRequest);
      if (!decision.isDone()) {
        // every server is at its maxconn (or a tarpit holds the request): wait without holding a
        // thread; the request comes back here with its decision
        waitAsync(clientRequest, decision);
        return;
      }
      clientRequest.setAttribute(DECISION, decision.join());
    }
    if (Tunnel.isUpgrade(clientRequest)) {
      tunnel(clientRequest, proxyResponse);
      return;
    }
    if (clientRequest.getAttribute(DECISION) instanceof Decision.Serve s) {
      clientRequest.removeAttribute(DECISION);
      serve(clientRequest, proxyResponse, s);
      return;
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
    decision.whenComplete((result, failure) -> {
      Decision d = result;
      if (result == null) {
        if (failure == null || failure instanceof java.util.concurrent.CancellationException
            || failure.getCause() instanceof java.util.concurrent.CancellationException) {
          return; // the client left the queue: nobody to answer
        }
        // the decision failed (a bug, a balancer closing): answer HAProxy's 503 rather than hang
        LOG.warn("queued request: the balancer's decision failed: {}", failure.toString());
        d = Decision.Respond.NO_SERVER;
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
    logDecision(clientRequest, decision);
    if (decision instanceof Decision.Forward forward) {
      clientRequest.setAttribute(LEASE, forward.lease());
      return target(clientRequest, forward.lease().server());
    }
    clientRequest.setAttribute(REFUSAL, decision);
    return null;
  }

  /**
   * A WebSocket or other {@code Upgrade} request: through {@link Tunnel}, which Jetty's proxy
   * cannot do. A server that cannot be reached gets HAProxy's 503 page.
   */
  private void tunnel(HttpServletRequest clientRequest, HttpServletResponse proxyResponse) {
    // decided in service(), after waiting in the queue if it had to
    Decision decision = (Decision) clientRequest.getAttribute(DECISION);
    clientRequest.removeAttribute(DECISION);
    logDecision(clientRequest, decision);
    if (decision instanceof Decision.Serve s) {
      try {
        serve(clientRequest, proxyResponse, s);
      } catch (IOException e) {
        clientRequest.setAttribute(AccessLog.TERMINATION, "CD");
      }
      return;
    }
    if (!(decision instanceof Decision.Forward forward)) {
      answer(clientRequest, proxyResponse, (Decision.Respond) decision);
      return;
    }
    Lease lease = forward.lease();
    var timeouts = lease.server().timeouts();
    Duration connect = timeouts.connect().orElse(Duration.ofSeconds(5));
    Duration idle = timeouts.get(dev.balancer.config.model.TimeoutKind.TUNNEL)
        .or(() -> timeouts.server()).orElse(Duration.ofSeconds(30));
    try {
      Tunnel.open(clientRequest, proxyResponse, lease, connect, idle, getHttpClient().getClientConnector());
      lease.report(Outcome.RESPONSE, proxyResponse.getStatus());
    } catch (IOException | RuntimeException e) {
      lease.report(Outcome.CONNECTION_ERROR, 0);
      clientRequest.setAttribute(AccessLog.TERMINATION, "SC");
      if (!proxyResponse.isCommitted()) {
        proxyResponse.reset();
        answer(clientRequest, proxyResponse, Decision.Respond.NO_SERVER);
      }
    } finally {
      if (clientRequest.getAttribute(org.eclipse.jetty.server.HttpStream.UPGRADE_CONNECTION_ATTRIBUTE) == null) {
        lease.release(); // else the tunnel holds it until it closes
      }
    }
  }

  /** What the access log says of a decision: where the request went, or how it ended. */
  private void logDecision(HttpServletRequest clientRequest, Decision decision) {
    clientRequest.setAttribute(AccessLog.DECIDED, System.nanoTime());
    if (decision instanceof Decision.Forward forward) {
      BackendServer server = forward.lease().server();
      clientRequest.setAttribute(AccessLog.BACKEND, server.backend());
      clientRequest.setAttribute(AccessLog.SERVER, server.name());
      clientRequest.setAttribute(TrafficStats.SERVER, server);
      if (clientRequest.getAttribute(TrafficStats.BACKEND_COUNTED) == null) {
        balancer.backendStats(server.backend()).begin();
        clientRequest.setAttribute(TrafficStats.BACKEND_COUNTED, server.backend());
      }
    } else if (decision instanceof Decision.Respond answer) {
      // no server could take it, the queue timed out, a rule denied it, a rule answered it
      clientRequest.setAttribute(AccessLog.TERMINATION, answer == Decision.Respond.NO_SERVER ? "SC"
          : answer == Decision.Respond.QUEUE_TIMEOUT ? "sQ" : answer.errorPage() ? "PR" : "LR");
    }
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
    return new SameContentType(super.proxyRequestContent(clientRequest, proxyResponse, proxyRequest),
        clientRequest.getContentType());
  }

  /**
   * The streamed body with the client's {@code Content-Type}, or none: Jetty's own streaming
   * content would make a body without one {@code application/octet-stream}.
   */
  private record SameContentType(Request.Content content, String contentType) implements Request.Content {
    @Override
    public String getContentType() {
      return contentType;
    }

    @Override
    public long getLength() {
      return content.getLength();
    }

    @Override
    public org.eclipse.jetty.io.Content.Chunk read() {
      return content.read();
    }

    @Override
    public void demand(Runnable demandCallback) {
      content.demand(demandCallback);
    }

    @Override
    public void fail(Throwable failure) {
      content.fail(failure);
    }

    @Override
    public void fail(Throwable failure, boolean last) {
      content.fail(failure, last);
    }

    @Override
    public boolean rewind() {
      return content.rewind();
    }
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
    answer(clientRequest, proxyResponse, refusal);
  }

  static void respond(HttpServletResponse response, Decision.Respond answer) {
    try {
      byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
      response.setStatus(answer.status());
      if (answer.errorPage()) {
        response.setHeader("cache-control", "no-cache");
        response.setContentType("text/html");
      } else {
        for (Map.Entry<String, String> h : answer.headers()) {
          response.addHeader(h.getKey(), h.getValue());
        }
      }
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
    if (clientRequest.getAttribute(LEASE) instanceof Lease lease && !lease.requestHeaderEdits().isEmpty()) {
      // http-request set-header|add-header|del-header and option forwardfor, in order
      proxyRequest.headers(h -> {
        for (HeaderEdit e : lease.requestHeaderEdits()) {
          switch (e.kind()) {
            case SET -> h.put(e.name(), e.value());
            case ADD -> h.add(e.name(), e.value());
            case DEL -> h.remove(e.name());
          }
        }
      });
    }
    if (clientRequest.getAttribute(LEASE) instanceof Lease lease && lease.hasCookiePersistence()) {
      proxyRequest.headers(h -> {
        // the raw values: getValuesList would parse them as lists and respace them
        List<String> cookies = h.getFields(HttpHeader.COOKIE).stream().map(HttpField::getValue).toList();
        if (!cookies.isEmpty()) {
          h.remove(HttpHeader.COOKIE);
          for (String c : cookies) {
            String kept = lease.forwardCookie(c);
            if (!kept.isEmpty()) {
              h.add(HttpHeader.COOKIE, kept);
            }
          }
        }
      });
    }
  }

  /** Hop-by-hop headers: they describe one connection, never forwarded (RFC 9110 §7.6.1). */
  private static final Set<HttpHeader> HOP_BY_HOP_HEADERS = java.util.EnumSet.of(HttpHeader.CONNECTION,
      HttpHeader.KEEP_ALIVE, HttpHeader.PROXY_CONNECTION, HttpHeader.PROXY_AUTHENTICATE, HttpHeader.PROXY_AUTHORIZATION,
      HttpHeader.TE, HttpHeader.TRAILER, HttpHeader.TRANSFER_ENCODING, HttpHeader.UPGRADE);
  /** The same by name, for a field Jetty did not recognise and for Connection's tokens. */
  private static final Set<String> HOP_BY_HOP = HOP_BY_HOP_HEADERS.stream().map(HttpHeader::lowerCaseName)
      .collect(java.util.stream.Collectors.toUnmodifiableSet());

  /**
   * Copies the server's response headers byte for byte, as HAProxy does. (Jetty's own copy re-joins
   * each value from its parsed list, which turns {@code a=1; b=2} into {@code a=1;b=2}.) Hop-by-hop
   * headers and those the {@code Connection} header names stay behind; with cookie persistence the
   * {@code Set-Cookie} headers are the ones {@link Lease#responseCookies} gives.
   *
   * <p>On the hot path: the server's fields go to the response as they are (no lookup of their
   * names again, no set per response); only Content-Length goes through the servlet API, which
   * counts the bytes against it. (Content-Type too went through it once, and came out respaced.)
   */
  @Override
  protected void onServerResponseHeaders(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
      Response serverResponse) {
    clientRequest.setAttribute(AccessLog.HEADERS, System.nanoTime());
    HttpFields headers = serverResponse.getHeaders();
    // headers the server's Connection names (beyond keep-alive, close: hop-by-hop anyway); usually none
    List<String> connectionTokens = new java.util.ArrayList<>(0);
    for (HttpField f : headers.getFields(HttpHeader.CONNECTION)) {
      for (String t : f.getValue().split(",")) {
        String token = t.trim().toLowerCase(java.util.Locale.ROOT);
        if (!token.isEmpty() && !HOP_BY_HOP.contains(token)) {
          connectionTokens.add(token);
        }
      }
    }
    Lease leased = clientRequest.getAttribute(LEASE) instanceof Lease l ? l : null;
    Lease lease = leased != null && leased.hasCookiePersistence() ? leased : null;
    HttpFields.Mutable out = org.eclipse.jetty.ee10.servlet.ServletContextResponse
        .getServletContextResponse(proxyResponse).getHeaders();
    // what the response may hold already (a Date) is replaced by the server's first value
    boolean replace = out.size() > 0;
    Set<String> seen = replace ? new HashSet<>() : null;
    for (HttpField f : headers) {
      HttpHeader known = f.getHeader();
      if (known != null ? HOP_BY_HOP_HEADERS.contains(known) || lease != null && known == HttpHeader.SET_COOKIE
          : HOP_BY_HOP.contains(f.getLowerCaseName())) {
        continue;
      }
      if (connectionTokens.contains(f.getLowerCaseName())) {
        continue;
      }
      if (known == HttpHeader.CONTENT_LENGTH) {
        proxyResponse.setHeader(f.getName(), f.getValue());
      } else if (replace && seen.add(f.getLowerCaseName())) {
        proxyResponse.setHeader(f.getName(), f.getValue());
      } else {
        out.add(f);
      }
    }
    if (lease != null) {
      List<String> fromServer = headers.getFields(HttpHeader.SET_COOKIE).stream().map(HttpField::getValue).toList();
      List<String> toClient = lease.responseCookies(fromServer);
      clientRequest.setAttribute(AccessLog.COOKIE_FLAGS, lease.cookieLogFlags());
      toClient.forEach(c -> proxyResponse.addHeader("set-cookie", c));
      boolean cacheable = headers.contains(HttpHeader.LAST_MODIFIED) || headers.contains(HttpHeader.ETAG)
          || headers.contains(HttpHeader.EXPIRES) || String.valueOf(headers.get(HttpHeader.CACHE_CONTROL)).contains("max-age");
      if (lease.nocache() && cacheable && !toClient.equals(fromServer)) {
        // cookie ... nocache: a response carrying our cookie must not be cached by a shared cache
        proxyResponse.addHeader("cache-control", "private");
      }
    }
    if (leased != null) {
      // http-response set-header|add-header|del-header, the backend's then the frontend's
      for (HeaderEdit e : leased.responseHeaderEdits()) {
        switch (e.kind()) {
          case SET -> proxyResponse.setHeader(e.name(), e.value());
          case ADD -> proxyResponse.addHeader(e.name(), e.value());
          case DEL -> proxyResponse.setHeader(e.name(), null);
        }
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
      lease.server().timeouts().connect().ifPresent(t -> proxyRequest.tag(new ConnectTimeout(t.toMillis())));
      // on-marked-down shutdown-sessions: the balancer may cut this request short
      lease.onAbort(() -> proxyRequest.abort(new java.io.IOException("server marked down")));
    }
    clientRequest.setAttribute(AccessLog.SENT, System.nanoTime());
    proxyRequest.onRequestBegin(r -> clientRequest.setAttribute(AccessLog.BEGUN, System.nanoTime()));
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
      var backendStats = balancer.backendStats(failed.backend());
      if (outcome == Outcome.CONNECTION_ERROR && connectFailure(failure)) {
        failed.stats().connectionError();
        backendStats.connectionError();
      } else if (!clientGone(failure)) {
        failed.stats().responseError();
        backendStats.responseError();
      }
    }
    Lease failedLease = (Lease) clientRequest.getAttribute(LEASE);
    release(clientRequest);
    if (failed != null && retry(clientRequest, proxyResponse, serverResponse, outcome, failedLease, failure)) {
      return;
    }
    giveUp(clientRequest, proxyResponse, serverResponse, failure, outcome);
  }

  /** The end of a request no server could take: the termination state for the log, then the error. */
  private void giveUp(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Response serverResponse,
      Throwable failure, Outcome outcome) {
    clientRequest.setAttribute(AccessLog.TERMINATION, outcome == Outcome.TIMEOUT ? "sH"
        : connectFailure(failure) ? "SC" : proxyResponse.isCommitted() ? "SD" : "SH");
    fail(clientRequest, proxyResponse, serverResponse, failure, outcome);
  }

  /**
   * The answer to a request that could not be served, as HAProxy gives it: 503 when no server could
   * be reached (after the retries), 504 when the server did not answer in time, 502 when its answer
   * was cut or invalid; an {@code errorfile} replaces the page. Once the answer has begun, the
   * connection is cut instead.
   */
  private void fail(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Response serverResponse,
      Throwable failure, Outcome outcome) {
    if (!proxyResponse.isCommitted()) {
      int status = outcome == Outcome.CONNECTION_ERROR && connectFailure(failure) ? 503
          : outcome == Outcome.TIMEOUT ? 504 : 502;
      // nothing of the failed server's answer (its headers included) goes with the error page
      proxyResponse.reset();
      answer(clientRequest, proxyResponse, Decision.Respond.errorPage(status));
      if (clientRequest.isAsyncStarted()) {
        clientRequest.getAsyncContext().complete();
      }
      return;
    }
    super.onProxyResponseFailure(clientRequest, proxyResponse, serverResponse, failure);
  }

  /** A local answer; an error page becomes the backend's or frontend's {@code errorfile} when there is one. */
  private void answer(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Decision.Respond answer) {
    if (answer.drop()) {
      drop(clientRequest, answer == Decision.Respond.SILENT_DROP);
      return;
    }
    if (answer.errorPage()) {
      String frontend = clientRequest.getAttribute(AccessLog.FRONTEND) instanceof String f ? f : null;
      String backend = clientRequest.getAttribute(AccessLog.BACKEND) instanceof String b ? b : null;
      answer = balancer.errorPage(frontend, backend, answer.status());
    }
    respond(proxyResponse, answer);
  }

  /**
   * {@code http-request reject}: the client's connection is closed without an answer;
   * {@code silent-drop}: reset (SO_LINGER 0), so that nothing lingers on our side either.
   */
  private static void drop(HttpServletRequest clientRequest, boolean reset) {
    clientRequest.setAttribute(AccessLog.TERMINATION, "PR");
    clientRequest.setAttribute(TrafficStats.DROPPED, Boolean.TRUE);
    org.eclipse.jetty.io.EndPoint endPoint = ServletContextRequest.getServletContextRequest(clientRequest)
        .getConnectionMetaData().getConnection().getEndPoint();
    if (reset && endPoint.getTransport() instanceof java.nio.channels.SocketChannel channel) {
      try {
        channel.setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
      } catch (IOException | RuntimeException e) {
        // closed anyway below
      }
    }
    endPoint.close();
  }

  private static boolean connectFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof java.net.ConnectException || t instanceof java.net.NoRouteToHostException) {
        return true;
      }
      // Jetty's client reports 'timeout connect' so
      if (t instanceof java.net.SocketTimeoutException && String.valueOf(t.getMessage()).contains("Connect")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Retries a request that failed before any byte of an answer came back and before anything was
   * committed to the client: a refused or reset connection, a pooled keep-alive connection the
   * server had closed. A request with a body is retried only when the body was kept (small, known
   * length) and the request failed on its way out, so the server cannot have processed it. Up to the
   * backend's {@code retries} (HAProxy's default 3).
   *
   * <p>A request its cookie sent to its server follows HAProxy: it tries that server again after
   * min({@code timeout connect}, 1 s), and goes elsewhere only on the retries {@code option
   * redispatch [N]} allows (the last one by default; every N-th; never with 0 or without the
   * option). Any other request is retried at once on the server the balancer chooses next, another
   * one when it can: beyond HAProxy, which retries the same server, since it breaks no persistence.
   */
  private boolean retry(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Response serverResponse,
      Outcome outcome, Lease failedLease, Throwable failure) {
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
    BackendServer failed = failedLease.server();
    int attempts = clientRequest.getAttribute(ATTEMPTS) instanceof Integer n ? n : 0;
    var backend = balancer.config().backend(failed.backend());
    int retries = backend.map(b -> b.retries()).orElse(3);
    if (attempts >= retries) {
      return false;
    }
    int attempt = attempts + 1;
    clientRequest.setAttribute(ATTEMPTS, attempt);
    clientRequest.setAttribute(AccessLog.RETRIES, attempt);
    failed.stats().retry();
    balancer.backendStats(failed.backend()).retry();
    Runnable giveUp = () -> giveUp(clientRequest, proxyResponse, serverResponse, failure, outcome);
    if (!failedLease.isPersistent()) {
      resend(clientRequest, proxyResponse, failed, body, giveUp, 0);
      return true;
    }
    Optional<Integer> redispatch = backend.flatMap(b -> b.options().redispatch());
    boolean move = redispatch.isPresent()
        && (redispatch.get() < 0 ? attempt == retries : redispatch.get() > 0 && attempt % redispatch.get() == 0);
    if (move) {
      clientRequest.setAttribute(ServletRequestView.IGNORE_PERSISTENCE, Boolean.TRUE);
      resend(clientRequest, proxyResponse, failed, body, giveUp, 0);
      return true;
    }
    Duration connect = backend.flatMap(b -> b.timeouts().connect()).orElse(Duration.ofSeconds(1));
    long wait = Math.min(connect.toMillis(), 1000);
    getHttpClient().getScheduler().schedule(() -> resend(clientRequest, proxyResponse, null, body, giveUp, 0), wait,
        TimeUnit.MILLISECONDS);
    return true;
  }

  /**
   * Sends the request again, to another server than {@code avoid} when there is one, or runs {@code
   * giveUp} when no server takes it. A decision that has to wait (every server at its maxconn: the
   * freed slot may have gone to a queued request) is waited for without a thread: this runs on
   * the client's or the scheduler's threads, which must never block.
   */
  private void resend(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, BackendServer avoid,
      byte[] body, Runnable giveUp, int tries) {
    clientRequest.removeAttribute(UNSENT);
    router.apply(clientRequest).whenComplete((d, x) -> {
      if (x != null) {
        LOG.warn("a retry: the balancer's decision failed: {}", x.toString());
      }
      if (!(d instanceof Decision.Forward f)) {
        giveUp.run();
      } else if (avoid != null && f.lease().server() == avoid && tries < 3) {
        // redispatch: prefer another server while one is available
        f.lease().release();
        resend(clientRequest, proxyResponse, avoid, body, giveUp, tries + 1);
      } else {
        try {
          send(clientRequest, proxyResponse, avoid, body, f.lease());
        } catch (RuntimeException e) {
          LOG.warn("sending a request again", e);
          f.lease().release(); // its slot is not lost
          giveUp.run();
        }
      }
    });
  }

  private void send(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, BackendServer avoid, byte[] body,
      Lease next) {
    if (avoid != null && next.server() != avoid) {
      // HAProxy's wredis: counted on the server the request left
      avoid.stats().redispatch();
      balancer.backendStats(avoid.backend()).redispatch();
    }
    clientRequest.setAttribute(TrafficStats.SERVER, next.server());
    clientRequest.setAttribute(AccessLog.SERVER, next.server().name());
    clientRequest.setAttribute(LEASE, next);
    Request proxyRequest = newProxyRequest(clientRequest, target(clientRequest, next.server()));
    copyRequestHeaders(clientRequest, proxyRequest);
    addProxyHeaders(clientRequest, proxyRequest);
    if (body != null) {
      proxyRequest.body(new org.eclipse.jetty.client.BytesRequestContent(clientRequest.getContentType(), body));
    }
    sendProxyRequest(clientRequest, proxyResponse, proxyRequest);
  }

  /** Whether the exchange failed because the client went away (not the server's fault). */
  private static boolean clientGone(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof org.eclipse.jetty.io.EofException) {
        return true;
      }
    }
    return false;
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
