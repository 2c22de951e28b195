package dev.balancer.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.balancer.config.model.Backend;
import dev.balancer.config.model.Bind;
import dev.balancer.config.model.Config;
import dev.balancer.config.model.Frontend;
import dev.balancer.config.model.Server;
import dev.balancer.config.model.ServerSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  private static final String VALID = """
      global
          log /dev/log local0
          maxconn 2000

      defaults
          mode http
          timeout connect 5s
          timeout client 30s
          timeout server 30000

      frontend www
          bind *:8080
          default_backend app   # a comment after the words

      backend app
          balance roundrobin
          server web1 127.0.0.1:8081 check weight 2
          server web2 127.0.0.1:8082 disabled
      """;

  @Test
  void readsSectionsServersAndDefaultsWithTheirLines() {
    LoadResult result = ConfigLoader.parse("haproxy.cfg", VALID);

    Config config = result.orThrow();
    Frontend www = config.frontend("www").orElseThrow();
    assertThat(www.binds()).containsExactly(new Bind("", 8080, new Location("haproxy.cfg", 12)));
    assertThat(www.defaultBackend()).contains("app");
    assertThat(www.timeouts().client()).contains(Duration.ofSeconds(30));
    Backend app = config.backend("app").orElseThrow();
    assertThat(app.timeouts().connect()).contains(Duration.ofSeconds(5));
    assertThat(app.timeouts().server()).contains(Duration.ofSeconds(30));
    assertThat(app.servers()).containsExactly(
        new Server("web1", "127.0.0.1", 8081, 1, ServerSettings.builder().weight(2).check(true).build(), new Location("haproxy.cfg", 17)),
        new Server("web2", "127.0.0.1", 8082, 2, ServerSettings.builder().disabled(true).build(), new Location("haproxy.cfg", 18)));
  }

  @Test
  void ignoredGlobalKeywordsAreWarningsNotErrors() {
    LoadResult result = ConfigLoader.parse("haproxy.cfg", VALID);

    assertThat(result.hasErrors()).isFalse();
    assertThat(result.warnings()).extracting(Diagnostic::toString).contains(
        "haproxy.cfg:2: warning: global keyword 'log' is not supported yet; ignored");
    assertThat(result.warnings()).extracting(Diagnostic::message).noneMatch(m -> m.contains("'check'"));
  }

  @Test
  void misspeltServerOptionIsAnErrorWithFileLineAndSuggestion() {
    LoadResult result = ConfigLoader.parse("bad.cfg", """
        defaults
          mode http
        backend be
          server s1 127.0.0.1:80 wieght 3
        """);

    assertThat(result.config()).isEmpty();
    assertThat(result.errors()).extracting(Diagnostic::toString).containsExactly(
        "bad.cfg:4: error: 'server be/s1' : unknown keyword 'wieght'; did you mean 'weight' maybe ?");
  }

  @Test
  void unknownSectionKeywordIsAnError() {
    LoadResult result = ConfigLoader.parse("bad.cfg", "frontend fe\n  mode http\n  foobar 1\n");

    assertThat(result.errors()).extracting(Diagnostic::toString)
        .containsExactly("bad.cfg:3: error: unknown keyword 'foobar' in 'frontend' section");
  }

  @Test
  void weightOutsideHaproxyRangeIsAnError() {
    LoadResult result = ConfigLoader.parse("w.cfg", "backend be\n mode http\n server s1 10.0.0.1:80 weight 300\n");

    assertThat(result.errors()).extracting(Diagnostic::message)
        .containsExactly("'server be/s1' : weight of server s1 is not within 0 and 256 (300).");
  }

  @Test
  void defaultBackendMustExist() {
    LoadResult result = ConfigLoader.parse("r.cfg", "frontend fe\n mode http\n bind :80\n default_backend nope\n");

    assertThat(result.errors()).extracting(Diagnostic::toString)
        .containsExactly("r.cfg:4: error: Proxy 'fe': unable to find required default_backend: 'nope'.");
  }

  @Test
  void everyErrorIsReportedNotJustTheFirst() {
    LoadResult result = ConfigLoader.parse("m.cfg", """
        frontend fe
          mode http
          bind :80
          blah
        backend be
          mode http
          server a 127.0.0.1:1 weight 999
          timeout connect 5x
        """);

    assertThat(result.errors()).extracting(d -> d.location().line()).containsExactly(4, 7, 8);
    assertThat(result.errors().get(2).message()).isEqualTo("unexpected character 'x' in 'timeout connect'");
  }

  @Test
  void knownButUnsupportedKeywordWarnsAndKeepsTheRest() {
    LoadResult result = ConfigLoader.parse("u.cfg", """
        backend be
          mode http
          option abortonclose
          balance rdp-cookie
          server a 127.0.0.1:9000
        """);

    assertThat(result.hasErrors()).isFalse();
    assertThat(result.warnings()).extracting(Diagnostic::toString).contains(
        "u.cfg:3: warning: 'option abortonclose' is not supported yet; ignored",
        "u.cfg:4: warning: 'balance rdp-cookie' is not supported yet; requests are spread by round robin over the same map");
    assertThat(result.orThrow().backend("be").orElseThrow().servers()).hasSize(1);
  }

  @Test
  void modeTcpIsRefusedBecauseWeOnlyProxyHttp() {
    LoadResult result = ConfigLoader.parse("t.cfg", "listen l\n mode tcp\n bind :80\n server a 127.0.0.1:1\n");

    assertThat(result.errors()).extracting(Diagnostic::location).containsExactly(new Location("t.cfg", 2));
  }

  @Test
  void listenIsBothFrontendAndBackendOfTheSameName() {
    Config config = ConfigLoader.parse("l.cfg", """
        listen web
          mode http
          bind 127.0.0.1:8000,127.0.0.1:9000-9001
          server a 127.0.0.1:8081
        """).orThrow();

    assertThat(config.frontend("web").orElseThrow().defaultBackend()).contains("web");
    assertThat(config.frontend("web").orElseThrow().binds()).extracting(Bind::address)
        .containsExactly("127.0.0.1:8000", "127.0.0.1:9000", "127.0.0.1:9001");
    assertThat(config.backend("web").orElseThrow().servers()).extracting(Server::name).containsExactly("a");
  }

  @Test
  void eachDefaultsSectionStartsFromTheBuiltInsAndFromPicksANamedOne() {
    Config config = ConfigLoader.parse("d.cfg", """
        defaults base
          mode http
          timeout server 7s
        defaults
          mode http
          timeout connect 1s
        backend plain
          server a 127.0.0.1:1
        backend chosen from base
          server a 127.0.0.1:1
        """).orThrow();

    Backend plain = config.backend("plain").orElseThrow();
    assertThat(plain.timeouts().connect()).contains(Duration.ofSeconds(1));
    assertThat(plain.timeouts().server()).isEmpty();
    Backend chosen = config.backend("chosen").orElseThrow();
    assertThat(chosen.timeouts().server()).contains(Duration.ofSeconds(7));
    assertThat(chosen.timeouts().connect()).isEmpty();
  }

  @Test
  void duplicateServerNamesAreAnError() {
    LoadResult result = ConfigLoader.parse("s.cfg", "backend be\n mode http\n server a 127.0.0.1:1\n server a 127.0.0.1:2\n");

    assertThat(result.errors()).singleElement().satisfies(d -> {
      assertThat(d.location().line()).isEqualTo(4);
      assertThat(d.message()).contains("another server named 'a' was already defined at line 3");
    });
  }

  @Test
  void serverWithoutPortIsRefusedWithTheReason() {
    LoadResult result = ConfigLoader.parse("p.cfg", "backend be\n mode http\n server a 127.0.0.1\n");

    assertThat(result.errors()).singleElement().extracting(Diagnostic::message).asString()
        .contains("has no fixed port");
  }

  @Test
  void crlfLineEndsAreAccepted() {
    Config config = ConfigLoader.parse("crlf.cfg", "backend be\r\n  mode http\r\n  server a 127.0.0.1:81\r\n").orThrow();

    assertThat(config.backend("be").orElseThrow().servers().get(0).port()).isEqualTo(81);
  }

  @Test
  void severalFilesReadAsOneAndAMissingFileIsNamed(@TempDir Path dir) throws IOException {
    Path a = Files.writeString(dir.resolve("a.cfg"), "frontend fe\n mode http\n bind :80\n default_backend be\n");
    Path b = Files.writeString(dir.resolve("b.cfg"), "backend be\n mode http\n server s 127.0.0.1:1\n");

    assertThat(ConfigLoader.load(a, b).config()).isPresent();
    LoadResult missing = ConfigLoader.load(a, dir.resolve("nope.cfg"));
    assertThat(missing.errors()).extracting(Diagnostic::toString)
        .contains(dir.resolve("nope.cfg") + ":0: error: Could not open configuration file " + dir.resolve("nope.cfg")
            + " : No such file or directory");
  }

  @Test
  void directoryIsReadAsItsCfgFilesInLexicalOrder(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("20-backend.cfg"), "backend be\n mode http\n server s 127.0.0.1:1\n");
    Files.writeString(dir.resolve("10-frontend.cfg"), "frontend fe\n mode http\n bind :80\n default_backend be\n");
    Files.writeString(dir.resolve("notes.txt"), "not a config file");

    LoadResult result = ConfigLoader.load(dir);

    assertThat(result.hasErrors()).as(result.diagnostics().toString()).isFalse();
    assertThat(result.diagnostics()).extracting(d -> d.location().file())
        .allMatch(f -> f.endsWith(".cfg"));
    assertThat(ConfigLoader.expand(java.util.List.of(dir))).extracting(p -> p.getFileName().toString())
        .containsExactly("10-frontend.cfg", "20-backend.cfg");
  }

  @Test
  void orThrowListsEveryError() {
    LoadResult result = ConfigLoader.parse("x.cfg", "backend be\n bogus\n");

    assertThatThrownBy(result::orThrow).isInstanceOf(ConfigException.class)
        .hasMessageContaining("x.cfg:2: error: unknown keyword 'bogus'");
    assertThat(result.config()).isEqualTo(Optional.empty());
  }
}
