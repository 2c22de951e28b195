package dev.balancer.bench;

import dev.balancer.config.ConfigLoader;
import dev.balancer.core.Balancer;
import dev.balancer.core.Decision;
import dev.balancer.core.RequestView;
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
 * The request hot path in lb-core: route a request on a frontend, choose a server by roundrobin,
 * take and release its lease.
 *
 * <pre>java -jar bench/target/lb-bench.jar SelectionBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SelectionBenchmark {

  @Param({"2", "10", "100"})
  public int servers;

  private Balancer balancer;
  private final RequestView request = RequestView.of("GET", "/");

  @Setup
  public void setUp() {
    StringBuilder b = new StringBuilder("defaults\n  mode http\nfrontend www\n  bind :80\n  default_backend app\nbackend app\n");
    for (int i = 0; i < servers; i++) {
      b.append("  server s").append(i).append(" 127.0.0.1:").append(10000 + i).append(" weight ").append(1 + i % 3).append('\n');
    }
    balancer = Balancer.create(ConfigLoader.parse("bench.cfg", b.toString()).orThrow());
  }

  @Benchmark
  public Object decideAndRelease() {
    Decision d = balancer.decide("www", request);
    if (d instanceof Decision.Forward f) {
      f.lease().release();
    }
    return d;
  }

  @Benchmark
  @Threads(2)
  public Object decideAndReleaseTwoThreads() {
    return decideAndRelease();
  }
}
