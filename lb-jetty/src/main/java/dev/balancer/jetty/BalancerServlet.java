package dev.balancer.jetty;

import dev.balancer.jetty.http1.HeaderEdits;
import dev.balancer.jetty.http1.HopByHop;
import dev.balancer.jetty.log.AccessLog;
import dev.balancer.jetty.servlet.ServletRequestView;
import dev.balancer.jetty.tunnel.Tunnel;
import dev.balancer.core.Balancer;
import dev.balancer.core.BackendServer;
import dev.balancer.core.Decision;
import dev.balancer.core.Exchange;
import dev.balancer.core.Failure;
import dev.balancer.core.Lease;
import dev.balancer.core.Outcome;
import dev.balancer.core.Termination;
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

  private static final String REFUSAL = BalancerServlet.class.getName() + ".refusal";
  /** Set once a request went again on a new connection after its pooled one was found closed. */
  private static final String STALE = BalancerServlet.class.getName() + ".stale";
  /** Set when a write of the answer to the client failed: the client's doing, never the server's. */
  private static final String CLIENT_WRITE_FAILED = BalancerServlet.class.getName() + ".clientWriteFailed";
  /** Set while a request goes out on a pooled connection (one that carried an answer before). */
  private static final String REUSED = BalancerServlet.class.getName() + ".reused";
  private static final String DECISION = BalancerServlet.class.getName() + ".decision";
  private static final String BODY = BalancerServlet.class.getName() + ".body";
  private static final String UNSENT = BalancerServlet.class.getName() + ".unsent";
  private static final String SERVER_IDLE = BalancerServlet.class.getName() + ".serverIdle";

  /** Request bodies up to this size are read whole before they are sent, so they can be sent again. */
  public static final int BUFFERED_BODY_LIMIT = 64 * 1024;

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BalancerServlet.class);

  private final transient Balancer balancer;
  private final transient ServerIdleSweep serverIdleSweep;
  /** Begins a request's exchange: on its frontend's rules, or on a backend the servlet names. */
  private final transient Function<HttpServletRequest, Exchange> begin;
  private final transient dev.balancer.jetty.stats.StatsService stats;
  private final transient dev.balancer.jetty.metrics.BalancerMetrics metrics;

  private BalancerServlet(Balancer balancer, Function<HttpServletRequest, Exchange> begin) {
    this.balancer = Objects.requireNonNull(balancer, "balancer");
    this.serverIdleSweep = new ServerIdleSweep(balancer.scheduler());
    this.begin = begin;
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
    exchangeOf(clientRequest).decided(s);
    if (s.service().equals("stats")) {
      stats.serve(s.proxy(), clientRequest, proxyResponse);
    } else {
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
    return new BalancerServlet(balancer, r -> new Exchange(balancer).begin(connectorName(r), new ServletRequestView(r)));
  }

  /** A servlet that sends every request through the named frontend's rules. */
  public static BalancerServlet forFrontend(Balancer balancer, String frontend) {
    Objects.requireNonNull(frontend, "frontend");
    return new BalancerServlet(balancer, r -> new Exchange(balancer).begin(frontend, new ServletRequestView(r)));
  }

  /** A servlet that balances every request over the named backend's servers. */
  public static BalancerServlet forBackend(Balancer balancer, String backend) {
    Objects.requireNonNull(backend, "backend");
    return new BalancerServlet(balancer, r -> new Exchange(balancer).beginForBackend(backend, new ServletRequestView(r)));
  }

  /** The balancer this servlet asks. */
  public Balancer balancer() {
    return balancer;
  }

  /** The request's exchange, begun on its first visit. */
  private Exchange exchangeOf(HttpServletRequest clientRequest) {
    if (clientRequest.getAttribute(AccessLog.EXCHANGE) instanceof Exchange x) {
      return x;
    }
    Exchange x = begin.apply(clientRequest);
    clientRequest.setAttribute(AccessLog.EXCHANGE, x);
    return x;
  }

  private static Lease leaseOf(HttpServletRequest clientRequest) {
    return clientRequest.getAttribute(AccessLog.EXCHANGE) instanceof Exchange x ? x.lease() : null;
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
    client.setDestinationIdleTimeout(TimeUnit.MINUTES.toMillis(5));
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
    /** Where a connect's timeout waits: lb-core's clock, as on the direct path. */
    private final dev.balancer.core.Scheduler clock;

    ServerTimeouts(dev.balancer.core.Scheduler clock) {
      this.clock = clock;
    }

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
      // the end points keep the connector's scheduler, for the idle timeouts Jetty measures on the system's clock
      return new ClientSelectorManager(getExecutor(), new dev.balancer.jetty.listen.ClockScheduler(clock), getSelectors()) {
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
    return new ServerTimeouts(balancer.scheduler());
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
    Exchange x = exchangeOf(clientRequest);
    if ("CONNECT".equals(clientRequest.getMethod())) {
      // a proxy for the configured servers only: no tunnel to wherever the client names
      proxyResponse.setHeader("connection", "close");
      answer(clientRequest, proxyResponse, x.refuse(405, Termination.NONE));
      return;
    }
    if (clientRequest.getAttribute(DECISION) == null) {
      CompletableFuture<Decision> decision = x.decide();
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
      Lease lease = leaseOf(clientRequest);
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
        exchangeOf(clientRequest).clientLeftQueue();
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
    Exchange x = exchangeOf(clientRequest);
    decision = x.decided(decision != null ? decision : x.decide().join());
    if (decision instanceof Decision.Forward forward) {
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
    Exchange x = exchangeOf(clientRequest);
    if (decision instanceof Decision.Serve s) {
      try {
        serve(clientRequest, proxyResponse, s);
      } catch (IOException e) {
        x.clientGone(false);
      }
      return;
    }
    decision = x.decided(decision);
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
      Tunnel.open(clientRequest, proxyResponse, lease, connect, idle, getHttpClient().getClientConnector(),
          balancer.scheduler());
      lease.report(Outcome.RESPONSE, proxyResponse.getStatus());
    } catch (IOException | RuntimeException e) {
      // the exchange reports and counts it, and answers its page (a tunnel is never sent again)
      Exchange.Next next = x.failed(Failure.connect(false, false)).getNow(null);
      Decision.Respond page = next instanceof Exchange.Next.Answer a ? a.page() : x.refuse(503, Termination.SERVER_CONNECT);
      if (!proxyResponse.isCommitted()) {
        proxyResponse.reset();
        answer(clientRequest, proxyResponse, page);
      }
    } finally {
      if (clientRequest.getAttribute(org.eclipse.jetty.server.HttpStream.UPGRADE_CONNECTION_ATTRIBUTE) == null) {
        lease.release(); // else the tunnel holds it until it closes
      }
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
      byte[] body;
      try {
        body = clientRequest.getInputStream().readAllBytes();
      } catch (IOException e) {
        // the client stopped sending its body (timeout client: cR) or went away (CR): closed
        // without an answer, as the direct path does; nothing was sent to the server
        exchangeOf(clientRequest).clientStalled(timeout(e));
        drop(clientRequest, false);
        throw e;
      }
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
    Lease leased = leaseOf(clientRequest);
    if (leased != null && !leased.requestHeaderEdits().isEmpty()) {
      Lease lease = leased;
      // http-request set-header|add-header|del-header and option forwardfor, in order
      proxyRequest.headers(h -> HeaderEdits.apply(lease.requestHeaderEdits(), new HeaderEdits.Fields() {
        @Override
        public void remove(String name) {
          h.remove(name);
        }

        @Override
        public void add(String name, String value) {
          h.add(name, value);
        }
      }));
    }
    if (leased != null && leased.hasCookiePersistence()) {
      Lease lease = leased;
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
  private static final Set<HttpHeader> HOP_BY_HOP_HEADERS = HopByHop.NAMES.stream().map(HttpHeader.CACHE::get)
      .filter(Objects::nonNull).collect(java.util.stream.Collectors.toCollection(() -> java.util.EnumSet.noneOf(HttpHeader.class)));

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
    int status = serverResponse.getStatus();
    exchangeOf(clientRequest).answered(status);
    HttpFields headers = serverResponse.getHeaders();
    // an answer that ends when the server closes: the client's connection ends after it, as
    // HAProxy ends it (with 'connection: close')
    boolean untilClose = !headers.contains(HttpHeader.CONTENT_LENGTH) && !headers.contains(HttpHeader.TRANSFER_ENCODING)
        && status >= 200 && status != 204 && status != 304 && !"HEAD".equals(clientRequest.getMethod());
    // headers the server's Connection names (beyond keep-alive, close: hop-by-hop anyway); usually none
    Set<String> connectionTokens = null;
    for (HttpField f : headers.getFields(HttpHeader.CONNECTION)) {
      connectionTokens = HopByHop.connectionTokens(f.getValue(), connectionTokens);
    }
    Lease leased = leaseOf(clientRequest);
    Lease lease = leased != null && leased.hasCookiePersistence() ? leased : null;
    HttpFields.Mutable out = org.eclipse.jetty.ee10.servlet.ServletContextResponse
        .getServletContextResponse(proxyResponse).getHeaders();
    // what the response may hold already (a Date) is replaced by the server's first value
    boolean replace = out.size() > 0;
    Set<String> seen = replace ? new HashSet<>() : null;
    for (HttpField f : headers) {
      HttpHeader known = f.getHeader();
      if (known != null ? HOP_BY_HOP_HEADERS.contains(known) || lease != null && known == HttpHeader.SET_COOKIE
          : HopByHop.NAMES.contains(f.getLowerCaseName())) {
        continue;
      }
      if (connectionTokens != null && connectionTokens.contains(f.getLowerCaseName())) {
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
    if (untilClose) {
      proxyResponse.setHeader("connection", "close");
    }
    if (lease != null) {
      List<String> fromServer = headers.getFields(HttpHeader.SET_COOKIE).stream().map(HttpField::getValue).toList();
      List<String> toClient = lease.responseCookies(fromServer);
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
      HeaderEdits.apply(leased.responseHeaderEdits(), new HeaderEdits.Fields() {
        @Override
        public void remove(String name) {
          proxyResponse.setHeader(name, null);
        }

        @Override
        public void add(String name, String value) {
          proxyResponse.addHeader(name, value);
        }
      });
    }
  }

  @Override
  protected void addProxyHeaders(HttpServletRequest clientRequest, Request proxyRequest) {
    // HAProxy adds no Via and no X-Forwarded-* unless told to ('option forwardfor')
  }

  @Override
  protected void sendProxyRequest(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Request proxyRequest) {
    Exchange x = exchangeOf(clientRequest);
    Lease lease = x.lease();
    if (lease != null) {
      // 'timeout server' on lb-core's clock (ServerIdle, checked by the servlet's one sweep); the
      // HTTP client's own idle timeout (30 s, Jetty's proxy default) stays as the cap when the
      // file sets none
      lease.server().timeouts().server().ifPresent(t -> {
        ServerIdle idle = new ServerIdle(balancer.scheduler(), proxyRequest, t.toMillis(), serverIdleSweep);
        clientRequest.setAttribute(SERVER_IDLE, idle);
        // one listener for the request's events, one for the answer's (each add costs a wrapper)
        proxyRequest.listener(idle).onResponseHeaders(idle).onComplete(idle);
        serverIdleSweep.add(idle);
      });
      lease.server().timeouts().connect().ifPresent(t -> proxyRequest.tag(new ConnectTimeout(t.toMillis())));
      // on-marked-down shutdown-sessions: the balancer may cut this request short
      lease.onAbort(() -> proxyRequest.abort(new ServerMarkedDown()));
    }
    x.sending();
    proxyRequest.onRequestBegin(r -> {
      x.connected();
      // a connection that brought an answer before: a pooled one, which the server may have closed
      boolean reused = r.getConnection() instanceof org.eclipse.jetty.io.Connection c && c.getBytesIn() > 0;
      clientRequest.setAttribute(REUSED, reused ? Boolean.TRUE : null);
    });
    super.sendProxyRequest(clientRequest, proxyResponse, proxyRequest);
  }

  /** A write to the client that failed in the servlet's own write listener: noted the same way. */
  @Override
  protected StreamWriter newWriteListener(HttpServletRequest clientRequest, Response serverResponse) {
    return new StreamWriter(clientRequest, serverResponse) {
      @Override
      public void onError(Throwable failure) {
        clientRequest.setAttribute(CLIENT_WRITE_FAILED, Boolean.TRUE);
        super.onError(failure);
      }
    };
  }

  /**
   * A piece of the answer that could not be written to the client fails its callback: noted
   * first, so that the exchange's failure that follows counts as the client's, never the server's.
   */
  @Override
  protected void onResponseContent(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
      Response serverResponse, byte[] buffer, int offset, int length, org.eclipse.jetty.util.Callback callback) {
    ServerIdle idle = (ServerIdle) clientRequest.getAttribute(SERVER_IDLE);
    if (idle != null) {
      idle.writing(true);
    }
    super.onResponseContent(clientRequest, proxyResponse, serverResponse, buffer, offset, length,
        new org.eclipse.jetty.util.Callback.Nested(callback) {
          @Override
          public void succeeded() {
            if (idle != null) {
              idle.writing(false);
            }
            super.succeeded();
          }

          @Override
          public void failed(Throwable x) {
            clientRequest.setAttribute(CLIENT_WRITE_FAILED, Boolean.TRUE);
            if (idle != null) {
              idle.writing(false);
            }
            super.failed(x);
          }
        });
  }

  /**
   * {@code timeout server} of one proxied request, on lb-core's clock: no byte to or from the server
   * for that long aborts the request with a {@link java.util.concurrent.TimeoutException} (a 504
   * when no answer came yet), as the direct path's server connections do. A piece of the answer
   * waiting for a slow client is not the server's fault ({@code timeout client} covers that).
   * Checked by the servlet's one {@link ServerIdleSweep}, never a timer per request.
   */
  static final class ServerIdle implements Request.Listener, org.eclipse.jetty.client.Response.HeadersListener,
      org.eclipse.jetty.client.Response.CompleteListener {
    private final Request request;
    private final long limitNanos;
    private volatile long activeNanos;
    private volatile boolean writing;
    private final dev.balancer.core.Scheduler clock;
    private final ServerIdleSweep sweep;

    ServerIdle(dev.balancer.core.Scheduler clock, Request request, long limitMillis, ServerIdleSweep sweep) {
      this.clock = clock;
      this.request = request;
      this.limitNanos = limitMillis * 1_000_000L;
      this.activeNanos = clock.nanoTime();
      this.sweep = sweep;
    }

    @Override
    public void onContent(Request r, java.nio.ByteBuffer content) {
      active();
    }

    @Override
    public void onSuccess(Request r) {
      active();
    }

    @Override
    public void onHeaders(org.eclipse.jetty.client.Response r) {
      active();
    }

    @Override
    public void onComplete(org.eclipse.jetty.client.Result result) {
      sweep.remove(this);
    }

    void active() {
      activeNanos = clock.nanoTime();
    }

    void writing(boolean value) {
      activeNanos = clock.nanoTime();
      writing = value;
    }

    /** When it times out if nothing moves meanwhile. */
    long deadline() {
      return activeNanos + limitNanos;
    }
  }

  /**
   * Every request's {@link ServerIdle} of one servlet, checked by one task on the clock, scheduled
   * for the earliest deadline: a request adds and removes itself (no timer per request; with
   * thousands a second, each timer held its request on the heap until its time came).
   */
  static final class ServerIdleSweep {
    private final dev.balancer.core.Scheduler clock;
    private final java.util.Set<ServerIdle> active = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** When the pending sweep runs (clock nanos), Long.MAX_VALUE when none is pending. */
    private long dueNanos = Long.MAX_VALUE;

    ServerIdleSweep(dev.balancer.core.Scheduler clock) {
      this.clock = clock;
    }

    void add(ServerIdle idle) {
      active.add(idle);
      scheduleBy(idle.deadline());
    }

    void remove(ServerIdle idle) {
      active.remove(idle);
    }

    private void scheduleBy(long deadline) {
      synchronized (this) {
        if (deadline >= dueNanos) {
          return; // a sweep runs before it is due
        }
        dueNanos = deadline;
      }
      clock.schedule(java.time.Duration.ofNanos(Math.max(1_000_000L, deadline - clock.nanoTime())), this::sweep);
    }

    private void sweep() {
      synchronized (this) {
        dueNanos = Long.MAX_VALUE;
      }
      long now = clock.nanoTime();
      long next = Long.MAX_VALUE;
      for (ServerIdle idle : active) {
        long deadline = idle.deadline();
        if (deadline > now) {
          next = Math.min(next, deadline);
        } else if (idle.writing) {
          next = Math.min(next, now + idle.limitNanos); // the client's turn, not the server's
        } else {
          active.remove(idle);
          idle.request.abort(new java.util.concurrent.TimeoutException("timeout server"));
        }
      }
      if (next != Long.MAX_VALUE) {
        scheduleBy(next);
      }
    }
  }


  @Override
  protected void onProxyResponseSuccess(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Response serverResponse) {
    exchangeOf(clientRequest).responseDone();
    super.onProxyResponseSuccess(clientRequest, proxyResponse, serverResponse);
  }

  /**
   * The exchange failed: the client's fault ends it (never counted against the server); a server's
   * failure goes to the {@link Exchange}, which answers whether to send again, answer with a page
   * or cut the connection.
   */
  @Override
  protected void onProxyResponseFailure(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
      Response serverResponse, Throwable failure) {
    Exchange x = exchangeOf(clientRequest);
    if (clientGone(clientRequest)) {
      x.clientGone(false);
      super.onProxyResponseFailure(clientRequest, proxyResponse, serverResponse, failure);
      return;
    }
    boolean headCame = serverResponse != null && serverResponse.getStatus() > 0;
    if (headCame && !proxyResponse.isCommitted()) {
      // the head was copied but nothing reached the client: a page can still go, as HAProxy's
      // (a 502, or a 504 after timeout server), and the request is not sent again
      x.answerWithheld();
    }
    Failure f = headCame && !proxyResponse.isCommitted() ? Failure.noAnswer(timeout(failure), false)
        : failure(clientRequest, failure);
    Lease lease = x.lease();
    if (f.stage() == Failure.Stage.NO_ANSWER && !f.timeout() && f.replayable() && !headCame && lease != null
        && !lease.isReleased() && !proxyResponse.isCommitted() && clientRequest.getAttribute(REUSED) != null
        && clientRequest.getAttribute(STALE) == null && !markedDown(failure)) {
      // a pooled connection the server had closed before a byte of an answer: sent again once on a
      // new one, as HAProxy does, and not counted against the server (the direct path does the same)
      clientRequest.setAttribute(STALE, Boolean.TRUE);
      proxyResponse.reset();
      carryOut(clientRequest, proxyResponse, serverResponse, failure, new Exchange.Next.Resend(lease));
      return;
    }
    x.failed(f).whenComplete((next, error) -> {
      if (error != null) {
        LOG.warn("a failed request: {}", error.toString());
      }
      carryOut(clientRequest, proxyResponse, serverResponse, failure, next != null ? next : new Exchange.Next.Cut());
    });
  }

  /** What the client library's failure was, in the exchange's terms. */
  private Failure failure(HttpServletRequest clientRequest, Throwable failure) {
    boolean timeout = timeout(failure);
    // a body can be sent again only if we kept it, and only if the server cannot have taken the
    // request: refused, or it failed while going out (a closed pooled connection)
    boolean replayable = !hasContent(clientRequest)
        || clientRequest.getAttribute(BODY) != null && Boolean.TRUE.equals(clientRequest.getAttribute(UNSENT));
    if (connectFailure(failure)) {
      return Failure.connect(timeout, replayable);
    }
    if (invalidAnswer(failure)) {
      return Failure.invalidAnswer();
    }
    return Failure.noAnswer(timeout, replayable);
  }

  /** Does what the exchange answered: send again, answer with its page, or cut the connection. */
  private void carryOut(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Response serverResponse,
      Throwable failure, Exchange.Next next) {
    if (exchangeOf(clientRequest).isEnded()) {
      if (next instanceof Exchange.Next.Resend again) {
        again.lease().release(); // the client went while the retry waited
      }
      return; // the request is over: nothing more to write
    }
    if (next instanceof Exchange.Next.Resend again) {
      try {
        send(clientRequest, proxyResponse, (byte[]) clientRequest.getAttribute(BODY), again.lease());
        return;
      } catch (RuntimeException e) {
        LOG.warn("sending a request again", e);
        again.lease().release(); // its slot is not lost
        next = new Exchange.Next.Answer(exchangeOf(clientRequest).refuse(503, Termination.SERVER_CONNECT));
      }
    }
    if (next instanceof Exchange.Next.Answer answer && !proxyResponse.isCommitted()) {
      // nothing of the failed server's answer (its headers included) goes with the error page
      proxyResponse.reset();
      exchangeOf(clientRequest).answered(answer.page().status());
      respond(proxyResponse, answer.page());
      if (clientRequest.isAsyncStarted()) {
        clientRequest.getAsyncContext().complete();
      }
      return;
    }
    super.onProxyResponseFailure(clientRequest, proxyResponse, serverResponse, failure);
  }

  /** A local answer, as the exchange resolved it (its {@code errorfile}), or a drop. */
  private void answer(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Decision.Respond answer) {
    if (answer.drop()) {
      drop(clientRequest, answer == Decision.Respond.SILENT_DROP);
      return;
    }
    respond(proxyResponse, answer);
  }

  /**
   * {@code http-request reject}: the client's connection is closed without an answer;
   * {@code silent-drop}: reset (SO_LINGER 0), so that nothing lingers on our side either.
   */
  private static void drop(HttpServletRequest clientRequest, boolean reset) {
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

  private static boolean timeout(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof java.util.concurrent.TimeoutException || t instanceof java.net.SocketTimeoutException) {
        return true;
      }
    }
    return false;
  }

  /** Whether the server's answer was not valid HTTP (Jetty's parser refused it). */
  private static boolean invalidAnswer(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof org.eclipse.jetty.http.BadMessageException) {
        return true;
      }
    }
    return false;
  }

  private void send(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, byte[] body, Lease next) {
    Request proxyRequest = newProxyRequest(clientRequest, target(clientRequest, next.server()));
    copyRequestHeaders(clientRequest, proxyRequest);
    addProxyHeaders(clientRequest, proxyRequest);
    if (body != null) {
      proxyRequest.body(new org.eclipse.jetty.client.BytesRequestContent(clientRequest.getContentType(), body));
    }
    clientRequest.removeAttribute(UNSENT);
    sendProxyRequest(clientRequest, proxyResponse, proxyRequest);
  }

  /** {@code on-marked-down shutdown-sessions} cut the request: never sent again to that server. */
  private static final class ServerMarkedDown extends IOException {
    private static final long serialVersionUID = 1L;

    ServerMarkedDown() {
      super("server marked down");
    }
  }

  private static boolean markedDown(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ServerMarkedDown) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the exchange failed because the client went away (not the server's fault): its own
   * connection is closed. (Jetty reports a failed write to the server with the same EofException
   * as one to the client, so the exception cannot tell them apart.)
   */
  private static boolean clientGone(HttpServletRequest clientRequest) {
    if (clientRequest.getAttribute(CLIENT_WRITE_FAILED) != null) {
      return true;
    }
    org.eclipse.jetty.io.EndPoint client = ServletContextRequest.getServletContextRequest(clientRequest)
        .getConnectionMetaData().getConnection().getEndPoint();
    return !client.isOpen() || client.isOutputShutdown();
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
