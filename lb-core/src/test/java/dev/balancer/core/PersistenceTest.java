package dev.balancer.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Cookie persistence, with the Set-Cookie texts verified on HAProxy 2.6.12 (reference §6). */
class PersistenceTest {

  private final ManualScheduler clock = new ManualScheduler();

  private Balancer balancer(String cookieLine, String extra) {
    return Balancer.create(TestConfigs.app("""
          %s
        %s
          server s1 127.0.0.1:1 cookie c1
          server s2 127.0.0.1:2 cookie c2
          server s3 127.0.0.1:3
        """.formatted(cookieLine, extra)), new java.util.SplittableRandom(1), clock);
  }

  /** The Set-Cookie we add when the server sets none. */
  private static Optional<String> setCookie(Lease l) {
    List<String> out = l.responseCookies(List.of());
    return out.isEmpty() ? Optional.empty() : Optional.of(out.get(out.size() - 1));
  }

  private static Lease send(Balancer b, String method, String cookieHeader) {
    Map<String, String> headers = cookieHeader == null ? Map.of() : Map.of("Cookie", cookieHeader);
    Decision.Forward f = (Decision.Forward) b.decide("www", RequestView.of("127.0.0.1", method, "/", headers));
    f.lease().release();
    return f.lease();
  }

  @Test
  void aNewClientGetsTheCookieOfItsServer() {
    Balancer b = balancer("cookie SRV insert", "");

    Lease l = send(b, "GET", null);

    assertThat(l.server().name()).isEqualTo("s1");
    assertThat(setCookie(l)).contains("SRV=c1; path=/");
  }

  @Test
  void attributesAreWrittenInHaproxysOrder() {
    Balancer b = balancer("cookie SRV insert domain .example.com httponly secure attr SameSite=Lax", "");

    assertThat(setCookie(send(b, "GET", null)))
        .contains("SRV=c1; path=/; domain=.example.com; HttpOnly; Secure; SameSite=Lax");
  }

  @Test
  void aValidCookieStaysOnItsServerWithoutANewSetCookie() {
    Balancer b = balancer("cookie SRV insert indirect", "");

    for (int i = 0; i < 3; i++) {
      Lease l = send(b, "GET", "a=1; SRV=c2; b=2");
      assertThat(l.server().name()).isEqualTo("s2");
      assertThat(setCookie(l)).isEmpty();
      assertThat(l.forwardCookie("a=1; SRV=c2; b=2")).isEqualTo("a=1; b=2");
    }
  }

  @Test
  void anUnknownValueIsRebalancedWithANewCookie() {
    Balancer b = balancer("cookie SRV insert", "");

    Lease l = send(b, "GET", "SRV=nope");

    assertThat(setCookie(l)).contains("SRV=" + l.server().config().settings().cookie().orElseThrow() + "; path=/");
  }

  @Test
  void drainWeightZeroAndBackupKeepTheirClientsDownAndMaintLoseThem() {
    Balancer b = balancer("cookie SRV insert", "");
    BackendServer s2 = b.server("app", "s2").orElseThrow();

    s2.setAdminState(AdminState.DRAIN);
    assertThat(send(b, "GET", "SRV=c2").server()).isSameAs(s2);
    s2.setAdminState(AdminState.READY);
    s2.setWeight(0);
    assertThat(send(b, "GET", "SRV=c2").server()).isSameAs(s2);
    s2.setWeight(1);
    s2.setHealth(Health.DOWN);
    assertThat(send(b, "GET", "SRV=c2").server()).isNotSameAs(s2);
    s2.setHealth(Health.UP);
    s2.setAdminState(AdminState.MAINT);
    Lease moved = send(b, "GET", "SRV=c2");
    assertThat(moved.server()).isNotSameAs(s2);
    assertThat(setCookie(moved)).isPresent();
  }

  @Test
  void optionPersistKeepsClientsOnAServerInMaintenance() {
    Balancer b = balancer("cookie SRV insert", "  option persist");
    b.server("app", "s2").orElseThrow().setAdminState(AdminState.MAINT);

    assertThat(send(b, "GET", "SRV=c2").server().name()).isEqualTo("s2");
  }

  @Test
  void aServerWithoutCookieValueExpiresTheClientsCookie() {
    Balancer b = balancer("cookie SRV insert", "");
    b.server("app", "s1").orElseThrow().setAdminState(AdminState.MAINT);
    b.server("app", "s2").orElseThrow().setAdminState(AdminState.MAINT);

    Lease l = send(b, "GET", "SRV=c1");

    assertThat(l.server().name()).isEqualTo("s3");
    assertThat(setCookie(l)).contains("SRV=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/");
  }

  @Test
  void postonlySetsTheCookieOnPostsOnly() {
    Balancer b = balancer("cookie SRV insert postonly", "");

    assertThat(setCookie(send(b, "GET", null))).isEqualTo(Optional.empty());
    assertThat(setCookie(send(b, "POST", null))).isPresent();
  }

  @Test
  void insertRemovesTheServersOwnCookieOfThatNameAndPreserveKeepsIt() {
    Lease fresh = send(balancer("cookie SRV insert", ""), "GET", null);
    assertThat(fresh.responseCookies(List.of("SRV=zzz", "X=1"))).containsExactly("X=1", "SRV=c1; path=/");

    Balancer preserving = balancer("cookie SRV insert preserve", "");
    assertThat(send(preserving, "GET", null).responseCookies(List.of("SRV=zzz"))).containsExactly("SRV=zzz");
    assertThat(send(preserving, "GET", null).responseCookies(List.of("X=1"))).containsExactly("X=1", "SRV=c2; path=/");
    Lease indirect = send(balancer("cookie SRV insert indirect preserve", ""), "GET", "SRV=c1");
    assertThat(indirect.responseCookies(List.of("SRV=zzz"))).containsExactly("SRV=zzz");
    assertThat(indirect.forwardCookie("SRV=c1")).isEmpty();
  }

  @Test
  void rewriteReplacesTheValueTheServerSetsAndKeepsItsAttributes() {
    Balancer b = balancer("cookie SRV rewrite", "");

    Lease l = send(b, "GET", null);
    assertThat(l.responseCookies(List.of("SRV=zzz; Path=/x"))).containsExactly("SRV=c1; Path=/x");
    assertThat(l.responseCookies(List.of())).isEmpty();
    Lease back = send(b, "GET", "a=1; SRV=c2; b=2");
    assertThat(back.server().name()).isEqualTo("s2");
    assertThat(back.forwardCookie("a=1; SRV=c2; b=2")).isEqualTo("a=1; SRV=c2; b=2");
    assertThat(back.responseCookies(List.of("SRV=zzz"))).containsExactly("SRV=c2");
  }

  @Test
  void prefixPrependsTheServerAndTheServerNeverSeesIt() {
    Balancer b = balancer("cookie JSESSIONID prefix", "");

    Lease l = send(b, "GET", null);
    assertThat(l.responseCookies(List.of("JSESSIONID=abc; Path=/"))).containsExactly("JSESSIONID=c1~abc; Path=/");
    assertThat(l.responseCookies(List.of("JSESSIONID=abc", "JSESSIONID=def")))
        .containsExactly("JSESSIONID=c1~abc", "JSESSIONID=c1~def");
    Lease back = send(b, "GET", "a=1; JSESSIONID=c2~abc; b=2");
    assertThat(back.server().name()).isEqualTo("s2");
    assertThat(back.forwardCookie("a=1; JSESSIONID=c2~abc; b=2")).isEqualTo("a=1; JSESSIONID=abc; b=2");
    assertThat(back.responseCookies(List.of("JSESSIONID=new"))).containsExactly("JSESSIONID=c2~new");
    // an unknown prefix is removed too; a value without one passes as it is
    assertThat(send(b, "GET", "JSESSIONID=zz~abc").forwardCookie("JSESSIONID=zz~abc")).isEqualTo("JSESSIONID=abc");
    assertThat(send(b, "GET", "JSESSIONID=abc").forwardCookie("JSESSIONID=abc")).isEqualTo("JSESSIONID=abc");
  }

  @Test
  void cookieDatesAreHaproxysBase64OfSecondsOverFour() {
    // seen on HAProxy 2.6.12: at 1795672041 s it wrote "awfH7"
    assertThat(Persistence.encode(1_795_672_041L)).isEqualTo("awfH7");
    assertThat(Persistence.decode("awfH7")).isEqualTo(1_795_672_044L);
    assertThat(Persistence.decode("nope")).isZero();
  }

  @Test
  void maxidleAndMaxlifeDateTheCookieRefreshItAndExpireIt() {
    Balancer b = balancer("cookie SRV insert maxidle 1h maxlife 1d", "");
    String start = Persistence.encode(clock.epochSeconds());

    assertThat(setCookie(send(b, "GET", null))).contains("SRV=c1|" + start + "|" + start + "; path=/");

    clock.advance(Duration.ofMinutes(30));
    String now = Persistence.encode(clock.epochSeconds());
    Lease kept = send(b, "GET", "SRV=c2|" + start + "|" + start);
    assertThat(kept.server().name()).isEqualTo("s2");
    assertThat(setCookie(kept)).contains("SRV=c2|" + now + "|" + start + "; path=/");
    // a cookie seen in this same 4-second slot needs no refresh
    assertThat(setCookie(send(b, "GET", "SRV=c2|" + now + "|" + start))).isEmpty();
    // without dates: accepted, and dated
    assertThat(setCookie(send(b, "GET", "SRV=c2"))).contains("SRV=c2|" + now + "|" + now + "; path=/");

    clock.advance(Duration.ofHours(2));
    String later = Persistence.encode(clock.epochSeconds());
    Lease idle = send(b, "GET", "SRV=c1|" + now + "|" + now);
    assertThat(setCookie(idle)).contains("SRV=" + idle.server().config().settings().cookie().orElseThrow()
        + "|" + later + "|" + later + "; path=/");
  }

  @Test
  void anExpiredCookieIsRebalancedAndAFarFutureDateIsNotTrusted() {
    Balancer b = balancer("cookie SRV insert maxidle 1h maxlife 1d", "");
    String now = Persistence.encode(clock.epochSeconds());
    String old = Persistence.encode(clock.epochSeconds() - 2 * 86_400);
    String future = Persistence.encode(clock.epochSeconds() + 2 * 86_400);

    // round robin goes s1, s2, s3: a trusted cookie would keep s2 every time
    List<String> chosen = List.of(send(b, "GET", "SRV=c2|" + now + "|" + old), send(b, "GET", "SRV=c2|" + future + "|" + now),
        send(b, "GET", "SRV=c2|" + now + "|" + old)).stream().map(l -> l.server().name()).toList();
    assertThat(chosen).containsExactly("s1", "s2", "s3");
  }

  @Test
  void maxidleAloneWritesOneDateAndIndirectHidesTheCookie() {
    Balancer b = balancer("cookie SRV insert indirect maxidle 1h", "");
    clock.advance(Duration.ofMinutes(30));
    String before = Persistence.encode(clock.epochSeconds() - 1800);
    String now = Persistence.encode(clock.epochSeconds());

    Lease l = send(b, "GET", "a=1; SRV=c2|" + before + "; b=2");

    assertThat(l.server().name()).isEqualTo("s2");
    assertThat(setCookie(l)).contains("SRV=c2|" + now + "; path=/");
    assertThat(l.forwardCookie("a=1; SRV=c2|" + before + "; b=2")).isEqualTo("a=1; b=2");
  }
}
