package dev.balancer.jetty;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.function.Consumer;

/** Fake servers over plain sockets, for tests that need a server to behave in a precise way. */
final class TestSockets {

  private TestSockets() {}

  /** Accepts connections until the socket closes, each served by {@code serve} on a daemon thread of its own. */
  static void serveEach(ServerSocket server, Consumer<Socket> serve) {
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
