package dev.balancer.jetty;

import java.nio.file.Path;

/** The differential tests' helpers (haproxy present, a free port, haproxy listening) for tests in other packages. */
public final class CookieDifferentialITAccess {

  private CookieDifferentialITAccess() {}

  public static void requireHaproxy() {
    CookieDifferentialIT.requireHaproxy();
  }

  public static int freePort() {
    return CookieDifferentialIT.freePort();
  }

  public static void awaitListening(Process haproxy, int port, Path log) {
    CookieDifferentialIT.awaitListening(haproxy, port, log);
  }
}
