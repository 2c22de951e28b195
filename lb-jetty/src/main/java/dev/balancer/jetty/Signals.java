package dev.balancer.jetty;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGHUP triggers a reload; SIGTERM and SIGINT stop gracefully. Not SIGUSR2, although {@code haproxy
 * -W} reloads on it: HotSpot uses SIGUSR2 to suspend threads (JFR's sampler, profilers), and a
 * handler of ours on it turned every profiling sample into a reload.
 */
final class Signals {

  private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

  private Signals() {}

  /**
   * SIGTERM and SIGINT stop gracefully: the action runs (stop accepting, finish what is in
   * flight), then the process exits 0, as a container runtime expects.
   */
  @SuppressWarnings("restriction")
  static void onTerminate(Runnable stop) {
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(name), s -> new Thread(() -> {
          LOG.info("SIG{} received: stopping gracefully", name);
          try {
            stop.run();
          } finally {
            System.exit(0);
          }
        }, "balancer-stop").start());
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        LOG.debug("cannot handle SIG{}: {}", name, e.getMessage());
      }
    }
  }

  @SuppressWarnings("restriction")
  static void onReloadSignal(Runnable reload) {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("HUP"), s -> {
        LOG.info("SIGHUP received: reloading");
        reload.run();
      });
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      LOG.debug("cannot handle SIGHUP: {}", e.getMessage());
    }
  }
}
