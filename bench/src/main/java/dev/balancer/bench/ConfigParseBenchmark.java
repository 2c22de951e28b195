package dev.balancer.bench;

import dev.balancer.config.ConfigLoader;
import dev.balancer.config.LoadResult;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Parsing and validating a large generated file: 1,000 backends of 10 servers each, with a
 * frontend routing to them by ACL (lb-config's performance target: under 500 ms after warm-up).
 *
 * <pre>java -jar bench/target/lb-bench.jar ConfigParseBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ConfigParseBenchmark {

  private String text;

  @Setup
  public void generate() {
    text = generate(1000, 10);
  }

  /** The generated configuration: {@code backends} backends of {@code servers} servers. */
  public static String generate(int backends, int servers) {
    StringBuilder b = new StringBuilder(backends * servers * 80);
    b.append("global\n    maxconn 20000\n\ndefaults\n    mode http\n    timeout connect 5s\n")
        .append("    timeout client 30s\n    timeout server 30s\n    option httplog\n\n");
    b.append("frontend www\n    bind 127.0.0.1:8080\n");
    for (int i = 0; i < backends; i++) {
      b.append("    acl is_app").append(i).append(" path_beg /app").append(i).append('\n');
      b.append("    use_backend app").append(i).append(" if is_app").append(i).append('\n');
    }
    b.append("    default_backend app0\n\n");
    for (int i = 0; i < backends; i++) {
      b.append("backend app").append(i).append("\n    balance roundrobin\n    option httpchk GET /health\n");
      for (int j = 0; j < servers; j++) {
        b.append("    server s").append(j).append(" 10.").append(i / 250).append('.').append(i % 250).append('.')
            .append(j + 1).append(":8080 check inter 2s fall 3 rise 2 weight ").append(1 + j % 5).append('\n');
      }
      b.append('\n');
    }
    return b.toString();
  }

  @Benchmark
  public LoadResult parseAndValidate() {
    LoadResult r = ConfigLoader.parse("generated.cfg", text);
    if (r.hasErrors()) {
      throw new IllegalStateException(r.errors().get(0).toString());
    }
    return r;
  }
}
