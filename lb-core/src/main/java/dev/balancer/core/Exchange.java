package dev.balancer.core;

import dev.balancer.config.model.Backend;
import dev.balancer.core.stats.Counters;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One request's life after it is routed, whatever carries its bytes (HAProxy's stream and {@code
 * backend.c}): the decision and the server it names, retries and redispatch, the server to avoid,
 * passive health reports, the error answer for each failure, the {@link Termination}, every
 * counter, and the facts of the access-log line. A transport maps its I/O events to this object
 * and carries out what it answers; it decides nothing itself.
 *
 * <pre>{@code
 * Exchange x = new Exchange(balancer).begin("www", view);
 * x.decide().thenApply(x::decided)         // Forward, Serve, or a Respond with its errorfile
 * x.sending(); x.connected(); x.answered(200); x.responseDone();
 * // or, when the server fails:  x.failed(Failure.connect(false)).thenAccept(next -> ...)
 * x.end(status, bytesIn, bytesOut);        // once: counts, releases
 * }</pre>
 *
 * <p>One request at a time: a transport may reuse the object for the next request on the same
 * connection ({@link #begin} resets it). Calls for one request come one after another, perhaps
 * from different threads with a hand-over between them.
 */
public final class Exchange {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Exchange.class);

  /** What the transport does next after a failure. */
  public sealed interface Next {
    /** Send the request again, to this lease's server. */
    record Resend(Lease lease) implements Next {}

    /** Answer the client with this page (nothing of an answer has reached it yet). */
    record Answer(Decision.Respond page) implements Next {}

    /** Cut the client's connection: its answer had begun. */
    record Cut() implements Next {}
  }

  private static final Next CUT = new Next.Cut();

  private final Balancer balancer;
  private final Scheduler clock;
  private final View view = new View();

  private String frontend;
  private String viaBackend;
  private RequestView request;
  private boolean ignorePersistence;
  private String routed;
  private String serverLabel;
  private Lease lease;
  private BackendServer server;
  private String frontendCounted;
  private String backendCounted;
  private Termination termination = Termination.NONE;
  private boolean dropped;
  /** Set once by {@link #end}; read by a retry that completes on another thread. */
  private volatile boolean ended;
  /** A retry's decision under way (it may wait in a queue): cancelled when the exchange ends. */
  private volatile CompletableFuture<Decision> pending;
  private int retries;
  private int status;
  private long decidedNanos = -1;
  private long sentNanos = -1;
  private long connectedNanos = -1;
  private long answeredNanos = -1;

  /** An exchange on {@code balancer}'s configuration and clock, to be {@link #begin begun}. */
  public Exchange(Balancer balancer) {
    this.balancer = Objects.requireNonNull(balancer, "balancer");
    this.clock = balancer.scheduler();
  }

  /** Starts a request that arrived on {@code frontend}: its rules route it. */
  public Exchange begin(String frontend, RequestView request) {
    reset();
    this.frontend = Objects.requireNonNull(frontend, "frontend");
    this.request = Objects.requireNonNull(request, "request");
    return this;
  }

  /** Starts a request for a server of {@code backend}, routed by the caller (no frontend). */
  public Exchange beginForBackend(String backend, RequestView request) {
    reset();
    this.viaBackend = Objects.requireNonNull(backend, "backend");
    this.request = Objects.requireNonNull(request, "request");
    return this;
  }

  /**
   * Asks the balancer where the request goes. The future completes at once unless the request
   * waits (a queue, a tarpit): then the frontend counts it as a session already.
   */
  public CompletableFuture<Decision> decide() {
    CompletableFuture<Decision> d = route();
    if (!d.isDone()) {
      countFrontend();
    }
    return d;
  }

  private CompletableFuture<Decision> route() {
    return route(null);
  }

  private CompletableFuture<Decision> route(BackendServer avoid) {
    try {
      return frontend != null ? balancer.decideAsync(frontend, view, avoid)
          : balancer.decideForBackendAsync(viaBackend, view, avoid);
    } catch (RuntimeException e) {
      LOG.warn("the balancer's decision failed: {}", e.toString());
      return CompletableFuture.completedFuture(Decision.Respond.NO_SERVER);
    }
  }

  /**
   * The decision came: notes it and returns what the transport carries out. A {@link
   * Decision.Forward} holds this exchange's lease; a {@link Decision.Respond} that is an error
   * page comes back as the backend's or frontend's {@code errorfile} when there is one; a drop
   * stays a drop ({@link Decision.Respond#drop()}).
   *
   * @param decision the decision, or null when it failed (then HAProxy's 503)
   */
  public Decision decided(Decision decision) {
    decidedNanos = clock.nanoTime();
    countFrontend();
    if (decision == null) {
      decision = Decision.Respond.NO_SERVER;
    }
    if (decision instanceof Decision.Forward f) {
      take(f.lease());
      return f;
    }
    if (decision instanceof Decision.Serve s) {
      routed = s.proxy();
      serverLabel = s.service().equals("stats") ? "<STATS>" : "<PROMEX>";
      termination = Termination.LOCAL_REQUEST;
      return s;
    }
    Decision.Respond answer = (Decision.Respond) decision;
    if (answer.drop()) {
      termination = Termination.PROXY_REQUEST;
      dropped = true;
      return answer;
    }
    // identity: both are HAProxy's 503 page, told apart only by why they were chosen
    termination = answer == Decision.Respond.NO_SERVER ? Termination.SERVER_CONNECT
        : answer == Decision.Respond.QUEUE_TIMEOUT ? Termination.QUEUE_TIMEOUT
        : answer.errorPage() ? Termination.PROXY_REQUEST : Termination.LOCAL_REQUEST;
    return answer.errorPage() ? page(answer.status()) : answer;
  }

  /**
   * The page for a status the proxy answers by itself (400, 405, 408, 500...): the backend's or
   * frontend's {@code errorfile}, else HAProxy's, with the termination it logs as.
   */
  public Decision.Respond refuse(int status, Termination why) {
    termination = Objects.requireNonNull(why, "why");
    countFrontend();
    return page(status);
  }

  private Decision.Respond page(int status) {
    return balancer.errorPage(frontend, routed, status);
  }

  private void take(Lease l) {
    lease = l;
    server = l.server();
    routed = server.backend();
    if (backendCounted == null) {
      balancer.backendStats(server.backend()).begin();
      backendCounted = server.backend();
    }
  }

  private void countFrontend() {
    if (frontendCounted == null && frontend != null && balancer.config().frontend(frontend).isPresent()) {
      balancer.frontendStats(frontend).begin();
      frontendCounted = frontend;
    }
  }

  // ---- the transport's events, in order

  /** The request is being sent to the lease's server (a connection is asked for). */
  public void sending() {
    sentNanos = clock.nanoTime();
  }

  /** A connection to the server is there (a pooled one at once). */
  public void connected() {
    connectedNanos = clock.nanoTime();
  }

  /** The server's answer head came, with this status. */
  public void answered(int status) {
    answeredNanos = clock.nanoTime();
    this.status = status;
  }



  /** The whole answer reached the client: the server's outcome is reported and its slot freed. */
  public void responseDone() {
    Lease l = lease;
    if (l != null) {
      l.report(Outcome.RESPONSE, status);
      l.release();
    }
  }

  /** The client went away, or (with {@code timeout}) did not read in time, while it was answered. */
  public void clientGone(boolean timeout) {
    if (termination == Termination.NONE || !termination.byClient()) {
      // HAProxy's CC while connecting, CH while waiting for the answer's head, CD after it
      termination = timeout ? Termination.CLIENT_TIMEOUT_BODY
          : status != 0 ? Termination.CLIENT_ABORT_BODY
          : sentNanos >= 0 && connectedNanos < 0 ? Termination.CLIENT_ABORT_CONNECT
          : lease != null ? Termination.CLIENT_ABORT_HEAD : Termination.CLIENT_ABORT_BODY;
    }
    releaseLease();
  }

  /**
   * The client stopped sending its request (its body): for {@code timeout client} (HAProxy's cR),
   * or it went away (CR).
   */
  public void clientStalled(boolean timeout) {
    termination = timeout ? Termination.CLIENT_TIMEOUT_REQUEST : Termination.CLIENT_ABORT_REQUEST;
    releaseLease();
  }

  /**
   * The client went away while its request waited for a decision (a queue, a tarpit): the
   * frontend counts it (a session that ended), nothing else does.
   */
  public void clientLeftQueue() {
    countFrontend();
    termination = Termination.CLIENT_ABORT_QUEUE;
  }

  /**
   * The answer's head came but never reached the client (a transport that holds a head until its
   * body starts): a failure now is answered with a page, as if no answer had come.
   */
  public void answerWithheld() {
    status = 0;
  }

  /** Whether {@link #end} was called: what a retry completing late must check. */
  public boolean isEnded() {
    return ended;
  }

  /** The exchange was cut by the proxy itself (an internal error): no answer. */
  public void cutByProxy() {
    termination = Termination.PROXY_REQUEST;
    releaseLease();
  }

  /**
   * The attempt on the lease's server failed. Reports it for passive health, counts it, frees the
   * server's slot, then answers what to do, as HAProxy's {@code back_handle_st_cer}: try again
   * (within {@code retries}; another server when the request is not stuck to this one, else the
   * same one after min({@code timeout connect}, 1 s), and another on the retries {@code option
   * redispatch} allows), or give up with HAProxy's page (503 no connection, 504 no answer in time,
   * 502 an answer cut or invalid), or cut the client's connection when its answer had begun.
   *
   * <p>A retry happens only for a request that may go again ({@link Failure#replayable()}) and that
   * the server cannot have taken: no connection, or no answer byte; never after a {@code timeout
   * server}. The future completes on the scheduler's thread after a wait, else on
   * the calling thread or the one that completes a queued decision.
   */
  public CompletableFuture<Next> failed(Failure failure) {
    Objects.requireNonNull(failure, "failure");
    // the answer had begun: whatever failed, it was cut
    Failure f = status != 0 && failure.stage() != Failure.Stage.ANSWER_CUT ? Failure.answerCut(failure.timeout()) : failure;
    Lease failedLease = lease;
    if (failedLease == null) {
      return CompletableFuture.completedFuture(giveUp(f));
    }
    BackendServer failed = failedLease.server();
    failedLease.report(f.outcome(), 0);
    Counters backendStats = balancer.backendStats(failed.backend());
    if (f.stage() == Failure.Stage.CONNECT) {
      failed.stats().connectionError();
      backendStats.connectionError();
    } else {
      failed.stats().responseError();
      backendStats.responseError();
    }
    failedLease.release();
    boolean retryable = status == 0 && !ended && f.replayable() && (f.stage() == Failure.Stage.CONNECT
        || f.stage() == Failure.Stage.NO_ANSWER && !f.timeout());
    Optional<Backend> backend = balancer.config().backend(failed.backend());
    int max = backend.map(Backend::retries).orElse(3);
    if (!retryable || retries >= max) {
      return CompletableFuture.completedFuture(giveUp(f));
    }
    int attempt = ++retries;
    failed.stats().retry();
    backendStats.retry();
    if (!failedLease.isPersistent()) {
      // beyond HAProxy, which tries the same server first: another one, since nothing sticks here
      return redecide(f, failed);
    }
    Optional<Integer> redispatch = backend.flatMap(b -> b.options().redispatch());
    boolean move = redispatch.isPresent()
        && (redispatch.get() < 0 ? attempt == max : redispatch.get() > 0 && attempt % redispatch.get() == 0);
    if (move) {
      ignorePersistence = true;
      return redecide(f, failed);
    }
    Duration connect = backend.flatMap(b -> b.timeouts().connect()).orElse(Duration.ofSeconds(1));
    Duration wait = connect.compareTo(Duration.ofSeconds(1)) < 0 ? connect : Duration.ofSeconds(1);
    CompletableFuture<Next> later = new CompletableFuture<>();
    clock.schedule(wait, () -> redecide(f, null).whenComplete((n, x) -> {
      if (x != null) {
        later.completeExceptionally(x);
      } else {
        later.complete(n);
      }
    }));
    return later;
  }

  /**
   * Decides again; the balance algorithm passes over {@code avoid} while another server can take
   * the request (HAProxy's {@code srvtoavoid}).
   */
  private CompletableFuture<Next> redecide(Failure f, BackendServer avoid) {
    CompletableFuture<Decision> decision = route(avoid);
    pending = decision;
    if (ended) {
      decision.cancel(false); // the client went meanwhile: leave the queue
    }
    return decision.handle((d, x) -> {
      if (x != null && !(x instanceof java.util.concurrent.CancellationException)) {
        LOG.warn("a retry: the balancer's decision failed: {}", x.toString());
      }
      if (ended) {
        if (d instanceof Decision.Forward fw) {
          fw.lease().release();
        }
        return CompletableFuture.completedFuture((Next) CUT);
      }
      if (!(d instanceof Decision.Forward fw)) {
        return CompletableFuture.completedFuture(giveUp(f));
      }
      if (avoid != null && fw.lease().server() != avoid) {
        // HAProxy's wredis: counted on the server the request left
        avoid.stats().redispatch();
        balancer.backendStats(avoid.backend()).redispatch();
      }
      synchronized (this) {
        if (ended) {
          fw.lease().release(); // the exchange ended while this retry was being decided
          return CompletableFuture.completedFuture((Next) CUT);
        }
        take(fw.lease());
      }
      return CompletableFuture.completedFuture((Next) new Next.Resend(fw.lease()));
    }).thenCompose(n -> n);
  }

  private Next giveUp(Failure f) {
    switch (f.stage()) {
      case ANSWER_CUT -> {
        termination = f.timeout() ? Termination.SERVER_TIMEOUT_BODY : Termination.SERVER_ABORT_BODY;
        return CUT;
      }
      case CONNECT -> {
        termination = f.timeout() ? Termination.SERVER_TIMEOUT_CONNECT : Termination.SERVER_CONNECT;
        return new Next.Answer(page(503));
      }
      case INVALID_ANSWER -> {
        termination = Termination.PROXY_HEAD;
        return new Next.Answer(page(502));
      }
      default -> {
        termination = f.timeout() ? Termination.SERVER_TIMEOUT_HEAD : Termination.SERVER_HEAD;
        return new Next.Answer(page(f.timeout() ? 504 : 502));
      }
    }
  }

  private void releaseLease() {
    Lease l = lease;
    if (l != null) {
      l.release();
    }
  }

  /**
   * The exchange is over: counts it on its frontend, backend and server as HAProxy does (status
   * class, bytes, denials, client and server aborts). Only the first call counts. The server's slot
   * is the transport's to free ({@link #responseDone}, {@link #clientGone}, or the lease itself): a
   * tunnel holds it past the end of its HTTP exchange.
   *
   * @param status the status the client got, as its transport saw it, or 0 for the one the exchange
   *     knows (ignored for a drop, which HAProxy counts as -1)
   * @param bytesIn the request's bytes, head included
   * @param bytesOut the answer's bytes, head included
   * @return whether this call ended it
   */
  public synchronized boolean end(int status, long bytesIn, long bytesOut) {
    if (ended) {
      return false;
    }
    ended = true;
    CompletableFuture<Decision> retry = pending;
    if (retry != null) {
      retry.cancel(false);
    }
    if (status != 0) {
      this.status = status; // what the client got, as its transport saw it
    }
    int counted = loggedStatus();
    if (frontendCounted != null) {
      Counters fe = balancer.frontendStats(frontendCounted);
      fe.end();
      fe.response(counted, bytesIn, bytesOut);
      if (termination.deniedRequest()) {
        // HAProxy's dreq: deny (whatever its deny_status), tarpit and reject; not auth or return
        fe.deniedRequest();
      }
      if (termination.clientAbort()) {
        fe.clientAbort();
      }
    }
    if (backendCounted != null) {
      Counters be = balancer.backendStats(backendCounted);
      be.end();
      be.response(counted, bytesIn, bytesOut);
      if (termination.clientAbort()) {
        be.clientAbort();
      }
    }
    if (server != null) {
      server.stats().response(counted, bytesIn, bytesOut);
      if (termination.clientAbort()) {
        server.stats().clientAbort();
      } else if (termination.serverAbort()) {
        server.stats().serverAbort();
      }
    }
    return true;
  }

  private void reset() {
    pending = null;
    frontend = null;
    viaBackend = null;
    request = null;
    ignorePersistence = false;
    routed = null;
    serverLabel = null;
    lease = null;
    server = null;
    frontendCounted = null;
    backendCounted = null;
    termination = Termination.NONE;
    dropped = false;
    ended = false;
    retries = 0;
    status = 0;
    decidedNanos = -1;
    sentNanos = -1;
    connectedNanos = -1;
    answeredNanos = -1;
  }

  // ---- what the log line and the stats read

  /** The frontend the request came in on, or null (a servlet routing to a backend itself). */
  public String frontend() {
    return frontend;
  }

  /** Whether the frontend counted this request (it exists in the configuration). */
  public boolean frontendCounted() {
    return frontendCounted != null;
  }

  /** The backend (or proxy, for the stats page) the request went to, else its frontend: {@code %b}. */
  public String backend() {
    return routed != null ? routed : frontend;
  }



  /** The server's name, {@code <STATS>}/{@code <PROMEX>} for our own services, else {@code <NOSRV>}: {@code %s}. */
  public String serverName() {
    return server != null ? server.name() : serverLabel != null ? serverLabel : "<NOSRV>";
  }

  /** The server the request went to last, or null. */
  public BackendServer server() {
    return server;
  }

  /** The lease on that server, or null. */
  public Lease lease() {
    return lease;
  }

  /** How it ended. */
  public Termination termination() {
    return termination;
  }

  /** Characters 3 and 4 of the termination state: the persistence cookie's, {@code --} without one. */
  public String cookieFlags() {
    Lease l = lease;
    return l != null && l.hasCookiePersistence() ? l.cookieLogFlags() : "--";
  }

  /** How many times it was sent again: {@code %rc}. */
  public int retries() {
    return retries;
  }

  /** The status the client got; -1 when it got no answer at all (a reject), as HAProxy logs it. */
  public int loggedStatus() {
    return dropped ? -1 : status;
  }

  /** Whether the request was answered by closing its connection (a reject, a silent-drop). */
  public boolean dropped() {
    return dropped;
  }

  /** When the decision came, on the balancer's clock, or -1. */
  public long decidedNanos() {
    return decidedNanos;
  }

  /** When the request was last sent to a server, or -1. */
  public long sentNanos() {
    return sentNanos;
  }

  /** When its connection to the server was there, or -1. */
  public long connectedNanos() {
    return connectedNanos;
  }

  /** When the answer's head came (or a local answer began), or -1. */
  public long answeredNanos() {
    return answeredNanos;
  }



  /** The request view the rules see: the transport's, with the backend noted and persistence hidden after a redispatch. */
  private final class View implements RequestView {
    @Override
    public String clientAddress() {
      return request.clientAddress();
    }

    @Override
    public String method() {
      return request.method();
    }

    @Override
    public String path() {
      return request.path();
    }

    @Override
    public Optional<String> query() {
      return request.query();
    }

    @Override
    public Optional<String> header(String name) {
      return request.header(name);
    }

    @Override
    public Optional<String> cookie(String name) {
      return ignorePersistence ? Optional.empty() : request.cookie(name);
    }

    @Override
    public List<String> headers(String name) {
      return request.headers(name);
    }

    @Override
    public String target() {
      return request.target();
    }

    @Override
    public String version() {
      return request.version();
    }

    @Override
    public void routed(String backend) {
      routed = backend;
      request.routed(backend);
    }

    @Override
    public int localPort() {
      return request.localPort();
    }
  }
}
