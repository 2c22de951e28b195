package dev.balancer.jetty;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** SIGHUP and SIGUSR2 (what {@code haproxy -W} reloads on) trigger a reload where the JVM allows. */
final class Signals {

  private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

  private Signals() {}

  @SuppressWarnings("restriction")
  static void onReloadSignal(Runnable reload) {
    for (String name : new String[] {"HUP", "USR2"}) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(name), s -> {
          LOG.info("SIG{} received: reloading", name);
          reload.run();
        });
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        LOG.debug("cannot handle SIG{}: {}", name, e.getMessage());
      }
    }
  }
}
