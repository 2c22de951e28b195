package dev.balancer.jetty;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.function.Consumer;

/** Fake servers over plain sockets, for tests that need a server to behave in a precise way. */
public final class TestSockets {

  private TestSockets() {}

  /**
   * A port that refuses connections, held for as long as the socket is open: bound, never
   * listening. (A port from a server socket closed at once may be handed out again, even to the
   * balancer's own listener, which then answers for the "dead" server.)
   */
  public static Socket refusing() {
    try {
      Socket s = new Socket();
      s.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
      return s;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Accepts connections until the socket closes, each served by {@code serve} on a daemon thread of its own. */
  public static void serveEach(ServerSocket server, Consumer<Socket> serve) {
    Thread acceptor = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          Thread t = new Thread(() -> serve.accept(s));
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return; // closed
        }
      }
    });
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** What a test does with a port. */
  public interface IoConsumer<T> {
    void accept(T t) throws Exception;
  }

  /** Runs {@code test} with the port of a listener whose accept queue is full: connecting there hangs. */
  public static void withHangingPort(IoConsumer<Integer> test) throws Exception {
    try (ServerSocket full = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      java.util.List<Socket> queued = new java.util.ArrayList<>();
      try {
        // fill its accept queue: the kernel then drops new handshakes to it, and a connect hangs
        while (true) {
          Socket q = new Socket();
          try {
            q.connect(full.getLocalSocketAddress(), 300);
            queued.add(q);
          } catch (java.net.SocketTimeoutException hanging) {
            q.close();
            break;
          }
          if (queued.size() >= 50) {
            throw new IllegalStateException("the kernel queued " + queued.size() + " connections: no hanging port here");
          }
        }
        test.accept(full.getLocalPort());
      } finally {
        for (Socket q : queued) {
          q.close();
        }
      }
    }
  }

  /** Whether the peer has neither answered nor closed {@code s} (given 200 ms to do so wrongly). */
  public static boolean stillOpen(Socket s) throws IOException {
    int timeout = s.getSoTimeout();
    s.setSoTimeout(200);
    try {
      s.getInputStream().read(); // an answer, or the end: not open any more
      return false;
    } catch (java.net.SocketTimeoutException nothingYet) {
      return true;
    } finally {
      s.setSoTimeout(timeout);
    }
  }
}
