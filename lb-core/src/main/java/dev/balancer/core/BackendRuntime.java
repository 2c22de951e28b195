package dev.balancer.core;

import dev.balancer.config.model.Backend;
import dev.balancer.core.balance.Selector;
import java.util.List;

/** One backend within one snapshot: its servers and the selector over the usable ones. */
final class BackendRuntime {

  private final Backend config;
  private final List<BackendServer> servers;
  private final Selector<BackendServer> selector;

  BackendRuntime(Backend config, List<BackendServer> servers) {
    this.config = config;
    this.servers = List.copyOf(servers);
    this.selector = Selector.roundRobin(
        servers.stream().filter(BackendServer::takesNewRequests).toList(), BackendServer::weight);
  }

  Backend config() {
    return config;
  }

  List<BackendServer> servers() {
    return servers;
  }

  /** The next server by the balance algorithm, leased; {@code null} when none is usable. */
  Lease lease() {
    BackendServer s;
    synchronized (this) {
      s = selector.next();
    }
    return s == null ? null : new Lease(s);
  }
}
