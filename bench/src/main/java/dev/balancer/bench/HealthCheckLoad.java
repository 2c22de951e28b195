package dev.balancer.bench;

import dev.balancer.config.ConfigLoader;
import dev.balancer.core.Balancer;
import java.time.Duration;
import java.util.Locale;

/**
 * The cost of health checks: 1,000 servers with {@code check inter 2s} (HTTP, {@code option httpchk
 * GET /health}) against a backend given on the command line, and this process's CPU time over a
 * measured window, as a share of one core.
 *
 * <pre>java -cp bench/target/lb-bench.jar dev.balancer.bench.HealthCheckLoad PORT [SERVERS] [SECONDS] [WARMUP_SECONDS]</pre>
 */
public final class HealthCheckLoad {

  private HealthCheckLoad() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    int servers = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 30;
    int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    StringBuilder b = new StringBuilder("defaults\n  mode http\n  timeout connect 1s\n  timeout check 1s\n")
        .append("backend app\n  option httpchk GET /health\n");
    for (int i = 0; i < servers; i++) {
      b.append("  server s").append(i).append(" 127.0.0.1:").append(port).append(" check inter 2s\n");
    }
    try (Balancer balancer = Balancer.create(ConfigLoader.parse("load.cfg", b.toString()).orThrow())) {
      Thread.sleep(warmup * 1000L); // warm-up: every server checked a few times, the JIT done
      long cpu0 = cpu();
      long t0 = System.nanoTime();
      Thread.sleep(seconds * 1000L);
      double cpu = (cpu() - cpu0) / (double) (System.nanoTime() - t0);
      long up = balancer.servers("app").stream().filter(s -> balancer.state("app", s.name()).startsWith("UP")).count();
      System.out.printf(Locale.ROOT, "%d servers, inter 2s: %.1f%% of one core over %d s (%d checks/s), %d up, %d threads%n",
          servers, 100 * cpu, seconds, servers / 2, up, Thread.activeCount());
    }
  }

  private static long cpu() {
    return ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
  }
}
