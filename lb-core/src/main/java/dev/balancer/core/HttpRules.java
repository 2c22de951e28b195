package dev.balancer.core;

import dev.balancer.config.model.Acl;
import dev.balancer.config.model.ForwardFor;
import dev.balancer.config.model.HttpAction;
import dev.balancer.config.model.HttpRule;
import dev.balancer.core.internal.rules.Acls;
import dev.balancer.core.internal.rules.Formats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A proxy's {@code http-request} and {@code http-response} rules, compiled once per configuration
 * and run in order, as HAProxy runs them (reference §8): the first rule that answers ({@code deny},
 * {@code return}, {@code redirect}) ends the request; {@code allow} ends the rules; header rules
 * edit the request (later rules and ACLs see the edit) or the response.
 */
final class HttpRules {

  private record Rule(HttpAction action, Predicate<RequestView> when, String proxy) {}

  static final HttpRules NONE = new HttpRules(List.of(), List.of(), Optional.empty(), false, false, Duration.ZERO);

  private final List<Rule> request;
  private final List<Rule> response;
  private final Optional<ForwardFor> forwardFor;
  /** {@code option forwardfor except NET}, compiled once: clients it names get no header. */
  private final Predicate<RequestView> forwardForExcept;
  /** {@code option http-server-close} or {@code httpclose}: the server gets {@code connection: close}. */
  final boolean serverClose;
  /** {@code option httpclose}: the client's connection is closed after the response too. */
  final boolean clientClose;
  /** How long {@code http-request tarpit} holds a request: {@code timeout tarpit}, else {@code timeout connect}. */
  final Duration tarpit;

  private HttpRules(List<Rule> request, List<Rule> response, Optional<ForwardFor> forwardFor, boolean serverClose,
      boolean clientClose, Duration tarpit) {
    this.tarpit = tarpit;
    this.request = request;
    this.response = response;
    this.forwardFor = forwardFor;
    this.forwardForExcept = forwardFor.flatMap(ForwardFor::except)
        .map(net -> Acls.compile(new Acl("", "src", List.of(), List.of(), List.of(net), dev.balancer.config.Location.UNKNOWN)))
        .orElse(r -> false);
    this.serverClose = serverClose;
    this.clientClose = clientClose;
  }

  static HttpRules of(List<HttpRule> requestRules, List<HttpRule> responseRules, List<Acl> acls,
      dev.balancer.config.model.ProxyOptions options, dev.balancer.config.model.Timeouts timeouts,
      Map<String, dev.balancer.config.model.Userlist> users, String proxy) {
    boolean httpclose = options.enabled("httpclose");
    // HAProxy: "If unset, the value of timeout connect is used"
    Duration tarpit = timeouts.get(dev.balancer.config.model.TimeoutKind.TARPIT)
        .or(() -> timeouts.get(dev.balancer.config.model.TimeoutKind.CONNECT)).orElse(Duration.ZERO);
    return new HttpRules(compile(requestRules, acls, users, proxy), compile(responseRules, acls, users, proxy), options.forwardFor(),
        httpclose || options.enabled("http-server-close"), httpclose, tarpit);
  }

  private static List<Rule> compile(List<HttpRule> rules, List<Acl> acls,
      Map<String, dev.balancer.config.model.Userlist> users, String proxy) {
    List<Rule> out = new ArrayList<>();
    for (HttpRule r : rules) {
      out.add(new Rule(r.typed(), r.condition().map(c -> Acls.compile(c, acls, users)).orElse(x -> true), proxy));
    }
    return List.copyOf(out);
  }

  boolean hasForwardFor() {
    return forwardFor.isPresent();
  }

  boolean hasResponseRules() {
    return !response.isEmpty();
  }

  /** Runs the request rules; returns the local answer (or service) of the rule that gave one, else null. */
  Decision onRequest(EditableRequest req) {
    for (Rule r : request) {
      if (!r.when.test(req)) {
        continue;
      }
      HttpAction a = r.action;
      if (a instanceof HttpAction.Allow) {
        break;
      } else if (a instanceof HttpAction.Deny d) {
        if (d.tarpit()) {
          // held for 'timeout tarpit' first, then answered (500 unless deny_status says otherwise)
          req.tarpit(tarpit);
        }
        return d.reply().map(reply -> reply(d.status(), reply, req)).orElse(Decision.Respond.errorPage(d.status()));
      } else if (a instanceof HttpAction.Other o && o.name().equals("reject")) {
        return Decision.Respond.DROP;
      } else if (a instanceof HttpAction.Other o && o.name().equals("silent-drop")) {
        return Decision.Respond.SILENT_DROP;
      } else if (a instanceof HttpAction.Auth auth) {
        // HAProxy's 401 page with a Basic challenge; the realm defaults to the proxy's name
        Decision.Respond page = Decision.Respond.errorPage(401);
        return new Decision.Respond(401, page.reason(), page.body(), List.of(Map.entry("content-type", "text/html"),
            Map.entry("cache-control", "no-cache"),
            Map.entry("www-authenticate", "Basic realm=\"" + auth.realm().orElse(r.proxy) + "\"")), false);
      } else if (a instanceof HttpAction.Return ret) {
        return reply(ret.status(), ret.reply(), req);
      } else if (a instanceof HttpAction.Redirect redirect) {
        Decision.Respond answer = redirect(redirect, req);
        if (answer != null) {
          return answer;
        }
      } else if (a instanceof HttpAction.SetHeader set) {
        req.edit(new HeaderEdit(set.add() ? HeaderEdit.Kind.ADD : HeaderEdit.Kind.SET, set.name(), Formats.expand(set.format(), req)));
      } else if (a instanceof HttpAction.DelHeader del) {
        req.edit(new HeaderEdit(HeaderEdit.Kind.DEL, del.name(), ""));
      } else if (a instanceof HttpAction.Other o && o.name().equals("use-service") && o.args().equals(List.of("prometheus-exporter"))) {
        return new Decision.Serve("prometheus-exporter", r.proxy);
      }
      // other actions are refused as not supported by the config check
    }
    return null;
  }

  /**
   * {@code option forwardfor}: a new {@code X-Forwarded-For} line with the client's address, unless
   * the client is in {@code except}, or {@code if-none} and the request has one.
   */
  void forwardFor(EditableRequest req) {
    if (forwardFor.isEmpty()) {
      return;
    }
    ForwardFor f = forwardFor.get();
    if (forwardForExcept.test(req)) {
      return;
    }
    if (f.ifNone() && !req.headers(f.header()).isEmpty()) {
      return;
    }
    req.edit(new HeaderEdit(HeaderEdit.Kind.ADD, f.header(), req.clientAddress()));
  }

  /** The response header edits of the rules whose conditions hold for this request. */
  List<HeaderEdit> onResponse(RequestView req) {
    List<HeaderEdit> edits = new ArrayList<>();
    for (Rule r : response) {
      if (!r.when.test(req)) {
        continue;
      }
      if (r.action instanceof HttpAction.Allow) {
        break;
      } else if (r.action instanceof HttpAction.SetHeader set) {
        edits.add(new HeaderEdit(set.add() ? HeaderEdit.Kind.ADD : HeaderEdit.Kind.SET, set.name(), Formats.expand(set.format(), req)));
      } else if (r.action instanceof HttpAction.DelHeader del) {
        edits.add(new HeaderEdit(HeaderEdit.Kind.DEL, del.name(), ""));
      }
    }
    return edits;
  }

  /** {@code return} and a {@code deny} with a reply: HAProxy writes the rule's headers, then the content type. */
  private static Decision.Respond reply(int status, HttpAction.Reply reply, RequestView req) {
    String body = switch (reply.bodyKind()) {
      case STRING -> reply.body();
      case LF_STRING -> Formats.expand(reply.body(), req);
      case FILE, LF_FILE -> read(reply.body(), reply.bodyKind() == HttpAction.BodyKind.LF_FILE, req);
      case NONE -> "";
      default -> Decision.Respond.errorPage(status).body();
    };
    if (reply.bodyKind() == HttpAction.BodyKind.ERRORFILE || reply.bodyKind() == HttpAction.BodyKind.ERRORFILES
        || reply.bodyKind() == HttpAction.BodyKind.DEFAULT_ERRORFILES) {
      return Decision.Respond.errorPage(status);
    }
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    for (HttpAction.Header h : reply.headers()) {
      headers.add(Map.entry(h.name().toLowerCase(Locale.ROOT), Formats.expand(h.value(), req)));
    }
    reply.contentType().ifPresent(t -> headers.add(Map.entry("content-type", t)));
    return new Decision.Respond(status, Decision.Respond.errorPage(status).reason(), body, headers, false);
  }

  private static String read(String file, boolean format, RequestView req) {
    try {
      String text = Files.readString(Path.of(file));
      return format ? Formats.expand(text, req) : text;
    } catch (IOException e) {
      return "";
    }
  }

  /** {@code redirect location|prefix|scheme}: HAProxy's empty answer with a {@code location}. */
  private static Decision.Respond redirect(HttpAction.Redirect r, RequestView req) {
    String pathAndQuery = r.dropQuery() ? req.path() : req.path() + req.query().map(q -> "?" + q).orElse("");
    String target = Formats.expand(r.target(), req);
    String location = switch (r.type()) {
      case LOCATION -> target;
      case PREFIX -> (target.equals("/") ? "" : target) + pathAndQuery;
      case SCHEME -> {
        Optional<String> host = req.header("host");
        yield target + "://" + host.orElse("") + pathAndQuery;
      }
    };
    if (r.ignoreEmpty() && target.isEmpty()) {
      return null;
    }
    if (r.appendSlash() && !location.contains("?") && !location.endsWith("/")) {
      location = location + "/";
    }
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    headers.add(Map.entry("location", location));
    if (r.code() == 302 || r.code() == 303 || r.code() == 307) {
      headers.add(Map.entry("cache-control", "no-cache"));
    }
    r.setCookie().ifPresent(c -> headers.add(Map.entry("set-cookie", c + "; path=/")));
    r.clearCookie().ifPresent(c -> headers.add(Map.entry("set-cookie", c + "; path=/; Max-Age=0; Expires=Thu, 01-Jan-1970 00:00:01 GMT")));
    String reason = switch (r.code()) {
      case 301 -> "Moved Permanently";
      case 302 -> "Found";
      case 303 -> "See Other";
      case 307 -> "Temporary Redirect";
      case 308 -> "Permanent Redirect";
      default -> "Found";
    };
    return new Decision.Respond(r.code(), reason, "", headers, false);
  }
}
