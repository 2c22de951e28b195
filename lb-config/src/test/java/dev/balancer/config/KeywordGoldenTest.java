package dev.balancer.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.balancer.config.model.Acl;
import dev.balancer.config.model.Backend;
import dev.balancer.config.model.Balance;
import dev.balancer.config.model.Condition;
import dev.balancer.config.model.Config;
import dev.balancer.config.model.CookieSettings;
import dev.balancer.config.model.ForwardFor;
import dev.balancer.config.model.Frontend;
import dev.balancer.config.model.HashType;
import dev.balancer.config.model.HttpAction;
import dev.balancer.config.model.HttpCheck;
import dev.balancer.config.model.HttpRule;
import dev.balancer.config.model.Server;
import dev.balancer.config.model.ServerSettings;
import dev.balancer.config.model.StatsSettings;
import dev.balancer.config.model.TimeoutKind;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** For each keyword: the snippet, the model it yields, and HAProxy's default when it is omitted. */
class KeywordGoldenTest {

  private static final String HEAD = "defaults\n  mode http\n";

  private static Config parse(String text) {
    return ConfigLoader.parse("g.cfg", HEAD + text).orThrow();
  }

  private static Backend backend(String lines) {
    return parse("backend be\n" + lines + "  server s 127.0.0.1:80\n").backend("be").orElseThrow();
  }

  private static Frontend frontend(String lines) {
    return parse("frontend fe\n  bind :80\n" + lines).frontend("fe").orElseThrow();
  }

  @Test
  void balanceDefaultsToRoundRobinAndTypesEveryAlgorithm() {
    assertThat(backend("").balance()).isEqualTo(Balance.ROUND_ROBIN);
    assertThat(backend("  balance static-rr\n").balance().algorithm()).isEqualTo(Balance.Algorithm.STATIC_RR);
    assertThat(backend("  balance uri len 10 depth 2 whole path-only\n").balance())
        .isEqualTo(new Balance(Balance.Algorithm.URI, Optional.empty(), 10, 2, true, true, false, false, 2));
    assertThat(backend("  balance url_param uid check_post\n").balance())
        .isEqualTo(new Balance(Balance.Algorithm.URL_PARAM, Optional.of("uid"), 0, 0, false, false, false, true, 2));
    assertThat(backend("  balance hdr(Host) use_domain_only\n").balance())
        .isEqualTo(new Balance(Balance.Algorithm.HDR, Optional.of("Host"), 0, 0, false, false, true, false, 2));
    assertThat(backend("  balance random\n").balance().randomDraws()).isEqualTo(2);
    assertThat(backend("  balance random(5)\n").balance().randomDraws()).isEqualTo(5);
    assertThat(backend("  balance rdp-cookie\n").balance().parameter()).contains("mstshash");
  }

  @Test
  void hashTypeDefaultsToMapBasedSdbm() {
    assertThat(backend("").hashType()).isEqualTo(HashType.DEFAULT);
    assertThat(backend("  hash-type consistent wt6 avalanche\n").hashType())
        .isEqualTo(new HashType(HashType.Method.CONSISTENT, HashType.Function.WT6, true));
  }

  @Test
  void timeoutsTakeEveryUnitAndBareNumbersAreMilliseconds() {
    Backend be = backend("""
          timeout connect 500
          timeout server 1500us
          timeout queue 2s
          timeout check 3m
          timeout tunnel 1h
          timeout server-fin 1d
        """);

    assertThat(be.timeouts().values()).isEqualTo(Map.of(
        TimeoutKind.CONNECT, Duration.ofMillis(500),
        TimeoutKind.SERVER, Duration.ofNanos(1_500_000),
        TimeoutKind.QUEUE, Duration.ofSeconds(2),
        TimeoutKind.CHECK, Duration.ofMinutes(3),
        TimeoutKind.TUNNEL, Duration.ofHours(1),
        TimeoutKind.SERVER_FIN, Duration.ofDays(1)));
    assertThat(backend("").timeouts().values()).isEmpty();
  }

  @Test
  void retriesDefaultToThree() {
    assertThat(backend("").retries()).isEqualTo(3);
    assertThat(backend("  retries 1\n").retries()).isEqualTo(1);
  }

  @Test
  void serverOptionsAreTypedAndDefaultsAreHaproxys() {
    assertThat(backend("").servers().get(0).settings()).isEqualTo(ServerSettings.DEFAULTS);
    assertThat(ServerSettings.DEFAULTS.inter()).isEqualTo(Duration.ofSeconds(2));
    assertThat(ServerSettings.DEFAULTS.rise()).isEqualTo(2);
    assertThat(ServerSettings.DEFAULTS.fall()).isEqualTo(3);
    assertThat(ServerSettings.DEFAULTS.weight()).isEqualTo(1);
    assertThat(ServerSettings.DEFAULTS.initAddr()).containsExactly("last", "libc");

    Server s = parse("""
        backend be
          server web 10.0.0.1:8080 check inter 1s fastinter 200ms downinter 5s rise 4 fall 5 weight 7 backup disabled maxconn 100 maxqueue 10 slowstart 30s cookie w1 id 9 observe layer7 error-limit 4 on-error sudden-death on-marked-down shutdown-sessions port 9000 addr 10.0.0.2 agent-check agent-port 7777 init-addr last,none
        """).backend("be").orElseThrow().servers().get(0);

    assertThat(s.host()).isEqualTo("10.0.0.1");
    assertThat(s.port()).isEqualTo(8080);
    assertThat(s.id()).isEqualTo(9);
    ServerSettings o = s.settings();
    assertThat(o.check()).isTrue();
    assertThat(o.inter()).isEqualTo(Duration.ofSeconds(1));
    assertThat(o.effectiveFastinter()).isEqualTo(Duration.ofMillis(200));
    assertThat(o.effectiveDowninter()).isEqualTo(Duration.ofSeconds(5));
    assertThat(o.rise()).isEqualTo(4);
    assertThat(o.fall()).isEqualTo(5);
    assertThat(o.weight()).isEqualTo(7);
    assertThat(o.backup()).isTrue();
    assertThat(o.disabled()).isTrue();
    assertThat(o.maxconn()).isEqualTo(100);
    assertThat(o.maxqueue()).isEqualTo(10);
    assertThat(o.slowstart()).contains(Duration.ofSeconds(30));
    assertThat(o.cookie()).contains("w1");
    assertThat(o.observe()).contains(ServerSettings.Observe.LAYER7);
    assertThat(o.errorLimit()).isEqualTo(4);
    assertThat(o.onError()).isEqualTo(ServerSettings.OnError.SUDDEN_DEATH);
    assertThat(o.shutdownSessionsOnDown()).isTrue();
    assertThat(o.checkPort()).isEqualTo(OptionalInt.of(9000));
    assertThat(o.checkAddr()).contains("10.0.0.2");
    assertThat(o.agentCheck()).isTrue();
    assertThat(o.agentPort()).isEqualTo(OptionalInt.of(7777));
    assertThat(o.initAddr()).containsExactly("last", "none");
  }

  @Test
  void defaultServerAppliesToTheServersThatFollowAndBackendOneOverridesInherited() {
    Backend be = parse("""
        defaults
          mode http
          default-server inter 5s weight 3
        backend be
          server a 127.0.0.1:1
          default-server weight 9
          server b 127.0.0.1:2
          server c 127.0.0.1:3 weight 1
        """).backend("be").orElseThrow();

    assertThat(be.servers()).extracting(Server::weight).containsExactly(3, 9, 1);
    assertThat(be.servers()).extracting(s -> s.settings().inter()).containsOnly(Duration.ofSeconds(5));
  }

  @Test
  void serverIdsFollowPositionAndSkipExplicitOnes() {
    Backend be = backend("  server a 127.0.0.1:1 id 2\n  server b 127.0.0.1:2\n");
    Backend quirk = parse("backend be\n  server s1 127.0.0.1:1\n  server s2 127.0.0.1:2 id 1\n  server s3 127.0.0.1:3\n")
        .backend("be").orElseThrow();

    assertThat(be.servers()).extracting(Server::id).containsExactly(2, 3, 4);
    // HAProxy's counter advances past explicit ids too: s3 gets 4, not 3
    assertThat(quirk.servers()).extracting(Server::id).containsExactly(2, 1, 4);
  }

  @Test
  void serverTemplateExpandsIntoNumberedServers() {
    Backend be = parse("backend be\n  server-template web 3 10.0.0.1:80 check\n  server-template api 5-6 10.0.0.2:81\n")
        .backend("be").orElseThrow();

    assertThat(be.servers()).extracting(Server::name).containsExactly("web1", "web2", "web3", "api5", "api6");
    assertThat(be.servers().get(0).check()).isTrue();
    assertThat(be.servers().get(4).port()).isEqualTo(81);
  }

  @Test
  void ipv6AddressesInEveryForm() {
    Backend be = parse("backend be\n  server a [::1]:81\n  server b ipv6@::1:82\n  server c ::1:83\n")
        .backend("be").orElseThrow();

    assertThat(be.servers()).extracting(Server::host).containsOnly("::1");
    assertThat(be.servers()).extracting(Server::port).containsExactly(81, 82, 83);
    assertThat(parse("frontend fe\n  bind :::8080\n").frontend("fe").orElseThrow().binds().get(0).host()).isEqualTo("::");
  }

  @Test
  void cookieIsTypedAndAbsentByDefault() {
    assertThat(backend("").cookie()).isEmpty();
    CookieSettings c = backend("  cookie SRV insert indirect nocache httponly secure domain .a.com domain .b.com maxidle 30m maxlife 8 attr SameSite=Lax\n")
        .cookie().orElseThrow();

    assertThat(c.name()).isEqualTo("SRV");
    assertThat(c.mode()).isEqualTo(CookieSettings.Mode.INSERT);
    assertThat(c.indirect() && c.nocache() && c.httponly() && c.secure()).isTrue();
    assertThat(c.domains()).containsExactly(".a.com", ".b.com");
    assertThat(c.maxidle()).contains(Duration.ofMinutes(30));
    assertThat(c.maxlife()).contains(Duration.ofSeconds(8));
    assertThat(c.attributes()).containsExactly("SameSite=Lax");
    assertThat(backend("  cookie SRV\n").cookie().orElseThrow().mode()).isEqualTo(CookieSettings.Mode.REWRITE);
  }

  @Test
  void optionsAreTypedAndNoOptionCancelsAnInheritedOne() {
    Config config = parse("""
        defaults
          mode http
          option http-server-close
          option forwardfor except 127.0.0.0/8 header X-Real-IP if-none
          option redispatch
        backend be
          no option http-server-close
          option httpchk GET /health
          server s 127.0.0.1:1
        """);
    Backend be = config.backend("be").orElseThrow();

    assertThat(be.options().flags()).containsEntry("http-server-close", false);
    assertThat(be.options().enabled("http-server-close")).isFalse();
    assertThat(be.options().forwardFor()).contains(new ForwardFor(Optional.of("127.0.0.0/8"), "X-Real-IP", true));
    assertThat(be.options().redispatch()).contains(-1);
    assertThat(be.options().httpCheck()).contains(new HttpCheck.Request("GET", "/health", "HTTP/1.0", List.of(), Optional.empty()));
    assertThat(backend("").options().flags()).isEmpty();
  }

  @Test
  void httpCheckSendAndExpect() {
    HttpCheck hc = backend("""
          option httpchk
          http-check send meth HEAD uri /ready ver HTTP/1.1 hdr Host app.local
          http-check expect ! string degraded
          http-check disable-on-404
        """).httpCheck().orElseThrow();

    assertThat(hc.request()).isEqualTo(new HttpCheck.Request("HEAD", "/ready", "HTTP/1.1",
        List.of(new HttpCheck.Header("Host", "app.local")), Optional.empty()));
    assertThat(hc.expects()).containsExactly(new HttpCheck.Expect(true, "string", "degraded"));
    assertThat(hc.disableOn404()).isTrue();
    assertThat(backend("  option httpchk\n").httpCheck().orElseThrow().request()).isEqualTo(HttpCheck.Request.DEFAULT);
    assertThat(backend("").httpCheck()).isEmpty();
  }

  @Test
  void aclsConditionsAndUseBackendRules() {
    Frontend fe = parse("""
        frontend fe
          bind :80
          acl api path_beg -i /api /v2
          acl api hdr(host) -m end .api.com
          use_backend be if api !METH_GET || { src 10.0.0.0/8 }
          default_backend be
        backend be
          server s 127.0.0.1:1
        """).frontend("fe").orElseThrow();

    assertThat(fe.acls()).hasSize(2);
    Acl first = fe.acls().get(0);
    assertThat(first.fetch()).isEqualTo("path_beg");
    assertThat(first.flags()).containsExactly("-i");
    assertThat(first.values()).containsExactly("/api", "/v2");
    assertThat(fe.acls().get(1).fetchArgs()).containsExactly("host");
    Condition c = fe.useBackends().get(0).condition().orElseThrow();
    assertThat(c.unless()).isFalse();
    assertThat(c.alternatives()).hasSize(2);
    assertThat(c.alternatives().get(0)).containsExactly(
        new Condition.Term(false, "api", Optional.empty()), new Condition.Term(true, "METH_GET", Optional.empty()));
    assertThat(c.alternatives().get(1).get(0).anonymous().orElseThrow().fetch()).isEqualTo("src");
  }

  @Test
  void namedDefaultsRulesRunBeforeTheProxysOwn() {
    Frontend fe = parse("""
        defaults web
          mode http
          http-request set-header X-From defaults
        frontend fe from web
          bind :80
          http-request set-header X-From frontend
          http-response del-header Server
        """).frontend("fe").orElseThrow();

    assertThat(fe.httpRequestRules()).extracting(r -> r.args().get(1)).containsExactly("defaults", "frontend");
    assertThat(fe.httpResponseRules()).singleElement()
        .isEqualTo(new HttpRule(HttpRule.Phase.RESPONSE, "del-header", List.of("Server"),
            new HttpAction.DelHeader("Server", Optional.empty()), Optional.empty(), new Location("g.cfg", 9)));
  }

  @Test
  void httpActionsAreTyped() {
    Frontend fe = frontend("""
          http-request deny deny_status 429
          http-request tarpit
          http-request return status 503 content-type text/plain string busy hdr Retry-After 5
          http-request redirect scheme https code 301 drop-query
          http-request redirect location /new
          http-request set-header X-A %[src]
          http-request add-header X-B 1
          http-request del-header X-C -m beg
          http-request replace-value X-D a b
          http-request set-path /v2%[path]
          http-request set-var(txn.user) req.hdr(user)
          http-request auth realm Private
          http-request allow
          http-request capture req.hdr(Host) len 20
          http-response set-status 503 reason Busy
        """);

    assertThat(fe.httpRequestRules()).extracting(HttpRule::typed).containsExactly(
        new HttpAction.Deny(false, 429, Optional.empty()),
        new HttpAction.Deny(true, 500, Optional.empty()),
        new HttpAction.Return(503, new HttpAction.Reply(Optional.of("text/plain"), HttpAction.BodyKind.STRING, "busy",
            List.of(new HttpAction.Header("Retry-After", "5")))),
        new HttpAction.Redirect(HttpAction.RedirectType.SCHEME, "https", 301, true, false, false, Optional.empty(), Optional.empty()),
        new HttpAction.Redirect(HttpAction.RedirectType.LOCATION, "/new", 302, false, false, false, Optional.empty(), Optional.empty()),
        new HttpAction.SetHeader("X-A", "%[src]", false),
        new HttpAction.SetHeader("X-B", "1", true),
        new HttpAction.DelHeader("X-C", Optional.of("beg")),
        new HttpAction.ReplaceHeader("X-D", "a", "b", true),
        new HttpAction.SetPart(HttpAction.Part.PATH, "/v2%[path]"),
        new HttpAction.SetVar("txn.user", "req.hdr(user)", false),
        new HttpAction.Auth(Optional.of("Private")),
        new HttpAction.Allow(),
        new HttpAction.Other("capture", List.of("req.hdr(Host)", "len", "20")));
    assertThat(fe.httpResponseRules()).extracting(HttpRule::typed)
        .containsExactly(new HttpAction.SetStatus(503, Optional.of("Busy")));
  }

  @Test
  void statsSettingsAndTheirDefaults() {
    assertThat(frontend("").stats()).isEqualTo(StatsSettings.DISABLED);
    assertThat(StatsSettings.DISABLED.uri()).isEqualTo("/haproxy?stats");
    StatsSettings s = frontend("  stats enable\n  stats uri /st\n  stats auth a:b\n  stats refresh 10\n  stats admin if LOCALHOST\n").stats();

    assertThat(s.enabled()).isTrue();
    assertThat(s.uri()).isEqualTo("/st");
    assertThat(s.credentials()).containsExactly("a:b");
    assertThat(s.refresh()).contains(Duration.ofSeconds(10));
    assertThat(s.admin()).isPresent();
  }

  @Test
  void everySettingKnowsTheLineItCameFromIncludingInheritedOnes() {
    Config c = parse("""
        defaults
          mode http
          timeout server 5s
        backend be
          balance leastconn
          option redispatch
          server s 127.0.0.1:1
        """);
    Backend be = c.backend("be").orElseThrow();

    assertThat(be.origin("balance")).contains(new Location("g.cfg", 7));
    assertThat(be.origin("option redispatch")).contains(new Location("g.cfg", 8));
    assertThat(be.origin("timeout server")).contains(new Location("g.cfg", 5));
    assertThat(be.origin("cookie")).isEmpty();
  }

  @Test
  void globalSettingsWeRead() {
    Config c = ConfigLoader.parse("g.cfg", "global\n  maxconn 500\n  nbthread 2\n  hard-stop-after 30s\n").orThrow();

    assertThat(c.global().maxconn()).isEqualTo(OptionalInt.of(500));
    assertThat(c.global().nbthread()).isEqualTo(OptionalInt.of(2));
    assertThat(c.global().hardStopAfter()).contains(Duration.ofSeconds(30));
  }

  @Test
  void conditionalBlocksAndVariables() {
    LoadResult r = new dev.balancer.config.internal.Parser(Map.of("SERVERS", "10.0.0.1:80 weight 2", "HOST", "10.0.0.9"))
        .run("v.cfg", """
            defaults
              mode http
            backend be
            .if defined(HOST) && version_atleast(2.6)
              server a $HOST:80
            .elif 1
              server wrong 127.0.0.1:1
            .endif
            .if streq("${UNSET-x}",x)
              server b "${SERVERS[*]}"
              http-request set-header X-Where "${.FILE}:${.LINE}"
            .endif
            """);

    Backend be = r.orThrow().backend("be").orElseThrow();
    assertThat(be.servers()).extracting(Server::name).containsExactly("a", "b");
    assertThat(be.servers().get(0).host()).isEqualTo("10.0.0.9");
    assertThat(be.servers().get(1).weight()).isEqualTo(2);
    assertThat(be.httpRequestRules().get(0).args()).containsExactly("X-Where", "v.cfg:11");
  }
}
