package dev.balancer.bench;

import dev.balancer.config.ConfigLoader;
import dev.balancer.core.Balancer;
import dev.balancer.core.Decision;
import dev.balancer.core.Lease;
import dev.balancer.core.RequestView;
import dev.balancer.jetty.direct.HeadView;
import dev.balancer.jetty.http1.HeadRewriter;
import dev.balancer.jetty.http1.HttpHead;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
 * The direct path's work per request besides moving bytes, piece by piece: parsing a browser's
 * request head, the routing rules (ACLs, {@code use_backend}, a header rule), cookie persistence
 * (the client's cookie read, the server's {@code Set-Cookie} rewritten), the two heads rewritten.
 *
 * <pre>java -jar bench/target/lb-bench.jar HotPathBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class HotPathBenchmark {

  private static final String REQUEST = "GET /shop/item?id=42 HTTP/1.1\r\nHost: shop.example\r\n"
      + "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
      + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-GB,en;q=0.5\r\n"
      + "Accept-Encoding: gzip, deflate, br\r\nCookie: session=abc123def456; SRV=s3; theme=dark\r\n"
      + "Connection: keep-alive\r\nUpgrade-Insecure-Requests: 1\r\n\r\n";

  private static final String RESPONSE = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
      + "Date: Thu, 26 Nov 2026 12:00:00 GMT\r\nContent-Type: text/html\r\nContent-Length: 1024\r\n"
      + "Last-Modified: Thu, 26 Nov 2026 11:34:23 GMT\r\nConnection: keep-alive\r\nETag: \"6b08193f-400\"\r\n"
      + "Set-Cookie: cart=7; Path=/\r\nAccept-Ranges: bytes\r\n\r\n";

  private Balancer balancer;
  private ByteBuffer request;
  private ByteBuffer response;
  private HttpHead requestHead;
  private HttpHead responseHead;
  private Lease lease;

  @Setup
  public void setUp() {
    StringBuilder cfg = new StringBuilder("""
        defaults
          mode http
        frontend www
          bind :80
          acl api path_beg /api
          acl mobile hdr_sub(user-agent) Mobile
          http-request set-header X-Forwarded-Proto http
          use_backend api if api
          use_backend app if mobile
          default_backend app
        backend api
          server a1 10.0.1.1:8080
        backend app
          balance roundrobin
          cookie SRV insert indirect nocache
        """);
    for (int i = 1; i <= 10; i++) {
      cfg.append("  server s").append(i).append(" 10.0.0.").append(i).append(":8080 cookie s").append(i).append('\n');
    }
    balancer = Balancer.create(ConfigLoader.parse("bench.cfg", cfg.toString()).orThrow());
    request = ByteBuffer.wrap(REQUEST.getBytes(StandardCharsets.ISO_8859_1));
    response = ByteBuffer.wrap(RESPONSE.getBytes(StandardCharsets.ISO_8859_1));
    requestHead = HttpHead.parse(request, request.remaining(), true);
    responseHead = HttpHead.parse(response, response.remaining(), false);
    lease = ((Decision.Forward) balancer.decide("www", view(requestHead))).lease();
    lease.release();
  }

  /** The request as lb-core sees it, read from the parsed head as the direct path reads it. */
  static RequestView view(HttpHead h) {
    return new HeadView(h) {
      @Override
      public String clientAddress() {
        return "192.0.2.7";
      }
    };
  }

  @Benchmark
  public Object parseRequestHead() {
    return HttpHead.parse(request, HttpHead.end(request, 0), true);
  }

  @Benchmark
  public Object parseResponseHead() {
    return HttpHead.parse(response, HttpHead.end(response, 0), false);
  }

  /** Routing rules, the header rule, the persistence cookie read, the pick and the lease. */
  @Benchmark
  public Object routeAndPick() {
    Decision d = balancer.decide("www", view(requestHead));
    if (d instanceof Decision.Forward f) {
      f.lease().release();
    }
    return d;
  }

  /** Both heads rewritten: hop-by-hop out, the header rule in, our cookie out and in again. */
  @Benchmark
  public Object rewriteHeads() {
    return HeadRewriter.request(requestHead, lease).bytes().remaining()
        + HeadRewriter.response(responseHead, lease, false, null).bytes().remaining();
  }

  /** All of it, per request. */
  @Benchmark
  public Object wholeRequest() {
    HttpHead h = HttpHead.parse(request, HttpHead.end(request, 0), true);
    Decision d = balancer.decide("www", view(h));
    Lease l = ((Decision.Forward) d).lease();
    int n = HeadRewriter.request(h, l).bytes().remaining();
    HttpHead r = HttpHead.parse(response, HttpHead.end(response, 0), false);
    n += HeadRewriter.response(r, l, false, null).bytes().remaining();
    l.release();
    return n;
  }
}
