package dev.balancer.jetty.http1;

import dev.balancer.jetty.direct.HeadView;
import static org.assertj.core.api.Assertions.assertThat;

import dev.balancer.config.ConfigLoader;
import dev.balancer.core.Balancer;
import dev.balancer.core.Decision;
import dev.balancer.core.Lease;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The heads the direct path writes, byte for byte: what is copied from the head that came in, what
 * is dropped, what rules and persistence add. The end-to-end behaviour is in the ITs (and compared
 * with HAProxy's in the differential ones); this pins the bytes.
 */
class HeadRewriterTest {

  private static final String CONFIG = """
      defaults
        mode http
      frontend www
        bind :80
        http-request set-header X-Forwarded-Proto http
        http-request del-header X-Secret
        http-request add-header X-Added one
        http-response set-header X-Served-By lb
        default_backend app
      backend app
        cookie SRV insert indirect nocache
        server s1 10.0.0.1:8080 cookie s1
        server s2 10.0.0.2:8080 cookie s2
      """;

  private final Balancer balancer = Balancer.create(ConfigLoader.parse("test.cfg", CONFIG).orThrow());

  @Test
  void theServerGetsTheRequestLessHopByHopFieldsAndOurCookieWithTheRulesEdits() {
    HttpHead h = head("GET /shop?id=1 HTTP/1.1\r\nHost: shop.example\r\nConnection: keep-alive, X-Private, Host\r\n"
        + "X-Private: 1\r\nkeep-alive: timeout=5\r\nTE: trailers\r\nProxy-Authorization: Basic eA==\r\n"
        + "Cookie: SRV=s2; theme=dark\r\nX-Secret: s\r\nx-forwarded-proto: https\r\nAccept:  text/html \t\r\n\r\n", true);
    Lease lease = lease(h);

    HeadRewriter.ToServer out = HeadRewriter.request(h, lease);

    assertThat(lease.server().name()).isEqualTo("s2"); // the cookie chose it
    assertThat(text(out.bytes())).isEqualTo("GET /shop?id=1 HTTP/1.1\r\nHost: shop.example\r\n"
        + "Cookie: theme=dark\r\nAccept: text/html\r\nX-Forwarded-Proto: http\r\nX-Added: one\r\n\r\n");
    assertThat(out.close()).isFalse();
  }

  @Test
  void aCookieFieldWithOnlyOurCookieGoesAltogether() {
    HttpHead h = head("GET / HTTP/1.1\r\nHost: a\r\nCookie: SRV=s1\r\n\r\n", true);

    String out = text(HeadRewriter.request(h, lease(h)).bytes());

    assertThat(out).doesNotContainIgnoringCase("cookie").startsWith("GET / HTTP/1.1\r\nHost: a\r\n");
  }

  @Test
  void theClientGetsTheAnswerWithOurCookieInsertedAndNotCachedByASharedCache() {
    HttpHead req = head("GET / HTTP/1.1\r\nHost: a\r\n\r\n", true);
    Lease lease = lease(req);
    HttpHead h = head("HTTP/1.0 200 Fine Thanks\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n"
        + "Connection: keep-alive\r\nSet-Cookie: cart=7; Path=/\r\nETag: \"x\"\r\nUpgrade: h2c\r\n\r\n", false);

    HeadRewriter.ToClient out = HeadRewriter.response(h, lease, false, null);

    assertThat(text(out.bytes())).isEqualTo("HTTP/1.1 200 Fine Thanks\r\nTransfer-Encoding: chunked\r\n"
        + "ETag: \"x\"\r\nset-cookie: cart=7; Path=/\r\nset-cookie: SRV=" + lease.server().name() + "; path=/\r\n"
        + "cache-control: private\r\nX-Served-By: lb\r\n\r\n");
    assertThat(out.close()).isFalse();
  }

  @Test
  void anAnswerIsWrittenIntoTheGivenBufferWhenItFitsAndIntoItsOwnOtherwise() {
    HttpHead req = head("GET / HTTP/1.1\r\nHost: a\r\n\r\n", true);
    Lease lease = lease(req);
    HttpHead h = head("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Note: çà\r\n\r\n", false);
    String expected = text(HeadRewriter.response(h, lease, false, null).bytes());
    ByteBuffer roomy = ByteBuffer.allocateDirect(8192);
    roomy.put((byte) 'x'); // left over from an earlier use: overwritten
    ByteBuffer tight = ByteBuffer.allocateDirect(expected.length() - 1);

    ByteBuffer inRoomy = HeadRewriter.response(h, lease, false, roomy).bytes();
    ByteBuffer notInTight = HeadRewriter.response(h, lease, false, tight).bytes();

    assertThat(inRoomy).isSameAs(roomy);
    assertThat(text(inRoomy)).isEqualTo(expected).startsWith("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n");
    assertThat(notInTight).isNotSameAs(tight);
    assertThat(text(notInTight)).isEqualTo(expected);
  }

  @Test
  void anAnswerReadIntoTheHeadOfTheOneBeforeKeepsNothingOfIt() {
    HttpHead reused = new HttpHead();
    ByteBuffer first = ByteBuffer.wrap(("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
        + "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Long: " + "y".repeat(300) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
    ByteBuffer second = ByteBuffer.wrap("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc".getBytes(StandardCharsets.ISO_8859_1));

    HttpHead h1 = HttpHead.parse(first, HttpHead.end(first, 0), false, reused);
    assertThat(h1.chunked).isTrue();
    HttpHead h2 = HttpHead.parse(second, HttpHead.end(second, 0), false, reused);

    assertThat(h2).isSameAs(reused);
    assertThat(h2.status).isEqualTo(200);
    assertThat(h2.fields).isEqualTo(1);
    assertThat(h2.contentLength).isEqualTo(3);
    assertThat(h2.chunked).isFalse();
    assertThat(h2.close).isFalse();
    assertThat(h2.all("set-cookie")).isEmpty();
    assertThat(h2.get("x-long")).isNull();
    assertThat(h2.length).isEqualTo(second.limit() - 3);
  }

  @Test
  void anAnswerThatClosesSaysSoOnce() {
    Balancer closing = Balancer.create(ConfigLoader.parse("test.cfg", """
        defaults
          mode http
        frontend www
          bind :80
          option httpclose
          default_backend app
        backend app
          server s1 10.0.0.1:8080
        """).orThrow());
    HttpHead req = head("GET / HTTP/1.1\r\nHost: a\r\n\r\n", true);
    Lease lease = ((Decision.Forward) closing.decide("www", view(req))).lease();
    HttpHead h = head("HTTP/1.1 204\r\nConnection: keep-alive\r\nX-Kept: yes\r\n\r\n", false);

    HeadRewriter.ToClient out = HeadRewriter.response(h, lease, false, null);

    assertThat(text(out.bytes())).isEqualTo("HTTP/1.1 204 \r\nX-Kept: yes\r\nConnection: close\r\n\r\n");
    assertThat(out.close()).isTrue();
  }

  @Test
  void fieldsAreReadInAnyCaseAndValuesOnlyWhenAsked() {
    HttpHead h = head("POST /x HTTP/1.1\r\nhOsT: a\r\ncontent-LENGTH: 12\r\nCONNECTION: Upgrade , Close\r\n"
        + "X-Two: 1\r\nx-two: 2\r\n\r\n", true);

    assertThat(h.host).isTrue();
    assertThat(h.contentLength).isEqualTo(12);
    assertThat(h.close).isTrue();
    assertThat(h.upgrade).isTrue();
    assertThat(h.get("Host")).isEqualTo("a");
    assertThat(h.all("X-TWO")).containsExactly("1", "2");
    assertThat(h.get("x-three")).isNull();
    assertThat(head("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", true)).isNull();
    assertThat(head("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", true)).isNull();
  }

  private static HttpHead head(String text, boolean request) {
    ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1));
    return HttpHead.parse(b, HttpHead.end(b, 0), request);
  }

  private Lease lease(HttpHead h) {
    return ((Decision.Forward) balancer.decide("www", view(h))).lease();
  }

  private static HeadView view(HttpHead h) {
    return new HeadView(h) {
      @Override
      public String clientAddress() {
        return "192.0.2.7";
      }
    };
  }

  private static String text(ByteBuffer b) {
    return StandardCharsets.ISO_8859_1.decode(b.duplicate()).toString();
  }
}
