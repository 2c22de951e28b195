package dev.balancer.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.balancer.config.ConfigLoader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same checked server seen by the real HAProxy (its stats CSV {@code status} column) and by our
 * balancer, while the server dies and comes back: the same transitions, in the same order, at
 * about the same times.
 */
class HaproxyHealthDifferentialIT {

  @TempDir Path dir;

  @BeforeAll
  static void oracle() {
    HaproxyOracle.requireHaproxy();
  }

  /** A TCP service that can be stopped and started again on the same port. */
  private static final class Flapping implements AutoCloseable {
    final int port;
    volatile ServerSocket socket;

    Flapping(int port) {
      this.port = port;
    }

    void up() throws IOException {
      ServerSocket s = new ServerSocket();
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 100);
      socket = s;
      Thread t = new Thread(() -> {
        while (!s.isClosed()) {
          try (Socket c = s.accept()) {
            c.getOutputStream().flush();
          } catch (IOException e) {
            return;
          }
        }
      });
      t.setDaemon(true);
      t.start();
    }

    void down() throws IOException {
      socket.close();
    }

    @Override
    public void close() throws IOException {
      down();
    }
  }

  private record Sample(long millis, String state) {}

  private static void sample(List<Sample> out, long start, Supplier<String> state) {
    String s = state.get();
    if (out.isEmpty() || !out.get(out.size() - 1).state().equals(s)) {
      out.add(new Sample((System.nanoTime() - start) / 1_000_000, s));
    }
  }

  private static String last(List<Sample> samples) {
    return samples.isEmpty() ? "" : samples.get(samples.size() - 1).state();
  }

  private static String haproxyStatus(HaproxyOracle oracle) {
    try {
      for (String line : oracle.command("show stat").split("\n")) {
        String[] f = line.split(",", -1);
        if (f.length > 17 && f[0].equals("be") && f[1].equals("s1")) {
          return f[17];
        }
      }
      return "?";
    } catch (IOException e) {
      return "?";
    }
  }

  @Test
  void transitionsMatchHaproxysInOrderAndRoughlyInTime() throws Exception {
    int frontend = HaproxyOracle.freePort();
    int backendPort = HaproxyOracle.freePort();
    String cfg = """
        global
            stats socket %s mode 600 level admin
        defaults
            mode http
            timeout connect 500ms
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:%d
            default_backend be
        backend be
            server s1 127.0.0.1:%d check inter 1s fastinter 250ms downinter 1s rise 2 fall 3
        """.formatted(dir.resolve("admin.sock"), frontend, backendPort);
    List<Sample> theirs = new ArrayList<>();
    List<Sample> ours = new ArrayList<>();
    try (Flapping backend = new Flapping(backendPort); HaproxyOracle oracle = new HaproxyOracle(dir)) {
      backend.up();
      oracle.start(cfg, frontend);
      long start = System.nanoTime();
      try (Balancer balancer = Balancer.create(ConfigLoader.parse("haproxy.cfg", cfg).orThrow())) {
        // the scenario moves on when both sides have seen the state it waits for (bounded): fully
        // up, so kill the server; down, so bring it back; up again, so stop
        String[] waitFor = {"UP", "DOWN", "UP"};
        int phase = 0;
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        while (phase < waitFor.length && System.nanoTime() < deadline) {
          sample(theirs, start, () -> haproxyStatus(oracle));
          sample(ours, start, () -> balancer.state("be", "s1"));
          if (last(theirs).equals(waitFor[phase]) && last(ours).equals(waitFor[phase])) {
            if (phase == 0) {
              backend.down();
            } else if (phase == 1) {
              backend.up();
            }
            phase++;
          }
          // the sampling period of both status pages, not a wait for an outcome
          java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
        }
        assertThat(phase).as("scenario finished: ours %s, theirs %s", ours, theirs).isEqualTo(waitFor.length);
      }
    }

    // the initial "UP 1/3" lasts only until the first check, a few milliseconds: too short to sample
    // reliably on either side (HealthCheckerTest checks it with a fake clock)
    theirs.removeIf(x -> x.millis() < 500 && x.state().equals("UP 1/3"));
    ours.removeIf(x -> x.millis() < 500 && x.state().equals("UP 1/3"));
    List<String> theirStates = theirs.stream().map(Sample::state).toList();
    List<String> ourStates = ours.stream().map(Sample::state).toList();
    assertThat(ourStates).as("ours %s\ntheirs %s", ours, theirs).isEqualTo(theirStates);
    for (int i = 1; i < theirs.size(); i++) {
      assertThat(Math.abs(ours.get(i).millis() - theirs.get(i).millis()))
          // the two checkers run with their own phase: they may differ by up to one inter + fastinter
          .as("time of %s: ours %s, theirs %s", theirs.get(i).state(), ours, theirs).isLessThan(1250);
    }
    assertThat(theirStates).contains("DOWN", "UP");
  }
}
