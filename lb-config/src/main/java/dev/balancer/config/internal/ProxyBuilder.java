package dev.balancer.config.internal;

import dev.balancer.config.Location;
import dev.balancer.config.model.Acl;
import dev.balancer.config.model.Backend;
import dev.balancer.config.model.Balance;
import dev.balancer.config.model.Bind;
import dev.balancer.config.model.CookieSettings;
import dev.balancer.config.model.ForwardFor;
import dev.balancer.config.model.Frontend;
import dev.balancer.config.model.HashType;
import dev.balancer.config.model.HttpCheck;
import dev.balancer.config.model.HttpRule;
import dev.balancer.config.model.ProxyOptions;
import dev.balancer.config.model.Server;
import dev.balancer.config.model.ServerSettings;
import dev.balancer.config.model.StatsSettings;
import dev.balancer.config.model.Timeouts;
import dev.balancer.config.model.UseBackendRule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The settings of a proxy or defaults section while it is being read. */
final class ProxyBuilder {

  /** A reference to a backend by name, where it was written. */
  record Ref(String name, Location location) {}

  String kind;
  String name;
  Location location;
  Optional<String> mode = Optional.empty();
  Balance balance = Balance.ROUND_ROBIN;
  HashType hashType = HashType.DEFAULT;
  Optional<CookieSettings> cookie = Optional.empty();
  Map<String, Boolean> flags = new LinkedHashMap<>();
  Optional<ForwardFor> forwardFor = Optional.empty();
  Optional<Integer> redispatch = Optional.empty();
  Optional<HttpCheck.Request> httpchk = Optional.empty();
  Optional<HttpCheck.Request> checkSend = Optional.empty();
  List<HttpCheck.Expect> expects = new ArrayList<>();
  boolean disableOn404;
  boolean sendState;
  Timeouts timeouts = Timeouts.NONE;
  int retries = Backend.DEFAULT_RETRIES;
  Map<Integer, String> errorFiles = new LinkedHashMap<>();
  Optional<String> logFormat = Optional.empty();
  Optional<String> monitorUri = Optional.empty();
  Optional<Ref> defaultBackend = Optional.empty();
  /** default_backend written where it is ignored (a backend): still resolved, as HAProxy does. */
  List<Ref> ignoredBackendRefs = new ArrayList<>();
  List<UseBackendRule> useBackends = new ArrayList<>();
  List<Acl> acls = new ArrayList<>();
  List<HttpRule> requestRules = new ArrayList<>();
  List<HttpRule> responseRules = new ArrayList<>();
  List<Bind> binds = new ArrayList<>();
  List<Server> servers = new ArrayList<>();
  /** Whether each server of {@link #servers} was given an explicit {@code id}. */
  List<Boolean> explicitIds = new ArrayList<>();
  ServerSettings defaultServer = ServerSettings.DEFAULTS;
  StatsSettings stats = StatsSettings.DISABLED;
  boolean hasRules;
  Map<String, Location> origins = new LinkedHashMap<>();
  /** For a defaults section with rules: whether a frontend or a backend already inherited it. */
  boolean usedByFrontend;
  boolean usedByBackend;

  static ProxyBuilder builtIn() {
    ProxyBuilder p = new ProxyBuilder();
    p.kind = "defaults";
    p.name = "";
    p.location = Location.UNKNOWN;
    return p;
  }

  boolean isDefaults() {
    return kind.equals("defaults");
  }

  boolean hasFrontendCap() {
    return kind.equals("frontend") || kind.equals("listen") || isDefaults();
  }

  boolean hasBackendCap() {
    return kind.equals("backend") || kind.equals("listen") || isDefaults();
  }

  /** A new section that inherits what a defaults section carries. */
  ProxyBuilder copyAs(String kind, String name, Location location) {
    ProxyBuilder p = new ProxyBuilder();
    p.kind = kind;
    p.name = name;
    p.location = location;
    p.mode = mode;
    p.balance = balance;
    p.hashType = hashType;
    p.cookie = cookie;
    p.flags = new LinkedHashMap<>(flags);
    p.forwardFor = forwardFor;
    p.redispatch = redispatch;
    p.errorFiles = new LinkedHashMap<>(errorFiles);
    p.logFormat = logFormat;
    p.monitorUri = monitorUri;
    p.httpchk = httpchk;
    p.checkSend = checkSend;
    p.expects = new ArrayList<>(expects);
    p.disableOn404 = disableOn404;
    p.sendState = sendState;
    p.timeouts = timeouts;
    p.retries = retries;
    p.defaultBackend = kind.equals("backend") ? Optional.empty() : defaultBackend;
    p.acls = new ArrayList<>(acls);
    p.requestRules = new ArrayList<>(requestRules);
    p.responseRules = new ArrayList<>(responseRules);
    p.defaultServer = defaultServer;
    p.stats = stats;
    p.origins = new LinkedHashMap<>(origins);
    return p;
  }

  ProxyOptions options() {
    return new ProxyOptions(flags, forwardFor, redispatch, httpchk, errorFiles, logFormat, monitorUri);
  }

  Optional<HttpCheck> httpCheck() {
    if (httpchk.isEmpty() && checkSend.isEmpty() && expects.isEmpty()) {
      return Optional.empty();
    }
    HttpCheck.Request request = checkSend.or(() -> httpchk).orElse(HttpCheck.Request.DEFAULT);
    return Optional.of(new HttpCheck(request, expects, disableOn404, sendState));
  }

  Frontend toFrontend() {
    Optional<String> target = defaultBackend.map(Ref::name);
    if (kind.equals("listen") && target.isEmpty()) {
      target = Optional.of(name);
    }
    return new Frontend(name, location, binds, target, useBackends, acls, requestRules, responseRules, options(),
        timeouts, stats, origins);
  }

  Backend toBackend() {
    return new Backend(name, location, balance, hashType, cookie, options(), timeouts, retries, httpCheck(), acls,
        requestRules, responseRules, servers, stats, kind.equals("listen"), origins);
  }
}
