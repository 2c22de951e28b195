package dev.balancer.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Cookie persistence, with the Set-Cookie texts verified on HAProxy 2.6.12 (reference §6). */
class PersistenceTest {

  private static Balancer balancer(String cookieLine, String extra) {
    return Balancer.create(TestConfigs.app("""
          %s
        %s
          server s1 127.0.0.1:1 cookie c1
          server s2 127.0.0.1:2 cookie c2
          server s3 127.0.0.1:3
        """.formatted(cookieLine, extra)));
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
    assertThat(l.setCookie()).contains("SRV=c1; path=/");
  }

  @Test
  void attributesAreWrittenInHaproxysOrder() {
    Balancer b = balancer("cookie SRV insert domain .example.com httponly secure attr SameSite=Lax", "");

    assertThat(send(b, "GET", null).setCookie())
        .contains("SRV=c1; path=/; domain=.example.com; HttpOnly; Secure; SameSite=Lax");
  }

  @Test
  void aValidCookieStaysOnItsServerWithoutANewSetCookie() {
    Balancer b = balancer("cookie SRV insert indirect", "");

    for (int i = 0; i < 3; i++) {
      Lease l = send(b, "GET", "a=1; SRV=c2; b=2");
      assertThat(l.server().name()).isEqualTo("s2");
      assertThat(l.setCookie()).isEmpty();
      assertThat(l.stripCookie()).contains("SRV");
    }
  }

  @Test
  void anUnknownValueIsRebalancedWithANewCookie() {
    Balancer b = balancer("cookie SRV insert", "");

    Lease l = send(b, "GET", "SRV=nope");

    assertThat(l.setCookie()).contains("SRV=" + l.server().config().settings().cookie().orElseThrow() + "; path=/");
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
    assertThat(moved.setCookie()).isPresent();
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
    assertThat(l.setCookie()).contains("SRV=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/");
  }

  @Test
  void postonlySetsTheCookieOnPostsOnly() {
    Balancer b = balancer("cookie SRV insert postonly", "");

    assertThat(send(b, "GET", null).setCookie()).isEqualTo(Optional.empty());
    assertThat(send(b, "POST", null).setCookie()).isPresent();
  }
}
