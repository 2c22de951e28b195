package dev.balancer.jetty.stats;

import dev.balancer.config.model.Acl;
import dev.balancer.config.model.Condition;
import dev.balancer.config.model.HttpRule;
import dev.balancer.config.model.StatsSettings;
import dev.balancer.config.model.Userlist;
import dev.balancer.core.AdminState;
import dev.balancer.core.Balancer;
import dev.balancer.core.BackendServer;
import dev.balancer.core.Health;
import dev.balancer.core.RequestView;
import dev.balancer.core.internal.rules.Acls;
import dev.balancer.core.internal.rules.BasicAuth;
import dev.balancer.core.stats.StatsCsv;
import dev.balancer.core.stats.StatsRow;
import dev.balancer.jetty.admin.AdminApi;
import dev.balancer.jetty.reload.ReloadControl;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HAProxy's stats page for a proxy with {@code stats enable}: the HTML page, {@code ;csv}, {@code
 * ;json}, {@code ;up}, {@code ;norefresh}; with {@code stats admin}, the page's server actions and
 * the JSON admin API under {@code <stats uri>/api/}.
 *
 * <p>Security: {@code stats auth} (or a {@code userlist} that the section's {@code http-request}
 * rules check with {@code http_auth}) gives the credentials, compared in constant time. Every admin
 * action needs an authenticated user, the {@code stats admin} condition, and POST (or the API's
 * verbs); a form post from another site is refused (its {@code Origin} or {@code Sec-Fetch-Site}
 * gives it away, and the page's forms carry a token derived from a per-process secret).
 */
public final class StatsService {

  private static final Logger LOG = LoggerFactory.getLogger(StatsService.class);

  private final Balancer balancer;
  private final AdminApi api;
  private final byte[] secret = new byte[32];
  private volatile ReloadControl reloads;

  public StatsService(Balancer balancer) {
    this.balancer = balancer;
    this.api = new AdminApi(balancer, () -> reloads);
    new SecureRandom().nextBytes(secret);
  }

  /** Lets the page and the API reload the files and report the last reload (the standalone server has one). */
  public void reloads(ReloadControl control) {
    this.reloads = control;
  }

  /** Serves a request that matched {@code proxy}'s {@code stats uri}. */
  public void serve(String proxy, HttpServletRequest req, HttpServletResponse resp) throws IOException {
    var config = balancer.config();
    StatsSettings settings = config.frontend(proxy).map(f -> f.stats()).filter(StatsSettings::enabled)
        .or(() -> config.backend(proxy).map(b -> b.stats())).orElse(StatsSettings.DISABLED);
    String target = req.getRequestURI() + (req.getQueryString() == null ? "" : "?" + req.getQueryString());
    String rest = target.length() >= settings.uri().length() ? target.substring(settings.uri().length()) : "";
    if (settings.uri().endsWith("/")) {
      rest = "/" + rest; // 'stats uri /': the API is at /api/
    }
    RequestView view = RequestView.of(req.getRemoteAddr(), req.getMethod(), target, headers(req));
    Optional<String> user = authenticate(proxy, settings, view);
    boolean needsAuth = !settings.credentials().isEmpty();
    if (needsAuth && user.isEmpty()) {
      challenge(resp, settings.realm());
      return;
    }
    boolean admin = user.isPresent() && settings.admin().map(c -> condition(proxy, c).test(view)).orElse(false);
    resp.setHeader("cache-control", "no-cache");
    if (rest.startsWith("/api/") || rest.equals("/api")) {
      if (user.isEmpty()) {
        // the API never runs without credentials, even where the page itself is open
        challenge(resp, settings.realm());
        return;
      }
      if (!admin) {
        AdminApi.error(resp, 403, "the admin API needs 'stats admin' to allow this user (and 'stats auth' or a userlist)");
        return;
      }
      if (crossSite(req)) {
        AdminApi.error(resp, 403, "cross-site request refused");
        return;
      }
      api.handle(rest.substring(4), req, resp);
      return;
    }
    Set<String> options = new LinkedHashSet<>();
    String status = "";
    for (String o : rest.split(";")) {
      if (o.startsWith("st=")) {
        status = o.substring(3);
      } else if (!o.isEmpty()) {
        options.add(o);
      }
    }
    if (req.getMethod().equals("POST")) {
      post(proxy, settings, req, resp, user, admin);
      return;
    }
    if (!req.getMethod().equals("GET") && !req.getMethod().equals("HEAD")) {
      resp.setStatus(405);
      resp.setHeader("allow", "GET, HEAD, POST");
      return;
    }
    List<StatsRow> rows = rows(settings, options.contains("up"));
    if (options.contains("csv")) {
      resp.setContentType("text/plain");
      resp.getWriter().write(StatsCsv.render(rows));
      return;
    }
    if (options.contains("json")) {
      resp.setContentType("application/json");
      resp.getWriter().write(StatsJson.render(rows));
      return;
    }
    long refresh = options.contains("norefresh") ? 0 : settings.refresh().map(d -> d.toSeconds()).orElse(0L);
    if (refresh > 0) {
      resp.setHeader("refresh", String.valueOf(refresh));
    }
    resp.setContentType("text/html; charset=utf-8");
    String base = settings.uri();
    resp.getWriter().write(StatsPage.render(rows, new StatsPage.View(base, "Statistics Report for Balancer", admin,
        token(user.orElse("")), message(status), settings.hideVersion(), reloadLine(), refresh)));
  }

  private List<StatsRow> rows(StatsSettings settings, boolean upOnly) {
    List<StatsRow> rows = new ArrayList<>();
    for (StatsRow r : balancer.stats()) {
      if (!settings.scope().isEmpty() && !settings.scope().contains(r.proxy())) {
        continue;
      }
      if (upOnly && r.type() == StatsRow.SERVER && !r.text("status").startsWith("UP") && !r.text("status").equals("no check")) {
        continue;
      }
      rows.add(r);
    }
    return rows;
  }

  private String reloadLine() {
    ReloadControl r = reloads;
    if (r == null || r.last().isEmpty() || r.last().get().applied()) {
      return "";
    }
    var failed = r.last().get();
    String first = failed.diagnostics().stream().filter(d -> d.isError()).map(Object::toString).findFirst()
        .orElse(failed.failure());
    return "The last reload (" + r.lastAt().map(Object::toString).orElse("") + ") was rejected, the previous configuration serves: " + first;
  }

  private static String message(String status) {
    return switch (status) {
      case "" -> "";
      case "DONE" -> "Action processed successfully.";
      case "NONE" -> "Nothing has changed.";
      case "PART" -> "Action not processed for every server.";
      case "DENY" -> "Action denied.";
      case "ERRP" -> "Action not processed because of invalid parameters.";
      default -> "Unexpected result.";
    };
  }

  /**
   * HAProxy's admin form: {@code s=<server>} (repeated) {@code &action=<a>&b=<backend or #id>}, then a
   * 303 back to the page with the outcome in {@code ;st=}.
   */
  private void post(String proxy, StatsSettings settings, HttpServletRequest req, HttpServletResponse resp,
      Optional<String> user, boolean admin) throws IOException {
    String back = settings.uri();
    if (!admin || crossSite(req)) {
      redirect(resp, back + ";st=DENY");
      return;
    }
    Map<String, List<String>> form = form(new String(req.getInputStream().readNBytes(65536), StandardCharsets.UTF_8));
    String token = first(form, "token");
    if (!token.isEmpty() && !MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8),
        token(user.orElse("")).getBytes(StandardCharsets.UTF_8))) {
      redirect(resp, back + ";st=DENY");
      return;
    }
    String backend = backendName(first(form, "b"));
    String action = first(form, "action");
    List<String> servers = form.getOrDefault("s", List.of());
    if (backend == null || servers.isEmpty() || action.isEmpty()) {
      redirect(resp, back + ";st=ERRP");
      return;
    }
    int done = 0;
    for (String name : servers) {
      Optional<BackendServer> s = balancer.server(backend, name);
      if (s.isEmpty()) {
        continue;
      }
      if (apply(s.get(), action)) {
        done++;
        LOG.warn("stats page: {} set {}/{} to '{}'", user.orElse("?"), backend, name, action);
      }
    }
    redirect(resp, back + ";st=" + (done == servers.size() ? "DONE" : done == 0 ? "ERRP" : "PART"));
  }

  /** One of HAProxy's page actions on a server; false for an action we do not know. */
  static boolean apply(BackendServer s, String action) {
    switch (action) {
      case "ready" -> s.setAdminState(AdminState.READY);
      case "drain" -> s.setAdminState(AdminState.DRAIN);
      case "maint" -> s.setAdminState(AdminState.MAINT);
      case "hrunn" -> s.setHealth(Health.UP);
      case "hnolb" -> s.setHealth(Health.NOLB);
      case "hdown" -> s.setHealth(Health.DOWN);
      default -> {
        return false;
      }
    }
    return true;
  }

  private String backendName(String b) {
    if (b.startsWith("#")) {
      try {
        int iid = Integer.parseInt(b.substring(1));
        return balancer.stats().stream().filter(r -> r.type() == StatsRow.BACKEND && r.number("iid") == iid)
            .map(StatsRow::proxy).findFirst().orElse(null);
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return balancer.config().backend(b).isPresent() ? b : null;
  }

  private static void redirect(HttpServletResponse resp, String location) {
    resp.setStatus(303);
    resp.setHeader("location", location);
  }

  private static void challenge(HttpServletResponse resp, String realm) throws IOException {
    resp.setStatus(401);
    resp.setHeader("www-authenticate", "Basic realm=\"" + realm.replace("\"", "") + "\"");
    resp.setHeader("cache-control", "no-cache");
    resp.setContentType("text/html");
    resp.getWriter().write("<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n");
  }

  /** A browser's cross-site request: an {@code Origin} that is not this host, or {@code Sec-Fetch-Site: cross-site}. */
  static boolean crossSite(HttpServletRequest req) {
    String site = req.getHeader("sec-fetch-site");
    if (site != null && !site.equals("same-origin") && !site.equals("none")) {
      return true;
    }
    String origin = req.getHeader("origin");
    if (origin == null) {
      return false;
    }
    String host = req.getHeader("host");
    int scheme = origin.indexOf("://");
    return host == null || scheme < 0 || !origin.substring(scheme + 3).equalsIgnoreCase(host);
  }

  /** The form token: an HMAC of the user with this process's secret. */
  private String token(String user) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(user.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The user whose Basic credentials match {@code stats auth} or a userlist the section checks with {@code http_auth}. */
  private Optional<String> authenticate(String proxy, StatsSettings settings, RequestView view) {
    Optional<String> header = view.header("authorization");
    if (header.isEmpty()) {
      return Optional.empty();
    }
    Map<String, Userlist.User> users = new HashMap<>();
    for (String cred : settings.credentials()) {
      int colon = cred.indexOf(':');
      String name = colon < 0 ? cred : cred.substring(0, colon);
      users.put(name, new Userlist.User(name, colon < 0 ? "" : cred.substring(colon + 1), true, List.of()));
    }
    Optional<String> user = BasicAuth.user(view, new Userlist("stats auth", users, dev.balancer.config.Location.UNKNOWN))
        .map(Userlist.User::name);
    if (user.isPresent()) {
      return user;
    }
    for (String list : checkedUserlists(proxy)) {
      Optional<String> u = balancer.config().userlist(list).flatMap(l -> BasicAuth.user(view, l)).map(Userlist.User::name);
      if (u.isPresent()) {
        return u;
      }
    }
    return Optional.empty();
  }

  /** The userlists named by {@code http_auth(L)} or {@code http_auth_group(L)} in the section's ACLs and rules. */
  private Set<String> checkedUserlists(String proxy) {
    var config = balancer.config();
    List<Acl> acls = new ArrayList<>();
    List<HttpRule> rules = new ArrayList<>();
    config.frontend(proxy).ifPresent(f -> {
      acls.addAll(f.acls());
      rules.addAll(f.httpRequestRules());
    });
    config.backend(proxy).ifPresent(b -> {
      acls.addAll(b.acls());
      rules.addAll(b.httpRequestRules());
    });
    for (HttpRule r : rules) {
      r.condition().ifPresent(c -> c.alternatives().forEach(terms -> terms.forEach(t -> t.anonymous().ifPresent(acls::add))));
    }
    Set<String> lists = new LinkedHashSet<>();
    for (Acl a : acls) {
      if ((a.fetch().equals("http_auth") || a.fetch().equals("http_auth_group")) && !a.fetchArgs().isEmpty()) {
        lists.add(a.fetchArgs().get(0));
      }
    }
    return lists;
  }

  private java.util.function.Predicate<RequestView> condition(String proxy, Condition c) {
    var config = balancer.config();
    List<Acl> acls = new ArrayList<>();
    config.frontend(proxy).ifPresent(f -> acls.addAll(f.acls()));
    config.backend(proxy).ifPresent(b -> acls.addAll(b.acls()));
    Map<String, Userlist> users = new HashMap<>();
    config.userlists().forEach(u -> users.put(u.name(), u));
    return Acls.compile(c, acls, users);
  }

  private static Map<String, String> headers(HttpServletRequest req) {
    Map<String, String> h = new HashMap<>();
    for (String name : java.util.Collections.list(req.getHeaderNames())) {
      h.put(name.toLowerCase(java.util.Locale.ROOT), req.getHeader(name));
    }
    return h;
  }

  static Map<String, List<String>> form(String body) {
    org.eclipse.jetty.util.MultiMap<String> form = new org.eclipse.jetty.util.MultiMap<>();
    org.eclipse.jetty.util.UrlEncoded.decodeTo(body, form, StandardCharsets.UTF_8);
    return form;
  }

  private static String first(Map<String, List<String>> form, String key) {
    List<String> v = form.get(key);
    return v == null || v.isEmpty() ? "" : v.get(0);
  }
}
