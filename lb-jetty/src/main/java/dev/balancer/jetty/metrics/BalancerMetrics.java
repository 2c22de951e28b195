package dev.balancer.jetty.metrics;

import dev.balancer.core.Balancer;
import dev.balancer.core.BackendServer;
import dev.balancer.core.stats.Counters;
import dev.balancer.core.stats.StatsRow;
import dev.balancer.core.stats.StatsTable;
import dev.balancer.jetty.reload.ReloadControl;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The balancer's meters in Micrometer, named after HAProxy's Prometheus exporter so that its
 * dashboards read ours: per frontend, backend and server, requests, responses by status class,
 * bytes, current sessions, queue, state as a 0/1 gauge per {@code state} label, check failures,
 * retries, redispatches; and reload successes, failures and the last reload time. The list is in
 * the README ({@link #METER_NAMES}).
 *
 * <p>Meters follow the configuration: {@link #sync()} (run before each scrape) adds meters for new
 * frontends, backends and servers and removes those of the ones a reload took away. Embedded, pass
 * your own {@link MeterRegistry}; standalone, {@code http-request use-service prometheus-exporter}
 * serves {@link #scrape()}.
 */
public final class BalancerMetrics {

  /** Every meter name, as Micrometer names them (Prometheus: dots become underscores, counters end in {@code _total}). */
  public static final List<String> METER_NAMES = List.of(
      "haproxy.frontend.current.sessions", "haproxy.frontend.sessions", "haproxy.frontend.http.requests",
      "haproxy.frontend.http.responses", "haproxy.frontend.bytes.in", "haproxy.frontend.bytes.out",
      "haproxy.frontend.requests.denied", "haproxy.frontend.request.errors",
      "haproxy.backend.status", "haproxy.backend.current.sessions", "haproxy.backend.current.queue",
      "haproxy.backend.sessions", "haproxy.backend.http.requests", "haproxy.backend.http.responses",
      "haproxy.backend.bytes.in", "haproxy.backend.bytes.out", "haproxy.backend.connection.errors",
      "haproxy.backend.response.errors", "haproxy.backend.retry.warnings", "haproxy.backend.redispatch.warnings",
      "haproxy.backend.active.servers", "haproxy.backend.backup.servers", "haproxy.backend.weight",
      "haproxy.server.status", "haproxy.server.current.sessions", "haproxy.server.current.queue",
      "haproxy.server.sessions", "haproxy.server.http.responses", "haproxy.server.bytes.in",
      "haproxy.server.bytes.out", "haproxy.server.connection.errors", "haproxy.server.response.errors",
      "haproxy.server.retry.warnings", "haproxy.server.redispatch.warnings", "haproxy.server.check.failures",
      "haproxy.server.check.up.down", "haproxy.server.weight", "haproxy.server.downtime.seconds",
      "balancer.reloads", "balancer.reload.last.time.seconds");

  private static final String[] CODES = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
  private static final String[] SERVER_STATES = {"UP", "DOWN", "MAINT", "DRAIN", "NOLB"};

  private final Balancer balancer;
  private final MeterRegistry registry;
  private final PrometheusMeterRegistry prometheus;
  private volatile Supplier<ReloadControl> reloads = () -> null;
  /** The meters of each frontend, backend and server, by the object whose counters they read. */
  private final Map<Object, List<Meter>> meters = new HashMap<>();
  private boolean reloadMeters;

  /** Meters in a Prometheus registry of their own, for {@link #scrape()}. */
  public BalancerMetrics(Balancer balancer) {
    this(balancer, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }

  /** Meters in the given registry; {@link #scrape()} works when it is a Prometheus one. */
  public BalancerMetrics(Balancer balancer, MeterRegistry registry) {
    this.balancer = balancer;
    this.registry = registry;
    this.prometheus = registry instanceof PrometheusMeterRegistry p ? p : null;
  }

  /** The registry holding the meters. */
  public MeterRegistry registry() {
    return registry;
  }

  /** Where reload counts come from (the standalone server's file reloader). */
  public void reloads(Supplier<ReloadControl> reloads) {
    this.reloads = reloads;
  }

  /** The Prometheus text exposition, after a {@link #sync()}. */
  public String scrape() {
    sync();
    if (prometheus == null) {
      throw new IllegalStateException("the registry is not a Prometheus registry");
    }
    return prometheus.scrape();
  }

  /** Brings the meters in line with the configuration in force. */
  public synchronized void sync() {
    Set<Object> live = new HashSet<>();
    for (StatsRow row : balancer.stats()) {
      switch (row.type()) {
        case StatsRow.FRONTEND -> {
          Counters c = balancer.frontendStats(row.proxy());
          live.add(c);
          meters.computeIfAbsent(c, k -> frontend(row.proxy(), c));
        }
        case StatsRow.BACKEND -> {
          Counters c = balancer.backendStats(row.proxy());
          live.add(c);
          meters.computeIfAbsent(c, k -> backend(row.proxy(), c));
        }
        default -> balancer.server(row.proxy(), row.service()).ifPresent(s -> {
          live.add(s);
          meters.computeIfAbsent(s, k -> server(s));
        });
      }
    }
    meters.entrySet().removeIf(e -> {
      if (live.contains(e.getKey())) {
        return false;
      }
      e.getValue().forEach(registry::remove);
      return true;
    });
    if (!reloadMeters) {
      reloadMeters = true;
      FunctionCounter.builder("balancer.reloads", this, m -> count(true)).tag("result", "success")
          .description("Configuration reloads applied").register(registry);
      FunctionCounter.builder("balancer.reloads", this, m -> count(false)).tag("result", "failure")
          .description("Configuration reloads rejected (the previous configuration kept serving)").register(registry);
      Gauge.builder("balancer.reload.last.time.seconds", this, m -> {
        ReloadControl r = reloads.get();
        return r == null ? 0 : r.lastAt().map(t -> t.toEpochMilli() / 1000.0).orElse(0.0);
      }).description("When the last reload ran (Unix time), 0 if none ran").register(registry);
    }
  }

  private double count(boolean success) {
    ReloadControl r = reloads.get();
    return r == null ? 0 : success ? r.succeeded() : r.failed();
  }

  private List<Meter> frontend(String name, Counters c) {
    Tags t = Tags.of("proxy", name);
    List<Meter> m = new ArrayList<>();
    m.add(gauge("haproxy.frontend.current.sessions", t, c, Counters::current, "Current sessions"));
    m.add(counter("haproxy.frontend.sessions", t, c, Counters::sessions, "Sessions (requests)"));
    m.add(counter("haproxy.frontend.http.requests", t, c, Counters::requests, "HTTP requests"));
    responses(m, "haproxy.frontend.http.responses", t, c);
    m.add(counter("haproxy.frontend.bytes.in", t, c, Counters::bytesIn, "Bytes received"));
    m.add(counter("haproxy.frontend.bytes.out", t, c, Counters::bytesOut, "Bytes sent"));
    m.add(counter("haproxy.frontend.requests.denied", t, c, Counters::deniedRequests, "Requests denied"));
    m.add(counter("haproxy.frontend.request.errors", t, c, Counters::requestErrors, "Invalid requests"));
    return m;
  }

  private List<Meter> backend(String name, Counters c) {
    Tags t = Tags.of("proxy", name);
    List<Meter> m = new ArrayList<>();
    for (String state : new String[] {"UP", "DOWN"}) {
      m.add(Gauge.builder("haproxy.backend.status", this, x -> backendRow(name).map(r -> r.text("status").equals(state) ? 1 : 0).orElse(0))
          .tags(t.and("state", state)).description("Current status, per state label value").register(registry));
    }
    m.add(Gauge.builder("haproxy.backend.current.sessions", this,
        x -> balancer.servers(name).stream().mapToInt(BackendServer::inFlight).sum()).tags(t).register(registry));
    m.add(Gauge.builder("haproxy.backend.current.queue", this, x -> balancer.queued(name)).tags(t).register(registry));
    m.add(counter("haproxy.backend.sessions", t, c, Counters::sessions, "Sessions (requests) sent to the backend"));
    m.add(counter("haproxy.backend.http.requests", t, c, Counters::requests, "HTTP requests"));
    responses(m, "haproxy.backend.http.responses", t, c);
    m.add(counter("haproxy.backend.bytes.in", t, c, Counters::bytesIn, "Bytes received"));
    m.add(counter("haproxy.backend.bytes.out", t, c, Counters::bytesOut, "Bytes sent"));
    m.add(counter("haproxy.backend.connection.errors", t, c, Counters::connectionErrors, "Failed connections to servers"));
    m.add(counter("haproxy.backend.response.errors", t, c, Counters::responseErrors, "Invalid or cut responses"));
    m.add(counter("haproxy.backend.retry.warnings", t, c, Counters::retries, "Retries"));
    m.add(counter("haproxy.backend.redispatch.warnings", t, c, Counters::redispatches, "Redispatches"));
    m.add(Gauge.builder("haproxy.backend.active.servers", this, x -> backendRow(name).map(r -> r.number("act")).orElse(0L))
        .tags(t).register(registry));
    m.add(Gauge.builder("haproxy.backend.backup.servers", this, x -> backendRow(name).map(r -> r.number("bck")).orElse(0L))
        .tags(t).register(registry));
    m.add(Gauge.builder("haproxy.backend.weight", this, x -> backendRow(name).map(r -> r.number("weight")).orElse(0L))
        .tags(t).register(registry));
    return m;
  }

  /** The backend's stats line alone: a gauge does not build every row of the table. */
  private java.util.Optional<StatsRow> backendRow(String name) {
    return StatsTable.backendRow(balancer, name);
  }

  private List<Meter> server(BackendServer s) {
    Tags t = Tags.of("proxy", s.backend(), "server", s.name());
    Counters c = s.stats();
    List<Meter> m = new ArrayList<>();
    for (String state : SERVER_STATES) {
      m.add(Gauge.builder("haproxy.server.status", s, x -> state(x).equals(state) ? 1 : 0).tags(t.and("state", state))
          .description("Current status, per state label value").register(registry));
    }
    m.add(Gauge.builder("haproxy.server.current.sessions", s, BackendServer::inFlight).tags(t).register(registry));
    m.add(Gauge.builder("haproxy.server.current.queue", s, x -> 0).tags(t).register(registry));
    m.add(FunctionCounter.builder("haproxy.server.sessions", s, BackendServer::totalRequests).tags(t).register(registry));
    responses(m, "haproxy.server.http.responses", t, c);
    m.add(counter("haproxy.server.bytes.in", t, c, Counters::bytesIn, "Bytes received"));
    m.add(counter("haproxy.server.bytes.out", t, c, Counters::bytesOut, "Bytes sent"));
    m.add(counter("haproxy.server.connection.errors", t, c, Counters::connectionErrors, "Failed connections"));
    m.add(counter("haproxy.server.response.errors", t, c, Counters::responseErrors, "Invalid or cut responses"));
    m.add(counter("haproxy.server.retry.warnings", t, c, Counters::retries, "Retries"));
    m.add(counter("haproxy.server.redispatch.warnings", t, c, Counters::redispatches, "Redispatches"));
    m.add(counter("haproxy.server.check.failures", t, c, Counters::checkFailures, "Failed health checks"));
    m.add(FunctionCounter.builder("haproxy.server.check.up.down", s, BackendServer::downTransitions).tags(t).register(registry));
    m.add(Gauge.builder("haproxy.server.weight", s, BackendServer::weight).tags(t).register(registry));
    m.add(FunctionCounter.builder("haproxy.server.downtime.seconds", s, BackendServer::downtimeSeconds).tags(t).register(registry));
    return m;
  }

  /** HAProxy's exporter states: a server going down is UP, one going up is DOWN. */
  private String state(BackendServer s) {
    String status = StatsTable.status(balancer, s);
    if (status.startsWith("MAINT")) {
      return "MAINT";
    }
    if (status.startsWith("DRAIN")) {
      return "DRAIN";
    }
    if (status.startsWith("NOLB")) {
      return "NOLB";
    }
    return status.startsWith("UP") || status.equals("no check") ? "UP" : "DOWN";
  }

  private void responses(List<Meter> m, String name, Tags t, Counters c) {
    for (int k = 0; k < CODES.length; k++) {
      int cls = k;
      m.add(FunctionCounter.builder(name, c, x -> x.responses(cls)).tags(t.and("code", CODES[k]))
          .description("HTTP responses by status class").register(registry));
    }
  }

  private Meter counter(String name, Tags t, Counters c, ToDoubleFunction<Counters> f, String help) {
    return FunctionCounter.builder(name, c, f).tags(t).description(help).register(registry);
  }

  private Meter gauge(String name, Tags t, Counters c, ToDoubleFunction<Counters> f, String help) {
    return Gauge.builder(name, c, f).tags(t).description(help).register(registry);
  }
}
