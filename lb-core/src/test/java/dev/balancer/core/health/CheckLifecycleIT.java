package dev.balancer.core.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.balancer.config.ConfigLoader;
import dev.balancer.config.model.Config;
import dev.balancer.core.Balancer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Real checks on real sockets through reloads: no thread per server, none left behind. */
class CheckLifecycleIT {

  private final List<ServerSocket> listeners = new ArrayList<>();
  private Balancer balancer;

  @AfterEach
  void close() throws IOException {
    if (balancer != null) {
      balancer.close();
    }
    for (ServerSocket s : listeners) {
      s.close();
    }
  }

  private int listener() throws IOException {
    ServerSocket s = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    listeners.add(s);
    Thread t = new Thread(() -> {
      while (!s.isClosed()) {
        try (Socket c = s.accept()) {
          c.getInputStream();
        } catch (IOException e) {
          return;
        }
      }
    });
    t.setDaemon(true);
    t.start();
    return s.getLocalPort();
  }

  private static Config config(int port, int generation) {
    StringBuilder b = new StringBuilder("defaults\n  mode http\n  timeout connect 1s\nbackend app\n");
    for (int i = 0; i < 20; i++) {
      // a tenth of the servers change identity each generation: their checks stop, new ones start
      String name = i < 2 ? "g" + generation + "s" + i : "s" + i;
      b.append("  server ").append(name).append(" 127.0.0.1:").append(port).append(" check inter 100ms\n");
    }
    return ConfigLoader.parse("c.cfg", b.toString()).orThrow();
  }

  @Test
  void fiftyReloadsLeaveTheThreadCountWhereTheFirstLeftIt() throws Exception {
    int port = listener();
    balancer = Balancer.create(config(port, 0));
    await().atMost(Duration.ofSeconds(5)).until(() -> balancer.lastCheck("app", "s19").isPresent());
    balancer.apply(config(port, 1));
    await().atMost(Duration.ofSeconds(5)).until(() -> balancer.lastCheck("app", "g1s0").isPresent());
    int afterFirst = ManagementFactory.getThreadMXBean().getThreadCount();

    for (int g = 2; g <= 51; g++) {
      balancer.apply(config(port, g));
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> balancer.lastCheck("app", "g51s1").isPresent());

    assertThat(ManagementFactory.getThreadMXBean().getThreadCount()).isLessThanOrEqualTo(afterFirst + 1);
    assertThat(balancer.state("app", "s5")).startsWith("UP");
  }
}
