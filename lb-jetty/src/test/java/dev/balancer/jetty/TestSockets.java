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
}
