package dev.balancer.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** maxconn, the backend queue and timeout queue, with time driven by hand. */
class QueueTest {

  private final ManualScheduler time = new ManualScheduler();
  private static final RequestView GET = RequestView.of("GET", "/");

  private Balancer balancer(String lines) {
    return Balancer.create(TestConfigs.app("  timeout connect 2s\n", lines), new SplittableRandom(1), time);
  }

  private static Lease lease(CompletableFuture<Decision> f) {
    return ((Decision.Forward) f.getNow(null)).lease();
  }

  @Test
  void fullServersAreSkippedAndTheRestQueueUntilASlotFrees() {
    Balancer b = balancer("  server s1 127.0.0.1:1 maxconn 1\n  server s2 127.0.0.1:2 maxconn 1\n");
    Lease first = lease(b.decideAsync("www", GET));
    Lease second = lease(b.decideAsync("www", GET));
    assertThat(first.server().name()).isNotEqualTo(second.server().name());

    CompletableFuture<Decision> third = b.decideAsync("www", GET);
    CompletableFuture<Decision> fourth = b.decideAsync("www", GET);
    assertThat(third).isNotDone();
    assertThat(b.queued("app")).isEqualTo(2);

    second.release();
    assertThat(lease(third).server()).isSameAs(second.server());
    assertThat(fourth).isNotDone();
    first.release();
    assertThat(lease(fourth).server()).isSameAs(first.server());
    assertThat(b.queued("app")).isZero();
  }

  @Test
  void aQueuedRequestGets503AfterTimeoutQueueWhichDefaultsToTimeoutConnect() {
    Balancer b = balancer("  server s1 127.0.0.1:1 maxconn 1\n");
    Lease busy = lease(b.decideAsync("www", GET));
    CompletableFuture<Decision> waiting = b.decideAsync("www", GET);

    time.advance(Duration.ofMillis(1999));
    assertThat(waiting).isNotDone();
    time.advance(Duration.ofMillis(1));

    assertThat(waiting.getNow(null)).isEqualTo(Decision.Respond.QUEUE_TIMEOUT);
    assertThat(b.queued("app")).isZero();
    busy.release();
    assertThat(b.server("app", "s1").orElseThrow().inFlight()).isZero();
  }

  @Test
  void timeoutQueueOverridesTimeoutConnect() {
    Balancer b = balancer("  timeout queue 500ms\n  server s1 127.0.0.1:1 maxconn 1\n");
    lease(b.decideAsync("www", GET));
    CompletableFuture<Decision> waiting = b.decideAsync("www", GET);

    time.advance(Duration.ofMillis(500));

    assertThat(waiting.getNow(null)).isEqualTo(Decision.Respond.QUEUE_TIMEOUT);
  }

  @Test
  void inFlightNeverExceedsMaxconn() {
    Balancer b = balancer("  server s1 127.0.0.1:1 maxconn 3\n");
    for (int i = 0; i < 10; i++) {
      b.decideAsync("www", GET);
    }

    assertThat(b.server("app", "s1").orElseThrow().inFlight()).isEqualTo(3);
    assertThat(b.queued("app")).isEqualTo(7);
  }

  @Test
  void aHashedRequestWaitsForItsOwnServerAndMaxqueueFullIs503() {
    Balancer b = balancer("  balance uri\n  server s1 127.0.0.1:1 maxconn 1 maxqueue 1\n  server s2 127.0.0.1:2 maxconn 1\n");
    RequestView a = RequestView.of("GET", "/a");
    Lease first = lease(b.decideAsync("www", a));
    assertThat(first.server().name()).isEqualTo("s1");

    CompletableFuture<Decision> second = b.decideAsync("www", a);
    CompletableFuture<Decision> third = b.decideAsync("www", a);

    assertThat(second).isNotDone();
    assertThat(third.getNow(null)).isEqualTo(Decision.Respond.NO_SERVER);
    assertThat(lease(b.decideAsync("www", RequestView.of("GET", "/b"))).server().name()).isEqualTo("s2");
    first.release();
    assertThat(lease(second).server().name()).isEqualTo("s1");
  }

  @Test
  void aServerThatFreesOrRecoversServesEveryQueuedRequestItHasRoomFor() {
    Balancer b = balancer("  server s1 127.0.0.1:1 maxconn 3\n  server s2 127.0.0.1:2 maxconn 3 disabled\n");
    for (int i = 0; i < 3; i++) {
      lease(b.decideAsync("www", GET));
    }
    java.util.List<CompletableFuture<Decision>> waiting = new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) {
      waiting.add(b.decideAsync("www", GET));
    }
    assertThat(b.queued("app")).isEqualTo(4);

    b.server("app", "s2").orElseThrow().setAdminState(AdminState.READY);

    assertThat(waiting.subList(0, 3)).allSatisfy(f -> assertThat(lease(f).server().name()).isEqualTo("s2"));
    assertThat(waiting.get(3)).isNotDone();
  }

  @Test
  void queuedRequestsAreServedAfterAReloadByReleasesOfLeasesTakenBeforeIt() {
    Balancer b = balancer("  server s1 127.0.0.1:1 maxconn 1\n");
    Lease before = lease(b.decideAsync("www", GET));
    CompletableFuture<Decision> waiting = b.decideAsync("www", GET);

    b.apply(TestConfigs.app("  timeout connect 2s\n", "  server s1 127.0.0.1:1 maxconn 1\n"));
    CompletableFuture<Decision> after = b.decideAsync("www", GET);
    before.release();

    assertThat(lease(waiting).server().name()).isEqualTo("s1");
    assertThat(after).isNotDone();
    lease(waiting).release();
    assertThat(lease(after).server().name()).isEqualTo("s1");
  }

  @Test
  void aCancelledWaitDoesNotKeepASlot() {
    Balancer b = balancer("  server s1 127.0.0.1:1 maxconn 1\n");
    Lease busy = lease(b.decideAsync("www", GET));
    CompletableFuture<Decision> cancelled = b.decideAsync("www", GET);
    CompletableFuture<Decision> next = b.decideAsync("www", GET);

    cancelled.cancel(false);
    busy.release();

    assertThat(lease(next).server().name()).isEqualTo("s1");
    assertThat(b.server("app", "s1").orElseThrow().inFlight()).isEqualTo(1);
  }

  @Test
  void aCancelledWaitWithCookiePersistenceDoesNotKeepASlotEither() {
    Balancer b = balancer("  cookie SRV insert\n  server s1 127.0.0.1:1 maxconn 1 cookie c1\n");
    Lease busy = lease(b.decideAsync("www", GET));
    CompletableFuture<Decision> cancelled = b.decideAsync("www", GET);
    CompletableFuture<Decision> next = b.decideAsync("www", GET);

    cancelled.cancel(false);
    busy.release();

    assertThat(lease(next).server().name()).isEqualTo("s1");
    lease(next).release();
    // nothing in flight: the cancelled wait took no slot, now or later
    assertThat(b.server("app", "s1").orElseThrow().inFlight()).isZero();
  }
}
