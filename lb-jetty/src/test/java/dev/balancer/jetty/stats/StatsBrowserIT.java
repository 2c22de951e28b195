package dev.balancer.jetty.stats;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.balancer.jetty.StandaloneBalancer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A person's view of the stats page: Debian's chromium, headless, opens the page with the admin's
 * credentials, sees every server with its state, sets one to DRAIN through the page's form and
 * sees the new state. The screenshot lands in {@code target/stats-page.png} for a person to look at.
 */
class StatsBrowserIT {
  /** The port of a server that refuses every connection. */
  private final java.net.Socket refusing = dev.balancer.jetty.TestSockets.refusing();


  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  @TempDir
  Path dir;

  HttpServer backend;
  StandaloneBalancer lb;
  ChromeDriver browser;

  static void requireChromium() {
    dev.balancer.testkit.Tools.require("chromium chromium-driver", "the stats page is tried in a real browser",
        "chromium", "chromedriver");
  }


  @BeforeEach
  void start() throws Exception {
    requireChromium();
    backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    backend.createContext("/", ex -> {
      ex.sendResponseHeaders(200, 2);
      ex.getResponseBody().write("ok".getBytes());
      ex.close();
    });
    backend.start();
    int dead = refusing.getLocalPort();
    int port = backend.getAddress().getPort();
    Path cfg = dir.resolve("haproxy.cfg");
    Files.writeString(cfg, """
        defaults
          mode http
          timeout connect 1s
          timeout client 5s
          timeout server 5s
        frontend www
          bind 127.0.0.1:0
          default_backend app
        backend app
          server web1 127.0.0.1:%d check inter 300ms
          server web2 127.0.0.1:%d check inter 300ms
          server web3 127.0.0.1:%d check inter 300ms
          server old 127.0.0.1:%d disabled
          server spare 127.0.0.1:%d backup
        listen stats
          bind 127.0.0.1:0
          stats enable
          stats uri /stats
          stats auth admin:secret
          stats admin if TRUE
        """.formatted(port, port, dead, port, port));
    lb = StandaloneBalancer.start(List.of(cfg), Duration.ofHours(1));
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1440,900");
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort().build();
    browser = new ChromeDriver(service, options);
    // the admin's Basic credentials on every request the page makes, the form's post included
    browser.executeCdpCommand("Network.enable", Map.of());
    browser.executeCdpCommand("Network.setExtraHTTPHeaders", Map.of("headers", Map.of("Authorization", StatsIT.AUTH)));
  }

  @AfterEach
  void stop() throws Exception {
    refusing.close();
    if (browser != null) {
      browser.quit();
    }
    if (lb != null) {
      lb.close();
    }
    if (backend != null) {
      backend.stop(0);
    }
  }

  String status(String server) {
    return browser.findElement(By.cssSelector("section#app tr[data-server='" + server + "'] td.status")).getText();
  }

  String rowClass(String server) {
    return browser.findElement(By.cssSelector("section#app tr[data-server='" + server + "']")).getAttribute("class");
  }

  @Test
  void anOperatorSeesEveryServerAndDrainsOneFromThePage() throws Exception {
    String page = "http://127.0.0.1:" + lb.server().port("stats") + "/stats";
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(10));
    // the checks settle: web3 refuses connections
    wait.until(d -> {
      d.get(page);
      return status("web3").endsWith("DOWN");
    });
    assertThat(browser.getTitle()).isEqualTo("Statistics Report for Balancer");
    assertThat(status("web1")).endsWith("UP");
    assertThat(status("web2")).endsWith("UP");
    assertThat(status("old")).endsWith("MAINT");
    assertThat(status("spare")).endsWith("no check");
    assertThat(rowClass("web1")).isEqualTo("active_up");
    assertThat(rowClass("web3")).isEqualTo("active_down");
    assertThat(rowClass("old")).isEqualTo("maintain");
    assertThat(rowClass("spare")).isEqualTo("backup_no_check");
    // the check column says what the last check found, and how long it took
    assertThat(browser.findElement(By.cssSelector("section#app tr[data-server='web3'] td.check")).getText())
        .startsWith("L4CON in ").contains("Connection refused");
    assertThat(browser.findElement(By.cssSelector("section#app tr[data-server='web1'] td.check")).getText())
        .startsWith("L4OK in ").endsWith("ms");

    WebElement box = browser.findElement(By.cssSelector("section#app input[name='s'][value='web1']"));
    box.click();
    new Select(browser.findElement(By.cssSelector("section#app select[name='action']"))).selectByValue("drain");
    browser.findElement(By.cssSelector("section#app button[type='submit']")).click();

    wait.until(d -> d.getCurrentUrl().endsWith(";st=DONE"));
    assertThat(browser.findElement(By.id("message")).getText()).isEqualTo("Action processed successfully.");
    assertThat(status("web1")).endsWith("DRAIN");
    assertThat(rowClass("web1")).isEqualTo("active_draining");
    assertThat(lb.server().balancer().state("app", "web1")).isEqualTo("DRAIN");
    assertThat(status("web2")).endsWith("UP");

    byte[] png = browser.getScreenshotAs(OutputType.BYTES);
    Path shot = Path.of("target", "stats-page.png");
    Files.createDirectories(shot.getParent());
    Files.write(shot, png);
    assertThat(png.length).isGreaterThan(10_000);
  }
}
