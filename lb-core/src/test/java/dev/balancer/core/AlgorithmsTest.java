package dev.balancer.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Each algorithm and server state, on lb-core alone (no sockets). */
class AlgorithmsTest {

  private static final RequestView GET = RequestView.of("GET", "/");

  private static Balancer balancer(String backendLines) {
    return Balancer.create(TestConfigs.app(backendLines), new SplittableRandom(42));
  }

  private static String pick(Balancer b, RequestView r) {
    Decision d = b.decide("www", r);
    if (d instanceof Decision.Forward f) {
      f.lease().release();
      return f.lease().server().name();
    }
    return "503";
  }

  private static List<String> picks(Balancer b, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(pick(b, GET));
    }
    return out;
  }

  @Test
  void staticRoundRobinWalksHaproxysStaticMap() {
    Balancer b = balancer("""
          balance static-rr
          server s1 127.0.0.1:1 weight 1
          server s2 127.0.0.1:2 weight 2
          server s3 127.0.0.1:3 weight 3
        """);

    assertThat(picks(b, 12)).containsExactly("s1", "s3", "s2", "s3", "s2", "s3", "s1", "s3", "s2", "s3", "s2", "s3");
  }

  @Test
  void leastconnPrefersTheLeastLoadedAndIdleServersTakeTurns() {
    Balancer b = balancer("""
          balance leastconn
          server s1 127.0.0.1:1
          server s2 127.0.0.1:2
        """);

    assertThat(picks(b, 4)).containsExactly("s1", "s2", "s1", "s2");
    Decision.Forward busy = (Decision.Forward) b.decide("www", GET);
    assertThat(busy.lease().server().name()).isEqualTo("s1");
    assertThat(picks(b, 3)).containsOnly("s2");
    busy.lease().release();
  }

  @Test
  void leastconnWeighsLoadByWeight() {
    Balancer b = balancer("""
          balance leastconn
          server s1 127.0.0.1:1 weight 1
          server s2 127.0.0.1:2 weight 3
        """);
    List<Decision.Forward> held = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      held.add((Decision.Forward) b.decide("www", GET));
    }

    assertThat(b.server("app", "s1").orElseThrow().inFlight()).isEqualTo(2);
    assertThat(b.server("app", "s2").orElseThrow().inFlight()).isEqualTo(6);
    held.forEach(f -> f.lease().release());
  }

  @Test
  void firstFillsTheLowestIdAndIgnoresWeights() {
    Balancer b = balancer("""
          balance first
          server s1 127.0.0.1:1 id 3 weight 10
          server s2 127.0.0.1:2 id 1
          server s3 127.0.0.1:3 id 2
        """);

    assertThat(picks(b, 3)).containsOnly("s2");
    b.server("app", "s2").orElseThrow().setAdminState(AdminState.MAINT);
    assertThat(picks(b, 3)).containsOnly("s3");
  }

  @Test
  void randomSpreadsByWeightAndPrefersTheLessLoadedDraw() {
    Balancer b = balancer("""
          balance random
          server s1 127.0.0.1:1 weight 1
          server s2 127.0.0.1:2 weight 3
        """);
    Map<String, Integer> counts = new HashMap<>();
    for (String s : picks(b, 4000)) {
      counts.merge(s, 1, Integer::sum);
    }

    // each pick is released at once, so loads tie and the first draw wins: weight proportions
    assertThat(counts.get("s2")).isBetween(2700, 3300);
    Decision.Forward busy = null;
    for (int i = 0; i < 50; i++) {
      Decision.Forward f = (Decision.Forward) b.decide("www", GET);
      if (f.lease().server().name().equals("s2")) {
        busy = f;
        break;
      }
      f.lease().release();
    }
    assertThat(busy).isNotNull();
    // s2 now has 1 in flight with weight 3, s1 none: s1 wins every draw that sees both
    Map<String, Integer> loaded = new HashMap<>();
    for (String s : picks(b, 2000)) {
      loaded.merge(s, 1, Integer::sum);
    }
    assertThat(loaded.get("s1")).isGreaterThan(counts.get("s1") / 2);
    busy.lease().release();
  }

  @Test
  void consistentHashingMovesOnlyTheKeysOfTheServerThatLeft() {
    Balancer b = balancer("""
          balance uri
          hash-type consistent
          server s1 127.0.0.1:1
          server s2 127.0.0.1:2
          server s3 127.0.0.1:3
          server s4 127.0.0.1:4
        """);
    Map<String, String> before = new HashMap<>();
    for (int i = 0; i < 1000; i++) {
      before.put("/k" + i, pick(b, RequestView.of("GET", "/k" + i)));
    }

    b.server("app", "s3").orElseThrow().setHealth(Health.DOWN);

    int moved = 0;
    for (Map.Entry<String, String> e : before.entrySet()) {
      String now = pick(b, RequestView.of("GET", e.getKey()));
      if (!e.getValue().equals("s3")) {
        assertThat(now).as(e.getKey()).isEqualTo(e.getValue());
      } else {
        assertThat(now).isNotEqualTo("s3");
        moved++;
      }
    }
    assertThat(moved).isBetween(150, 350);
  }

  @Test
  void mapBasedHashingMatchesHaproxysVerifiedKeys() {
    Balancer uri = balancer("  balance uri\n  server s1 127.0.0.1:1\n  server s2 127.0.0.1:2\n  server s3 127.0.0.1:3\n");
    Balancer param = balancer("  balance url_param uid\n  server s1 127.0.0.1:1\n  server s2 127.0.0.1:2\n  server s3 127.0.0.1:3\n");
    Balancer source = balancer("  balance source\n  server s1 127.0.0.1:1\n  server s2 127.0.0.1:2\n  server s3 127.0.0.1:3\n");

    assertThat(pick(uri, RequestView.of("GET", "/a"))).isEqualTo("s1");
    assertThat(pick(uri, RequestView.of("GET", "/b"))).isEqualTo("s2");
    assertThat(pick(uri, RequestView.of("GET", "/c"))).isEqualTo("s3");
    assertThat(pick(param, RequestView.of("127.0.0.1", "GET", "/?uid=1", Map.of()))).isEqualTo("s2");
    assertThat(pick(source, RequestView.of("127.0.0.1", "GET", "/", Map.of()))).isEqualTo("s3");
  }

  @Test
  void missingHashKeyFallsBackToRoundRobinOnTheMap() {
    Balancer b = balancer("  balance url_param uid\n  server s1 127.0.0.1:1\n  server s2 127.0.0.1:2\n");

    assertThat(picks(b, 4)).containsExactly("s1", "s2", "s1", "s2");
  }

  @Test
  void backupsTakeOverOnlyWhenNoActiveServerIsUsableAndOnlyTheFirstOne() {
    Balancer b = balancer("""
          server a1 127.0.0.1:1
          server a2 127.0.0.1:2 weight 0
          server b1 127.0.0.1:3 backup
          server b2 127.0.0.1:4 backup
        """);

    assertThat(picks(b, 3)).containsOnly("a1");
    b.server("app", "a1").orElseThrow().setHealth(Health.DOWN);
    assertThat(picks(b, 4)).containsOnly("b1");
    b.server("app", "b1").orElseThrow().setAdminState(AdminState.MAINT);
    assertThat(picks(b, 2)).containsOnly("b2");
    b.server("app", "a1").orElseThrow().setHealth(Health.UP);
    assertThat(picks(b, 2)).containsOnly("a1");
  }

  @Test
  void staticMapsKeepHaproxysBackupQuirkEveryUsableBackupCompetesForTheFirstBackupsSlots() {
    // verified on HAProxy 2.6.12: backups b1 and b2 at weight 2, no allbackups, static-rr alternates
    Balancer b = balancer("""
          balance static-rr
          server a1 127.0.0.1:1 disabled
          server b1 127.0.0.1:3 backup weight 2
          server b2 127.0.0.1:4 backup weight 2
        """);

    assertThat(picks(b, 4)).containsExactly("b1", "b2", "b1", "b2");
  }

  @Test
  void leastconnChoosesAFullServerWithRoomInItsQueue() {
    Balancer b = balancer("""
          balance leastconn
          server s1 127.0.0.1:1 maxconn 1 maxqueue 2
        """);
    Decision.Forward busy = (Decision.Forward) b.decide("www", GET);

    java.util.concurrent.CompletableFuture<Decision> second = b.decideAsync("www", GET);
    java.util.concurrent.CompletableFuture<Decision> third = b.decideAsync("www", GET);
    java.util.concurrent.CompletableFuture<Decision> fourth = b.decideAsync("www", GET);

    // two wait in s1's own queue; with no room left there, the fourth waits in the backend queue
    assertThat(second).isNotDone();
    assertThat(third).isNotDone();
    assertThat(fourth).isNotDone();
    assertThat(b.queued("app")).isEqualTo(3);
    busy.lease().release();
    assertThat(((Decision.Forward) second.getNow(null)).lease().server().name()).isEqualTo("s1");
    assertThat(third).isNotDone();
  }

  @Test
  void headerHashingTakesTheFirstElementCommasInQuotesNotCounting() {
    assertThat(HashKeys.firstElement("\"a,b\", c")).isEqualTo("\"a,b\"");
    assertThat(HashKeys.firstElement("x, y")).isEqualTo("x");
  }

  @Test
  void allbackupsBalancesOverEveryBackup() {
    Balancer b = balancer("""
          option allbackups
          server a1 127.0.0.1:1 disabled
          server b1 127.0.0.1:3 backup
          server b2 127.0.0.1:4 backup weight 2
        """);

    assertThat(picks(b, 6)).containsExactlyInAnyOrder("b1", "b2", "b2", "b1", "b2", "b2");
  }

  @Test
  void everyActiveAtWeightZeroSendsTrafficToTheBackups() {
    Balancer b = balancer("  server a1 127.0.0.1:1 weight 0\n  server b1 127.0.0.1:3 backup\n");

    assertThat(picks(b, 2)).containsOnly("b1");
  }

  @Test
  void statesFollowHaproxysTableForBalancedAndPersistentTraffic() {
    Balancer b = balancer("  server s 127.0.0.1:1\n  server other 127.0.0.1:2\n");
    BackendServer s = b.server("app", "s").orElseThrow();

    record Case(AdminState admin, Health health, int weight, boolean balanced, boolean persistent) {}
    List<Case> table = List.of(
        new Case(AdminState.READY, Health.UP, 1, true, true),
        new Case(AdminState.READY, Health.GOING_DOWN, 1, true, true),
        new Case(AdminState.READY, Health.NOLB, 1, false, true),
        new Case(AdminState.READY, Health.GOING_UP, 1, false, false),
        new Case(AdminState.READY, Health.DOWN, 1, false, false),
        new Case(AdminState.DRAIN, Health.UP, 1, false, true),
        new Case(AdminState.MAINT, Health.UP, 1, false, false),
        new Case(AdminState.READY, Health.UP, 0, false, true));
    for (Case c : table) {
      s.setAdminState(c.admin());
      s.setHealth(c.health());
      s.setWeight(c.weight());

      assertThat(s.takesNewRequests()).as(c.toString()).isEqualTo(c.balanced());
      assertThat(s.takesPersistentRequests(false)).as(c.toString()).isEqualTo(c.persistent());
      assertThat(s.takesPersistentRequests(true)).as("option persist " + c).isTrue();
      assertThat(picks(b, 4).contains("s")).as(c.toString()).isEqualTo(c.balanced());
    }
  }

  @Test
  void runtimeWeightChangeIsSeenByTheNextPick() {
    Balancer b = balancer("  server s1 127.0.0.1:1\n  server s2 127.0.0.1:2\n");

    b.server("app", "s1").orElseThrow().setWeight(0);

    assertThat(picks(b, 3)).containsOnly("s2");
  }
}
