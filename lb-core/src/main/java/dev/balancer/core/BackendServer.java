package dev.balancer.core;

import dev.balancer.config.model.Server;
import dev.balancer.config.model.Timeouts;
import dev.balancer.core.internal.ServerCounters;
import java.util.Objects;

/**
 * A server of a backend as it runs: its configuration, its admin state and its live counters. A
 * reload makes a new {@code BackendServer} for every server, but one whose identity (backend name,
 * server name, address) is unchanged keeps its counters, so requests in flight stay counted.
 */
public final class BackendServer {

  private final String backend;
  private final Server config;
  private final AdminState adminState;
  private final ServerCounters counters;
  private final Timeouts timeouts;

  BackendServer(String backend, Server config, AdminState adminState, ServerCounters counters, Timeouts timeouts) {
    this.backend = Objects.requireNonNull(backend, "backend");
    this.timeouts = Objects.requireNonNull(timeouts, "timeouts");
    this.config = Objects.requireNonNull(config, "config");
    this.adminState = Objects.requireNonNull(adminState, "adminState");
    this.counters = Objects.requireNonNull(counters, "counters");
  }

  /** The name of its backend. */
  public String backend() {
    return backend;
  }

  /** Its name in the backend. */
  public String name() {
    return config.name();
  }

  /** The host to connect to. */
  public String host() {
    return config.host();
  }

  /** The port to connect to. */
  public int port() {
    return config.port();
  }

  /** {@code host:port}. */
  public String address() {
    return config.address();
  }

  /** Its configured weight, 0 to 256. */
  public int weight() {
    return config.weight();
  }

  /** The {@code server} line it came from. */
  public Server config() {
    return config;
  }

  /** Its backend's timeouts ({@code timeout connect}, {@code timeout server}). */
  public Timeouts timeouts() {
    return timeouts;
  }

  /** Ready or in maintenance. */
  public AdminState adminState() {
    return adminState;
  }

  /** Whether the balance algorithm may give it new requests. */
  public boolean takesNewRequests() {
    return adminState == AdminState.READY && config.weight() > 0;
  }

  /** Requests sent to it that have not finished yet. */
  public int inFlight() {
    return counters.inFlight();
  }

  /** Requests sent to it since it first appeared in a configuration. */
  public long totalRequests() {
    return counters.total();
  }

  ServerCounters counters() {
    return counters;
  }

  @Override
  public String toString() {
    return backend + "/" + name() + " " + address() + " " + adminState;
  }
}
