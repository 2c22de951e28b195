package dev.balancer.core.stats;

import static org.assertj.core.api.Assertions.assertThat;

import dev.balancer.core.Balancer;
import dev.balancer.core.Decision;
import dev.balancer.core.RequestView;
import dev.balancer.core.Scheduler;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Events per second as HAProxy's {@code rate}, {@code rate_max}, {@code req_rate} columns show them. */
class RateTest {

  private static final long START = -7_000_000_000L; // System.nanoTime() may be negative
  private long now = START;

  private void at(long millis) {
    now = START + millis * 1_000_000L;
  }

  @Test
  void theLastSecondIsThisSecondsEventsPlusTheRestOfThePrevious() {
    Rate r = new Rate(() -> now);
    at(200);
    for (int i = 0; i < 10; i++) {
      r.increment();
    }
    assertThat(r.perSecond()).isEqualTo(10);

    at(1_500); // half of the previous second is still within the last 1,000 ms
    assertThat(r.perSecond()).isEqualTo(5);
    r.increment();
    r.increment();
    assertThat(r.perSecond()).isEqualTo(7);
    assertThat(r.max()).isEqualTo(10);

    at(2_750);
    assertThat(r.perSecond()).isEqualTo(1); // a quarter of 2, rounded up

    at(4_100); // a silent second in between: nothing is left
    assertThat(r.perSecond()).isZero();
    assertThat(r.max()).isEqualTo(10);
  }

  @Test
  void theStatsShowRatesForFrontendBackendAndServer() {
    Scheduler clock = new Scheduler() {
      @Override
      public Runnable schedule(Duration delay, Runnable task) {
        return () -> { };
      }

      @Override
      public long nanoTime() {
        return now;
      }
    };
    try (Balancer b = Balancer.create(RuntimeChangesTest.config(RuntimeChangesTest.TWO), new Random(1), clock)) {
      at(100);
      for (int i = 0; i < 8; i++) {
        // as the proxy counts a request: the frontend's and backend's sessions, the lease, the answer
        b.frontendStats("www").begin();
        b.backendStats("app").begin();
        ((Decision.Forward) b.decide("www", RequestView.of("GET", "/"))).lease().release();
        b.frontendStats("www").response(200, 10, 20);
      }
      at(600);

      StatsRow fe = row(b, "www", "FRONTEND");
      assertThat(fe.number("rate")).isEqualTo(8);
      assertThat(fe.number("rate_max")).isEqualTo(8);
      assertThat(fe.number("req_rate")).isEqualTo(8);
      assertThat(fe.number("req_rate_max")).isEqualTo(8);
      assertThat(row(b, "app", "BACKEND").number("rate")).isEqualTo(8);
      assertThat(row(b, "app", "web1").number("rate")).isEqualTo(6); // weight 3 against 1
      assertThat(row(b, "app", "web2").number("rate")).isEqualTo(2);

      at(3_000);
      assertThat(row(b, "www", "FRONTEND").number("rate")).isZero();
      assertThat(row(b, "www", "FRONTEND").number("rate_max")).isEqualTo(8);
      assertThat(StatsCsv.render(b.stats()).split("\n")[1].split(",", -1)[StatsCsv.COLUMNS.indexOf("rate")]).isEqualTo("0");
    }
  }

  private static StatsRow row(Balancer b, String proxy, String service) {
    return b.stats().stream().filter(r -> r.proxy().equals(proxy) && r.service().equals(service)).findFirst()
        .orElseThrow();
  }
}
