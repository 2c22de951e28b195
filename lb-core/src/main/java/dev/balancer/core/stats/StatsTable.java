package dev.balancer.core.stats;

import dev.balancer.config.model.Backend;
import dev.balancer.config.model.Config;
import dev.balancer.config.model.Frontend;
import dev.balancer.core.AdminState;
import dev.balancer.core.Balancer;
import dev.balancer.core.BackendServer;
import dev.balancer.core.health.CheckResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The stats of a running balancer as HAProxy lays them out: per proxy in configuration order, the
 * {@code FRONTEND} line, then the servers, then the {@code BACKEND} line (reference §9). The stats
 * page, the CSV, the JSON, the admin API and the metrics all read these rows.
 */
public final class StatsTable {

  private StatsTable() {}

  /** Every row, in HAProxy's order. */
  public static List<StatsRow> rows(Balancer balancer) {
    Config config = balancer.config();
    // proxies in the order the file declares them (a listen section is both); HAProxy numbers them from 2
    List<String> order = Stream.concat(
            config.frontends().stream().map(f -> Map.entry(f.location().line(), f.name())),
            config.backends().stream().map(b -> Map.entry(b.location().line(), b.name())))
        .sorted(Map.Entry.comparingByKey()).map(Map.Entry::getValue).distinct().toList();
    List<StatsRow> rows = new ArrayList<>();
    int iid = 2;
    for (String name : order) {
      int id = iid++;
      config.frontend(name).ifPresent(fe -> rows.add(frontend(balancer, fe, id)));
      config.backend(name).ifPresent(be -> {
        for (BackendServer s : balancer.servers(name)) {
          rows.add(server(balancer, be, s, id));
        }
        rows.add(backend(balancer, be, id));
      });
    }
    return rows;
  }

  /** The {@code BACKEND} row of one backend (its {@code iid} left out): what the metrics read. */
  public static Optional<StatsRow> backendRow(Balancer balancer, String name) {
    return balancer.config().backend(name).map(be -> backend(balancer, be, 0));
  }

  private static StatsRow frontend(Balancer balancer, Frontend fe, int iid) {
    Counters c = balancer.frontendStats(fe.name());
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("pxname", fe.name());
    f.put("svname", "FRONTEND");
    f.put("scur", c.current());
    f.put("smax", c.max());
    f.put("stot", c.sessions());
    traffic(f, c);
    f.put("dreq", c.deniedRequests());
    f.put("dresp", c.deniedResponses());
    f.put("ereq", c.requestErrors());
    f.put("status", "OPEN");
    f.put("pid", 1);
    f.put("iid", iid);
    f.put("sid", 0);
    f.put("type", StatsRow.FRONTEND);
    rates(f, c);
    f.put("req_rate", c.requestRate().perSecond());
    f.put("req_rate_max", c.requestRate().max());
    f.put("req_tot", c.requests());
    f.put("mode", "http");
    f.put("conn_tot", c.sessions());
    return new StatsRow(fe.name(), "FRONTEND", StatsRow.FRONTEND, f);
  }

  /** {@code rate} and {@code rate_max}: sessions per second, now and at most. */
  private static void rates(Map<String, Object> f, Counters c) {
    f.put("rate", c.sessionRate().perSecond());
    f.put("rate_max", c.sessionRate().max());
  }

  private static void traffic(Map<String, Object> f, Counters c) {
    f.put("bin", c.bytesIn());
    f.put("bout", c.bytesOut());
    f.put("hrsp_1xx", c.responses(1));
    f.put("hrsp_2xx", c.responses(2));
    f.put("hrsp_3xx", c.responses(3));
    f.put("hrsp_4xx", c.responses(4));
    f.put("hrsp_5xx", c.responses(5));
    f.put("hrsp_other", c.responses(0));
  }

  /** HAProxy's status text of a server: {@code UP}, {@code UP 1/3}, {@code DOWN}, {@code MAINT}, {@code no check}... */
  public static String status(Balancer balancer, BackendServer s) {
    String state = balancer.state(s.backend(), s.name());
    return !s.config().check() && state.equals("UP") ? "no check" : state;
  }

  private static StatsRow server(Balancer balancer, Backend be, BackendServer s, int iid) {
    Counters c = s.stats();
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("pxname", be.name());
    f.put("svname", s.name());
    f.put("qcur", 0);
    f.put("qmax", c.queueMax());
    f.put("scur", s.inFlight());
    f.put("smax", s.maxInFlight());
    int maxconn = s.config().settings().maxconn();
    if (maxconn > 0) {
      f.put("slim", maxconn);
    }
    f.put("stot", s.totalRequests());
    traffic(f, c);
    f.put("dresp", c.deniedResponses());
    f.put("econ", c.connectionErrors());
    f.put("eresp", c.responseErrors());
    f.put("wretr", c.retries());
    f.put("wredis", c.redispatches());
    f.put("status", status(balancer, s));
    f.put("weight", s.weight());
    f.put("act", s.backup() ? 0 : 1);
    f.put("bck", s.backup() ? 1 : 0);
    if (s.config().check()) {
      f.put("chkfail", c.checkFailures());
      f.put("chkdown", s.downTransitions());
      f.put("downtime", s.downtimeSeconds());
    }
    f.put("lastchg", s.secondsSinceChange());
    f.put("pid", 1);
    f.put("iid", iid);
    f.put("sid", s.id());
    f.put("lbtot", s.totalRequests());
    f.put("type", StatsRow.SERVER);
    rates(f, c);
    Optional<CheckResult> check = balancer.lastCheck(be.name(), s.name());
    check.ifPresent(r -> {
      f.put("check_status", r.status().name());
      if (r.code() > 0) {
        f.put("check_code", r.code());
      }
      f.put("check_duration", r.duration().toMillis());
      f.put("last_chk", r.info());
      f.put("check_desc", r.status().description());
    });
    f.put("cli_abrt", c.clientAborts());
    f.put("srv_abrt", c.serverAborts());
    f.put("lastsess", c.lastSession() == 0 ? -1 : (System.currentTimeMillis() - c.lastSession()) / 1000);
    if (s.config().check()) {
      f.put("check_rise", s.config().settings().rise());
      f.put("check_fall", s.config().settings().fall());
    }
    f.put("addr", s.address());
    s.config().settings().cookie().ifPresent(v -> f.put("cookie", v));
    f.put("mode", "http");
    f.put("uweight", s.weight());
    return new StatsRow(be.name(), s.name(), StatsRow.SERVER, f);
  }

  private static StatsRow backend(Balancer balancer, Backend be, int iid) {
    Counters c = balancer.backendStats(be.name());
    List<BackendServer> all = balancer.servers(be.name());
    long act = all.stream().filter(s -> !s.backup() && usable(s)).count();
    long bck = all.stream().filter(s -> s.backup() && usable(s)).count();
    int weight = all.stream().filter(s -> usable(s) && (act > 0 ? !s.backup() : s.backup())).mapToInt(BackendServer::weight).sum();
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("pxname", be.name());
    f.put("svname", "BACKEND");
    f.put("qcur", balancer.queued(be.name()));
    f.put("qmax", c.queueMax());
    f.put("scur", all.stream().mapToInt(BackendServer::inFlight).sum());
    f.put("smax", c.max());
    f.put("stot", c.sessions());
    traffic(f, c);
    f.put("dreq", c.deniedRequests());
    f.put("dresp", c.deniedResponses());
    f.put("econ", c.connectionErrors());
    f.put("eresp", c.responseErrors());
    f.put("wretr", c.retries());
    f.put("wredis", c.redispatches());
    f.put("status", act + bck > 0 || all.isEmpty() && be.listen() ? "UP" : "DOWN");
    f.put("weight", weight);
    f.put("act", act);
    f.put("bck", bck);
    f.put("chkdown", all.stream().mapToLong(BackendServer::downTransitions).sum());
    f.put("lastchg", all.stream().mapToLong(BackendServer::secondsSinceChange).min().orElse(0));
    f.put("downtime", act + bck > 0 ? 0 : all.stream().mapToLong(BackendServer::downtimeSeconds).min().orElse(0));
    f.put("pid", 1);
    if (iid > 0) {
      f.put("iid", iid);
    }
    f.put("sid", 0);
    f.put("lbtot", c.sessions());
    f.put("type", StatsRow.BACKEND);
    rates(f, c);
    f.put("req_tot", c.requests());
    f.put("cli_abrt", c.clientAborts());
    f.put("srv_abrt", c.serverAborts());
    f.put("lastsess", c.lastSession() == 0 ? -1 : (System.currentTimeMillis() - c.lastSession()) / 1000);
    f.put("mode", "http");
    f.put("algo", be.balance().algorithm().keyword());
    f.put("uweight", weight);
    return new StatsRow(be.name(), "BACKEND", StatsRow.BACKEND, f);
  }

  private static boolean usable(BackendServer s) {
    return s.adminState() == AdminState.READY && s.health().takesBalancedTraffic() && s.weight() > 0;
  }
}
