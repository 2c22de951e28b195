package dev.balancer.bench;

import dev.balancer.config.ConfigLoader;
import dev.balancer.core.Balancer;
import dev.balancer.core.Decision;
import dev.balancer.core.RequestView;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The request hot path in lb-core, per algorithm: route a request on a frontend, choose a server,
 * take and release its lease. Hash algorithms get a different key on each call.
 *
 * <pre>java -jar bench/target/lb-bench.jar SelectionBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class SelectionBenchmark {

  @Param({"roundrobin", "static-rr", "leastconn", "first", "random", "uri", "uri consistent", "source"})
  public String algorithm;

  @Param({"10", "1000"})
  public int servers;

  private Balancer balancer;
  private RequestView[] requests;

  @Setup
  public void setUp() {
    String[] a = algorithm.split(" ");
    StringBuilder b = new StringBuilder("defaults\n  mode http\nfrontend www\n  bind :80\n  default_backend app\nbackend app\n");
    b.append("  balance ").append(a[0]).append('\n');
    if (a.length > 1) {
      b.append("  hash-type ").append(a[1]).append('\n');
    }
    for (int i = 0; i < servers; i++) {
      b.append("  server s").append(i).append(" 10.0.").append(i / 250).append('.').append(i % 250 + 1)
          .append(":8080 weight ").append(1 + i % 3).append('\n');
    }
    balancer = Balancer.create(ConfigLoader.parse("bench.cfg", b.toString()).orThrow());
    requests = new RequestView[1024];
    for (int i = 0; i < requests.length; i++) {
      requests[i] = RequestView.of("10.1." + (i / 250) + "." + (i % 250), "GET", "/item/" + i, Map.of());
    }
  }

  private int next;

  @Benchmark
  public Object selectAndRelease() {
    Decision d = balancer.decide("www", requests[next++ & 1023]);
    if (d instanceof Decision.Forward f) {
      f.lease().release();
    }
    return d;
  }

  @Benchmark
  @Threads(2)
  public Object selectAndReleaseTwoThreads() {
    return selectAndRelease();
  }
}
