package dev.balancer.jetty;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.awaitility.Awaitility;

/** The real HAProxy as the differential tests' oracle: whether it is installed, a port for it, waiting for it to listen. */
public final class Haproxy {

  private Haproxy() {}

  /** Skips (outside CI) or fails (CI=true) when haproxy is absent. */
  public static void requireHaproxy() {
    dev.balancer.testkit.Tools.requireHaproxy();
  }

  /**
   * Ports handed out in this JVM: never twice. HAProxy binds with SO_REUSEPORT, so two of them
   * given the same port would both listen and share its connections (a parallel class's haproxy
   * answered CookieDifferentialIT's requests once).
   */
  private static final java.util.Set<Integer> GIVEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** A free port below the ephemeral range. */
  public static int freePort() {
    for (int attempt = 0; attempt < 100; attempt++) {
      int p = 20000 + ThreadLocalRandom.current().nextInt(12000);
      if (!GIVEN.add(p)) {
        continue; // another test of this JVM (IT classes run two at a time) has it, or will bind it
      }
      try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
        return p;
      } catch (IOException taken) {
        // next
      }
    }
    throw new IllegalStateException("no free port");
  }

  /** Waits until haproxy listens on {@code port}; fails with its log if it exits. */
  public static void awaitListening(Process haproxy, int port, Path log) {
    Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
      if (!haproxy.isAlive()) {
        fail("haproxy exited: " + Files.readString(log));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return true;
      } catch (IOException e) {
        return false;
      }
    });
  }
}
