package dev.balancer.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The life of one request after its decision, without sockets, on a clock driven by hand: retries,
 * redispatch, the server to avoid, the same-server wait, the answer and termination state of each
 * failure, and what is counted.
 */
class ExchangeTest {

  private final ManualScheduler time = new ManualScheduler();
  private static final RequestView GET = RequestView.of("GET", "/");
  private static final String TWO = "  server s1 127.0.0.1:1\n  server s2 127.0.0.1:2\n";
  private static final String STICKY = "  cookie SRV insert\n  server s1 127.0.0.1:1 cookie s1\n  server s2 127.0.0.1:2 cookie s2\n";
  private static final RequestView STUCK_TO_S1 = RequestView.of("127.0.0.1", "GET", "/", Map.of("Cookie", "SRV=s1"));

  private Balancer balancer(String defaults, String lines) {
    return Balancer.create(TestConfigs.app(defaults, lines), new SplittableRandom(1), time);
  }

  private static Decision.Forward forward(Exchange x) {
    return (Decision.Forward) x.decided(x.decide().getNow(null));
  }

  /** An exchange whose request was decided and sent to a server. */
  private static Exchange forwarded(Balancer b) {
    return forwarded(b, GET);
  }

  private static Exchange forwarded(Balancer b, RequestView request) {
    Exchange x = new Exchange(b).begin("www", request);
    forward(x);
    return x;
  }

  private static Exchange.Next now(CompletableFuture<Exchange.Next> next) {
    assertThat(next).isDone();
    return next.getNow(null);
  }

  private static String serverOf(Exchange.Next next) {
    return ((Exchange.Next.Resend) next).lease().server().name();
  }

  private static int statusOf(Exchange.Next next) {
    return ((Exchange.Next.Answer) next).page().status();
  }

  @Test
  void aRefusedConnectionIsRetriedAtOnceOnAnotherServerAndCounted() {
    Balancer b = balancer("", TWO);
    Exchange x = new Exchange(b).begin("www", GET);
    String first = forward(x).lease().server().name();

    Exchange.Next next = now(x.failed(Failure.connect(false)));

    assertThat(serverOf(next)).isNotEqualTo(first);
    assertThat(x.retries()).isEqualTo(1);
    BackendServer failed = b.server("app", first).orElseThrow();
    assertThat(failed.inFlight()).isZero();
    assertThat(failed.stats().connectionErrors()).isEqualTo(1);
    assertThat(failed.stats().retries()).isEqualTo(1);
    assertThat(failed.stats().redispatches()).isEqualTo(1);
    assertThat(b.backendStats("app").retries()).isEqualTo(1);
    assertThat(b.backendStats("app").redispatches()).isEqualTo(1);
    assertThat(x.serverName()).isEqualTo(((Exchange.Next.Resend) next).lease().server().name());
  }

  @Test
  void aRetryPassesOverTheFailedServerInTheRoundRobinOrderAsHaproxysSrvtoavoid() {
    Balancer b = balancer("", "  server s1 127.0.0.1:1\n  server s2 127.0.0.1:2\n  server s3 127.0.0.1:3\n");
    Exchange x = new Exchange(b).begin("www", GET);
    assertThat(forward(x).lease().server().name()).isEqualTo("s1");

    // s2 is next in the order anyway: the retry takes it, and the order goes on with s3
    assertThat(serverOf(now(x.failed(Failure.connect(false))))).isEqualTo("s2");
    Exchange next = new Exchange(b).begin("www", GET);
    assertThat(forward(next).lease().server().name()).isEqualTo("s3");
  }

  @Test
  void theFailedServerIsTakenAgainOnlyWhenNoOtherCanBe() {
    Balancer b = balancer("", "  server s1 127.0.0.1:1\n  server s2 127.0.0.1:2 maxconn 1\n");
    Exchange busy = new Exchange(b).begin("www", GET);
    Exchange x = new Exchange(b).begin("www", GET);
    assertThat(forward(x).lease().server().name()).isEqualTo("s1");
    assertThat(forward(busy).lease().server().name()).isEqualTo("s2");

    // s2 is full: the retry goes to s1 although it just failed, as HAProxy falls back to the avoided one
    assertThat(serverOf(now(x.failed(Failure.connect(false))))).isEqualTo("s1");
    assertThat(b.server("app", "s1").orElseThrow().stats().redispatches()).isZero();
  }

  @Test
  void whenEveryRetryIsSpentTheClientGets503AndTheStateIsSC() {
    Balancer b = balancer("", "  retries 2\n  server s1 127.0.0.1:1\n");
    Exchange x = forwarded(b);

    assertThat(serverOf(now(x.failed(Failure.connect(false))))).isEqualTo("s1");
    assertThat(serverOf(now(x.failed(Failure.connect(true))))).isEqualTo("s1");
    Exchange.Next last = now(x.failed(Failure.connect(false)));

    assertThat(statusOf(last)).isEqualTo(503);
    assertThat(x.termination()).isEqualTo(Termination.SERVER_CONNECT);
    assertThat(x.retries()).isEqualTo(2);
    assertThat(b.server("app", "s1").orElseThrow().stats().connectionErrors()).isEqualTo(3);
    assertThat(b.server("app", "s1").orElseThrow().inFlight()).isZero();
  }

  @Test
  void aServerTimeoutIsNeverRetriedAndAnswers504() {
    Balancer b = balancer("", TWO);
    Exchange x = forwarded(b);

    assertThat(statusOf(now(x.failed(Failure.noAnswer(true, true))))).isEqualTo(504);
    assertThat(x.termination().code()).isEqualTo("sH");
    assertThat(x.retries()).isZero();
    assertThat(b.backendStats("app").responseErrors()).isEqualTo(1);
  }

  @Test
  void aClosedConnectionIsRetriedOnlyWhenTheRequestCanGoAgain() {
    Balancer b = balancer("", TWO);
    Exchange replayable = forwarded(b);
    assertThat(now(replayable.failed(Failure.noAnswer(false, true)))).isInstanceOf(Exchange.Next.Resend.class);

    Exchange bodySent = forwarded(b);
    assertThat(statusOf(now(bodySent.failed(Failure.noAnswer(false, false))))).isEqualTo(502);
    assertThat(bodySent.termination().code()).isEqualTo("SH");
  }

  @Test
  void aRequestWhoseBodyWasStreamedIsNeverSentAgain() {
    Balancer b = balancer("", TWO);
    Exchange x = forwarded(b);

    assertThat(statusOf(now(x.failed(Failure.connect(false, false))))).isEqualTo(503);
    assertThat(x.retries()).isZero();
  }

  @Test
  void anInvalidAnswerIs502PHAndAnAnswerCutAfterItBeganCutsTheClient() {
    Balancer b = balancer("", TWO);
    Exchange invalid = forwarded(b);
    assertThat(statusOf(now(invalid.failed(Failure.invalidAnswer())))).isEqualTo(502);
    assertThat(invalid.termination().code()).isEqualTo("PH");

    Exchange cut = new Exchange(b).begin("www", GET);
    BackendServer s = forward(cut).lease().server();
    cut.answered(200);
    assertThat(now(cut.failed(Failure.noAnswer(false, true)))).isInstanceOf(Exchange.Next.Cut.class);
    assertThat(cut.termination().code()).isEqualTo("SD");
    cut.end(200, 100, 1000);
    assertThat(s.stats().serverAborts()).isEqualTo(1);

    Exchange stalled = forwarded(b);
    stalled.answered(200);
    assertThat(now(stalled.failed(Failure.answerCut(true)))).isInstanceOf(Exchange.Next.Cut.class);
    assertThat(stalled.termination().code()).isEqualTo("sD");
  }

  @Test
  void aStuckRequestWaitsMinOfTimeoutConnectAndOneSecondThenTriesTheSameServer() {
    Balancer b = balancer("  timeout connect 300ms\n", STICKY);
    Exchange x = new Exchange(b).begin("www", STUCK_TO_S1);
    assertThat(forward(x).lease().server().name()).isEqualTo("s1");

    CompletableFuture<Exchange.Next> next = x.failed(Failure.connect(false));
    time.advance(Duration.ofMillis(299));
    assertThat(next).isNotDone();
    time.advance(Duration.ofMillis(1));

    assertThat(serverOf(now(next))).isEqualTo("s1");
    assertThat(b.server("app", "s1").orElseThrow().stats().redispatches()).isZero();
  }

  @Test
  void theSameServerWaitIsOneSecondAtMost() {
    Balancer b = balancer("  timeout connect 5s\n", STICKY);
    Exchange x = forwarded(b, STUCK_TO_S1);

    CompletableFuture<Exchange.Next> next = x.failed(Failure.connect(false));
    time.advance(Duration.ofMillis(999));
    assertThat(next).isNotDone();
    time.advance(Duration.ofMillis(1));
    assertThat(serverOf(now(next))).isEqualTo("s1");
  }

  @Test
  void optionRedispatchMovesAStuckRequestOnItsLastRetryOnly() {
    Balancer b = balancer("  timeout connect 100ms\n", "  retries 3\n  option redispatch\n" + STICKY);
    Exchange x = forwarded(b, STUCK_TO_S1);

    for (int retry = 1; retry <= 2; retry++) {
      CompletableFuture<Exchange.Next> next = x.failed(Failure.connect(false));
      time.advance(Duration.ofMillis(100));
      assertThat(serverOf(now(next))).as("retry %d", retry).isEqualTo("s1");
    }
    assertThat(serverOf(now(x.failed(Failure.connect(false))))).isEqualTo("s2");
    assertThat(b.server("app", "s1").orElseThrow().stats().redispatches()).isEqualTo(1);
  }

  @Test
  void optionRedispatchNMovesEveryNthRetryAndZeroNever() {
    Balancer every2 = balancer("  timeout connect 100ms\n", "  retries 4\n  option redispatch 2\n" + STICKY);
    Exchange x = forwarded(every2, STUCK_TO_S1);
    CompletableFuture<Exchange.Next> first = x.failed(Failure.connect(false));
    time.advance(Duration.ofMillis(100));
    assertThat(serverOf(now(first))).isEqualTo("s1");
    assertThat(serverOf(now(x.failed(Failure.connect(false))))).isEqualTo("s2");

    Balancer never = balancer("  timeout connect 100ms\n", "  retries 2\n  option redispatch 0\n" + STICKY);
    Exchange y = forwarded(never, STUCK_TO_S1);
    for (int retry = 1; retry <= 2; retry++) {
      CompletableFuture<Exchange.Next> next = y.failed(Failure.connect(false));
      time.advance(Duration.ofMillis(100));
      assertThat(serverOf(now(next))).isEqualTo("s1");
    }
    assertThat(statusOf(now(y.failed(Failure.connect(false))))).isEqualTo(503);
  }

  @Test
  void aClientGoneDuringTheWaitGetsNothingAndHoldsNoSlot() {
    Balancer b = balancer("  timeout connect 100ms\n", STICKY);
    Exchange x = forwarded(b, STUCK_TO_S1);
    CompletableFuture<Exchange.Next> next = x.failed(Failure.connect(false));

    x.end(0, 10, 0);
    time.advance(Duration.ofMillis(100));

    assertThat(now(next)).isInstanceOf(Exchange.Next.Cut.class);
    assertThat(b.server("app", "s1").orElseThrow().inFlight()).isZero();
  }

  @Test
  void theFailurePageIsTheBackendsErrorfile() throws Exception {
    java.nio.file.Path page = java.nio.file.Files.createTempFile("503", ".http");
    java.nio.file.Files.writeString(page, "HTTP/1.1 503 Busy\r\nContent-Type: text/plain\r\n\r\nsorry\n");
    Balancer b = balancer("", "  retries 0\n  errorfile 503 " + page + "\n  server s1 127.0.0.1:1\n");
    Exchange x = forwarded(b);

    Decision.Respond answer = ((Exchange.Next.Answer) now(x.failed(Failure.connect(false)))).page();

    assertThat(answer.reason()).isEqualTo("Busy");
    assertThat(answer.body()).isEqualTo("sorry\n");
  }

  @Test
  void localAnswersGetHaproxysTerminationStates() {
    Balancer b = Balancer.create(dev.balancer.config.ConfigLoader.parse("t.cfg", """
        defaults
          mode http
          timeout queue 1s
        frontend www
          bind 127.0.0.1:0
          http-request deny if { path /deny }
          http-request reject if { path /reject }
          http-request return status 204 if { path /return }
          use_backend none if { path /none }
          default_backend app
        backend app
          server s1 127.0.0.1:1 maxconn 1
        backend none
        """).orThrow(), new SplittableRandom(1), time);

    assertThat(ended(b, "/deny").termination().code()).isEqualTo("PR");
    assertThat(b.frontendStats("www").deniedRequests()).isEqualTo(1);
    Exchange reject = ended(b, "/reject");
    assertThat(reject.termination().code()).isEqualTo("PR");
    assertThat(reject.loggedStatus()).isEqualTo(-1);
    assertThat(ended(b, "/return").termination().code()).isEqualTo("LR");
    assertThat(ended(b, "/none").termination().code()).isEqualTo("SC");

    Exchange busy = forwarded(b);
    Exchange queued = new Exchange(b).begin("www", GET);
    CompletableFuture<Decision> waiting = queued.decide();
    assertThat(b.frontendStats("www").current()).as("a queued request is a session").isEqualTo(2);
    time.advance(Duration.ofSeconds(1));
    queued.decided(waiting.getNow(null));
    assertThat(queued.termination().code()).isEqualTo("sQ");
    assertThat(b.frontendStats("www").sessions()).isEqualTo(6);
  }

  private Exchange ended(Balancer b, String path) {
    Exchange x = new Exchange(b).begin("www", RequestView.of("GET", path));
    Decision d = x.decided(x.decide().getNow(null));
    x.end(d instanceof Decision.Respond r ? r.status() : 0, 10, 10);
    return x;
  }

  @Test
  void aConnectTimeoutAfterTheRetriesIsSC() {
    Balancer b = balancer("", "  retries 1\n  server s1 127.0.0.1:1\n");
    Exchange x = forwarded(b);
    now(x.failed(Failure.connect(true)));

    assertThat(statusOf(now(x.failed(Failure.connect(true))))).isEqualTo(503);
    assertThat(x.termination().code()).isEqualTo("sC");
  }

  @Test
  void aClientGoneBeforeItsAnswerIsCCWhileConnectingAndCHWhileWaiting() {
    Balancer b = balancer("", TWO);
    Exchange connecting = forwarded(b);
    connecting.sending();
    connecting.clientGone(false);
    assertThat(connecting.termination().code()).isEqualTo("CC");

    Exchange waiting = forwarded(b);
    waiting.sending();
    waiting.connected();
    waiting.clientGone(false);
    assertThat(waiting.termination().code()).isEqualTo("CH");
    assertThat(b.backendStats("app").current()).isEqualTo(2); // until each ends
  }

  @Test
  void aRetryWaitingInTheQueueLeavesItWhenTheExchangeEnds() {
    Balancer b = balancer("  timeout queue 10s\n", "  server s1 127.0.0.1:1 maxconn 1\n");
    Exchange x = forwarded(b);
    Exchange other = new Exchange(b).begin("www", GET);
    CompletableFuture<Decision> otherWaits = other.decide();
    // the failed attempt's slot goes to the request that was waiting; the retry queues
    CompletableFuture<Exchange.Next> retry = x.failed(Failure.connect(false));
    assertThat(otherWaits).isDone();
    assertThat(b.queued("app")).isEqualTo(1);

    x.end(0, 10, 0);

    assertThat(now(retry)).isInstanceOf(Exchange.Next.Cut.class);
    // the slot the other request frees goes to nobody: the retry left the queue
    ((Decision.Forward) otherWaits.getNow(null)).lease().release();
    assertThat(b.server("app", "s1").orElseThrow().inFlight()).isZero();
  }

  @Test
  void anExchangeIsCountedOnceAndAClientAbortOnEveryLevel() {
    Balancer b = balancer("", TWO);
    Exchange x = new Exchange(b).begin("www", GET);
    BackendServer s = forward(x).lease().server();
    x.answered(200);
    x.clientGone(false);

    assertThat(x.end(200, 100, 50)).isTrue();
    assertThat(x.end(200, 100, 50)).isFalse();

    assertThat(x.termination().code()).isEqualTo("CD");
    assertThat(s.inFlight()).isZero();
    assertThat(b.frontendStats("www").clientAborts()).isEqualTo(1);
    assertThat(b.backendStats("app").clientAborts()).isEqualTo(1);
    assertThat(s.stats().clientAborts()).isEqualTo(1);
    assertThat(b.frontendStats("www").requests()).isEqualTo(1);
    assertThat(b.frontendStats("www").current()).isZero();
  }

  @Test
  void reusedForTheNextRequestItKeepsNothingOfTheLast() {
    Balancer b = balancer("", TWO);
    Exchange x = new Exchange(b);
    x.begin("www", GET);
    forward(x);
    now(x.failed(Failure.connect(false)));
    x.end(200, 1, 1);

    x.begin("www", GET);
    assertThat(x.retries()).isZero();
    assertThat(x.termination()).isEqualTo(Termination.NONE);
    assertThat(x.serverName()).isEqualTo("<NOSRV>");
    assertThat(x.decidedNanos()).isEqualTo(-1);
  }
}
