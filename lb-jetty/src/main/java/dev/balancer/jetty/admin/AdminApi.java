package dev.balancer.jetty.admin;

import dev.balancer.core.AdminState;
import dev.balancer.core.Balancer;
import dev.balancer.core.BackendServer;
import dev.balancer.core.Health;
import dev.balancer.core.stats.StatsRow;
import dev.balancer.jetty.reload.ReloadControl;
import dev.balancer.jetty.reload.ReloadResult;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.eclipse.jetty.util.ajax.JSON;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JSON admin API, under {@code <stats uri>/api/} of a proxy whose {@code stats admin}
 * condition allows the authenticated user (see {@code StatsService}, which checks that first):
 *
 * <pre>
 * GET    /api/state                                  frontends, backends, servers with their states
 * POST   /api/servers/{backend}/{server}/state       {"state": "ready" | "drain" | "maint"}
 * POST   /api/servers/{backend}/{server}/health      {"health": "up" | "stopping" | "down"}
 * POST   /api/servers/{backend}/{server}/weight      {"weight": "7" | "50%"}
 * PUT    /api/servers/{backend}/{server}             {"address": "10.0.0.5:8080", "options": "check"}  (starts in MAINT)
 * DELETE /api/servers/{backend}/{server}             only in MAINT with nothing in flight
 * POST   /api/reload                                 reads the files again
 * GET    /api/reload                                 the last reload's result
 * </pre>
 *
 * Answers are JSON; a refusal has a 4xx status and {@code {"error": "..."}} in HAProxy's words where
 * HAProxy has words for it.
 */
public final class AdminApi {

  private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);

  private final Balancer balancer;
  private final Supplier<ReloadControl> reloads;

  public AdminApi(Balancer balancer, Supplier<ReloadControl> reloads) {
    this.balancer = balancer;
    this.reloads = reloads;
  }

  /** Handles {@code path} (after {@code /api}). */
  public void handle(String path, HttpServletRequest req, HttpServletResponse resp) throws IOException {
    String method = req.getMethod();
    String[] p = path.replaceAll("^/+|/+$", "").split("/");
    try {
      if (p.length == 1 && p[0].equals("state")) {
        if (!method.equals("GET")) {
          notAllowed(resp, "GET");
          return;
        }
        json(resp, 200, state());
      } else if (p.length == 1 && p[0].equals("reload")) {
        reload(method, resp);
      } else if (p.length >= 3 && p[0].equals("servers")) {
        server(method, p, body(req), resp);
      } else {
        error(resp, 404, "no such API path: /api/" + String.join("/", p));
      }
    } catch (NoSuchServer e) {
      error(resp, 404, e.getMessage());
    } catch (IllegalArgumentException e) {
      error(resp, 400, e.getMessage());
    } catch (IllegalStateException e) {
      error(resp, 409, e.getMessage());
    }
  }

  private void server(String method, String[] p, Map<String, Object> body, HttpServletResponse resp) throws IOException {
    String backend = p[1];
    String name = p[2];
    if (balancer.config().backend(backend).isEmpty()) {
      error(resp, 404, "No such backend.");
      return;
    }
    if (p.length == 3) {
      switch (method) {
        case "PUT", "POST" -> {
          String address = text(body, "address");
          if (address.isEmpty()) {
            throw new IllegalArgumentException("'address' is required: {\"address\": \"10.0.0.5:8080\", \"options\": \"check\"}");
          }
          BackendServer s = balancer.addServer(backend, name, address + " " + text(body, "options"));
          LOG.warn("admin API: added server {}/{} at {} (in MAINT)", backend, name, s.address());
          json(resp, 201, Map.of("message", "New server registered.", "server", server(s)));
        }
        case "DELETE" -> {
          lookup(backend, name);
          balancer.deleteServer(backend, name);
          LOG.warn("admin API: deleted server {}/{}", backend, name);
          json(resp, 200, Map.of("message", "Server deleted."));
        }
        case "GET" -> json(resp, 200, server(lookup(backend, name)));
        default -> notAllowed(resp, "GET, PUT, POST, DELETE");
      }
      return;
    }
    if (!method.equals("POST") && !method.equals("PUT")) {
      notAllowed(resp, "POST, PUT");
      return;
    }
    BackendServer s = lookup(backend, name);
    switch (p[3]) {
      case "state" -> {
        String state = text(body, "state").toLowerCase(Locale.ROOT);
        s.setAdminState(switch (state) {
          case "ready" -> AdminState.READY;
          case "drain" -> AdminState.DRAIN;
          case "maint" -> AdminState.MAINT;
          default -> throw new IllegalArgumentException("'state' expects 'ready', 'drain' or 'maint'.");
        });
        LOG.warn("admin API: {}/{} set to {}", backend, name, state.toUpperCase(Locale.ROOT));
      }
      case "health" -> {
        String health = text(body, "health").toLowerCase(Locale.ROOT);
        s.setHealth(switch (health) {
          case "up" -> Health.UP;
          case "stopping" -> Health.NOLB;
          case "down" -> Health.DOWN;
          default -> throw new IllegalArgumentException("'health' expects 'up', 'stopping' or 'down'.");
        });
        LOG.warn("admin API: {}/{} health set to {}", backend, name, health);
      }
      case "weight" -> {
        int w = balancer.setWeight(backend, name, text(body, "weight"));
        LOG.warn("admin API: {}/{} weight set to {}", backend, name, w);
      }
      default -> {
        error(resp, 404, "no such server setting: " + p[3]);
        return;
      }
    }
    json(resp, 200, server(s));
  }

  private void reload(String method, HttpServletResponse resp) throws IOException {
    ReloadControl r = reloads.get();
    if (r == null) {
      error(resp, 409, "this balancer has no configuration files to reload (embedded)");
      return;
    }
    switch (method) {
      case "POST" -> {
        ReloadResult result = r.reload();
        json(resp, result.applied() ? 200 : 422, reloadJson(r, Optional.of(result)));
      }
      case "GET" -> json(resp, 200, reloadJson(r, r.last()));
      default -> notAllowed(resp, "GET, POST");
    }
  }

  private Map<String, Object> reloadJson(ReloadControl r, Optional<ReloadResult> result) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("succeeded", r.succeeded());
    m.put("failed", r.failed());
    m.put("generation", balancer.generation());
    r.lastAt().ifPresent(t -> m.put("lastReload", t.toString()));
    result.ifPresent(res -> {
      m.put("applied", res.applied());
      List<Object> errors = new ArrayList<>();
      List<Object> warnings = new ArrayList<>();
      res.diagnostics().forEach(d -> (d.isError() ? errors : warnings).add(d.toString()));
      if (!res.failure().isEmpty()) {
        errors.add(res.failure());
      }
      m.put("errors", errors);
      m.put("warnings", warnings);
    });
    return m;
  }

  private BackendServer lookup(String backend, String name) {
    return balancer.server(backend, name).orElseThrow(() -> new NoSuchServer());
  }

  /** An unknown server: 404. */
  private static final class NoSuchServer extends IllegalArgumentException {
    NoSuchServer() {
      super("No such server.");
    }
  }

  private Map<String, Object> state() {
    Map<String, Object> out = new LinkedHashMap<>();
    List<Object> frontends = new ArrayList<>();
    Map<String, Map<String, Object>> backends = new LinkedHashMap<>();
    for (StatsRow r : balancer.stats()) {
      switch (r.type()) {
        case StatsRow.FRONTEND -> frontends.add(Map.of("name", r.proxy(), "status", r.text("status"),
            "currentSessions", r.number("scur"), "requests", r.number("req_tot")));
        case StatsRow.BACKEND -> {
          Map<String, Object> b = backends.computeIfAbsent(r.proxy(), k -> newBackend(k));
          b.put("status", r.text("status"));
          b.put("queued", r.number("qcur"));
          b.put("activeServers", r.number("act"));
          b.put("backupServers", r.number("bck"));
        }
        default -> {
          Map<String, Object> b = backends.computeIfAbsent(r.proxy(), k -> newBackend(k));
          balancer.server(r.proxy(), r.service()).ifPresent(s -> ((List<Object>) b.get("servers")).add(server(s)));
        }
      }
    }
    out.put("frontends", frontends);
    out.put("backends", new ArrayList<>(backends.values()));
    return out;
  }

  private static Map<String, Object> newBackend(String name) {
    Map<String, Object> b = new LinkedHashMap<>();
    b.put("name", name);
    b.put("servers", new ArrayList<>());
    return b;
  }

  private Map<String, Object> server(BackendServer s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", s.name());
    m.put("address", s.address());
    m.put("state", dev.balancer.core.stats.StatsTable.status(balancer, s));
    m.put("adminState", s.adminState().name());
    m.put("health", s.health().name());
    m.put("weight", s.weight());
    m.put("initialWeight", s.config().weight());
    m.put("backup", s.backup());
    m.put("inFlight", s.inFlight());
    m.put("totalRequests", s.totalRequests());
    balancer.lastCheck(s.backend(), s.name()).ifPresent(c -> {
      Map<String, Object> check = new LinkedHashMap<>();
      check.put("status", c.status().name());
      check.put("code", c.code());
      check.put("durationMs", c.duration().toMillis());
      check.put("info", c.info());
      m.put("lastCheck", check);
    });
    return m;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> body(HttpServletRequest req) throws IOException {
    String text = new String(req.getInputStream().readNBytes(65536), StandardCharsets.UTF_8).trim();
    if (text.isEmpty()) {
      return Map.of();
    }
    Object parsed;
    try {
      parsed = new JSON().fromJSON(text);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("the body is not JSON: " + e.getMessage());
    }
    if (!(parsed instanceof Map<?, ?> m)) {
      throw new IllegalArgumentException("the body must be a JSON object");
    }
    return (Map<String, Object>) m;
  }

  private static String text(Map<String, Object> body, String key) {
    Object v = body.get(key);
    if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
      return String.valueOf(n.longValue());
    }
    return v == null ? "" : v.toString();
  }

  private static void notAllowed(HttpServletResponse resp, String allow) throws IOException {
    resp.setHeader("allow", allow);
    error(resp, 405, "method not allowed here; use " + allow);
  }

  /** A JSON refusal. */
  public static void error(HttpServletResponse resp, int status, String message) throws IOException {
    json(resp, status, Map.of("error", message));
  }

  private static void json(HttpServletResponse resp, int status, Object body) throws IOException {
    resp.setStatus(status);
    resp.setHeader("cache-control", "no-cache");
    resp.setContentType("application/json");
    resp.getWriter().write(new JSON().toJSON(body) + "\n");
  }
}
