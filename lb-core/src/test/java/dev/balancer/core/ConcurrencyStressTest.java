package dev.balancer.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** 8 threads × 100,000 selections: exact weight proportions, in-flight counts never lost or negative. */
class ConcurrencyStressTest {

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"roundrobin", "static-rr"})
  void eightThreadsKeepExactProportionsAndInFlightCounts(String algorithm) throws Exception {
    Balancer b = Balancer.create(TestConfigs.app("""
          balance %s
          server s1 127.0.0.1:1 weight 1
          server s2 127.0.0.1:2 weight 3
          server s3 127.0.0.1:3 weight 4
        """.formatted(algorithm)));
    int threads = 8;
    int perThread = 100_000;
    AtomicInteger negative = new AtomicInteger();
    CyclicBarrier start = new CyclicBarrier(threads);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread w = new Thread(() -> {
        try {
          start.await();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        RequestView r = RequestView.of("GET", "/");
        for (int i = 0; i < perThread; i++) {
          Decision.Forward f = (Decision.Forward) b.decide("www", r);
          if (f.lease().server().inFlight() < 1) {
            negative.incrementAndGet();
          }
          f.lease().release();
          if (f.lease().server().inFlight() < 0) {
            negative.incrementAndGet();
          }
        }
      });
      w.start();
      workers.add(w);
    }
    for (Thread w : workers) {
      w.join();
    }

    long total = (long) threads * perThread;
    assertThat(negative.get()).isZero();
    assertThat(b.servers("app")).allSatisfy(s -> assertThat(s.inFlight()).isZero());
    // 800,000 is a multiple of the cycle (8): the proportions are exact
    assertThat(b.server("app", "s1").orElseThrow().totalRequests()).isEqualTo(total / 8);
    assertThat(b.server("app", "s2").orElseThrow().totalRequests()).isEqualTo(total * 3 / 8);
    assertThat(b.server("app", "s3").orElseThrow().totalRequests()).isEqualTo(total * 4 / 8);
  }
}
