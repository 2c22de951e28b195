package dev.balancer.config.internal;

import dev.balancer.config.internal.ProxyParser.Bad;
import dev.balancer.config.model.HttpAction;
import dev.balancer.config.model.HttpRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Types the arguments of {@code http-request}/{@code http-response} actions, as HAProxy checks them. */
final class HttpActions {

  private static final Set<Integer> REDIRECT_CODES = Set.of(301, 302, 303, 307, 308);
  private static final Set<String> VAR_SCOPES = Set.of("proc", "sess", "txn", "req", "res", "check");

  private HttpActions() {}

  /**
   * @param where {@code frontend 'fe'}, for messages
   * @param rule {@code http-request deny}, for messages
   */
  static HttpAction parse(HttpRule.Phase phase, String action, List<String> args, String where, String rule) {
    try {
      return parse(phase, action, args);
    } catch (Bad e) {
      throw new Bad("error detected in " + where + " while parsing '" + rule + "' rule : " + e.getMessage());
    }
  }

  private static HttpAction parse(HttpRule.Phase phase, String action, List<String> args) {
    String base = action.contains("(") ? action.substring(0, action.indexOf('(')) : action;
    return switch (base) {
      case "allow" -> {
        none(args);
        yield new HttpAction.Allow();
      }
      case "deny", "tarpit" -> deny(base.equals("tarpit"), args);
      case "return" -> {
        int[] status = {200};
        HttpAction.Reply reply = reply(args, status, false);
        yield new HttpAction.Return(status[0], reply);
      }
      case "redirect" -> redirect(args);
      case "set-header", "add-header" -> {
        exactly(args, 2, "expects exactly 2 arguments.");
        yield new HttpAction.SetHeader(args.get(0), args.get(1), base.equals("add-header"));
      }
      case "del-header" -> {
        if (args.isEmpty()) {
          throw new Bad("expects at least 1 argument.");
        }
        Optional<String> method = Optional.empty();
        if (args.size() == 3 && args.get(1).equals("-m")) {
          if (!Set.of("str", "beg", "end", "sub", "reg").contains(args.get(2))) {
            throw new Bad("-m: unsupported matching method '" + args.get(2) + "'.");
          }
          method = Optional.of(args.get(2));
        } else if (args.size() != 1) {
          throw new Bad("expects exactly 1 argument or 3 with '-m'.");
        }
        yield new HttpAction.DelHeader(args.get(0), method);
      }
      case "replace-header", "replace-value" -> {
        exactly(args, 3, "expects exactly 3 arguments.");
        yield new HttpAction.ReplaceHeader(args.get(0), args.get(1), args.get(2), base.equals("replace-value"));
      }
      case "set-path", "set-pathq", "set-query", "set-uri", "set-method" -> {
        exactly(args, 1, "expects exactly 1 argument <format>.");
        HttpAction.Part part = switch (base) {
          case "set-path" -> HttpAction.Part.PATH;
          case "set-pathq" -> HttpAction.Part.PATHQ;
          case "set-query" -> HttpAction.Part.QUERY;
          case "set-uri" -> HttpAction.Part.URI;
          default -> HttpAction.Part.METHOD;
        };
        yield new HttpAction.SetPart(part, args.get(0));
      }
      case "set-status" -> {
        if (args.isEmpty()) {
          throw new Bad("expects an integer status code between 100 and 999.");
        }
        int code = status(args.get(0), 100, 999, "expects an integer status code between 100 and 999.");
        Optional<String> reason = Optional.empty();
        if (args.size() == 3 && args.get(1).equals("reason")) {
          reason = Optional.of(args.get(2));
        } else if (args.size() != 1) {
          throw new Bad("expects only 'reason' <text> after the status code.");
        }
        yield new HttpAction.SetStatus(code, reason);
      }
      case "set-var", "set-var-fmt" -> {
        String name = action.contains("(") && action.endsWith(")") ? action.substring(action.indexOf('(') + 1, action.length() - 1) : "";
        int dot = name.indexOf('.');
        if (dot < 0 || !VAR_SCOPES.contains(name.substring(0, dot))) {
          throw new Bad("invalid variable name '" + name + "'. A variable name must be start by its scope. The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'.");
        }
        if (args.isEmpty()) {
          throw new Bad("expects an expression.");
        }
        yield new HttpAction.SetVar(name, String.join(" ", args), base.equals("set-var-fmt"));
      }
      case "auth" -> {
        Optional<String> realm = Optional.empty();
        if (args.size() == 2 && args.get(0).equals("realm")) {
          realm = Optional.of(args.get(1));
        } else if (!args.isEmpty()) {
          throw new Bad("expects only 'realm' <name>.");
        }
        yield new HttpAction.Auth(realm);
      }
      default -> new HttpAction.Other(action, args);
    };
  }

  private static HttpAction deny(boolean tarpit, List<String> args) {
    int[] status = {tarpit ? 500 : 403};
    List<String> rest = new ArrayList<>(args);
    if (rest.size() >= 2 && rest.get(0).equals("deny_status")) {
      status[0] = status(rest.get(1), 200, 599, "Unexpected status code '" + rest.get(1) + "'.");
      rest = rest.subList(2, rest.size());
    }
    if (rest.isEmpty()) {
      return new HttpAction.Deny(tarpit, status[0], Optional.empty());
    }
    HttpAction.Reply reply = reply(rest, status, true);
    return new HttpAction.Deny(tarpit, status[0], Optional.of(reply));
  }

  /** The reply arguments of deny and return: status, content-type, one body source, headers. */
  private static HttpAction.Reply reply(List<String> args, int[] status, boolean deny) {
    Optional<String> contentType = Optional.empty();
    HttpAction.BodyKind kind = HttpAction.BodyKind.NONE;
    String body = "";
    List<HttpAction.Header> headers = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      switch (a) {
        case "status" -> status[0] = status(arg(args, ++i, a), 200, 599, "Unexpected status code '" + args.get(i) + "'.");
        case "content-type" -> contentType = Optional.of(arg(args, ++i, a));
        case "string", "lf-string", "file", "lf-file", "errorfile", "errorfiles" -> {
          if (kind != HttpAction.BodyKind.NONE) {
            throw new Bad("'" + a + "' : payload already defined.");
          }
          kind = HttpAction.BodyKind.valueOf(a.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
          body = arg(args, ++i, a);
        }
        case "default-errorfiles" -> kind = HttpAction.BodyKind.DEFAULT_ERRORFILES;
        case "hdr" -> {
          String name = arg(args, ++i, a);
          headers.add(new HttpAction.Header(name, arg(args, ++i, a + " " + name)));
        }
        default -> throw new Bad("'" + a + "' : unknown keyword (expects 'status', 'content-type', 'hdr', 'string', 'lf-string', 'file', 'lf-file', 'errorfile', 'errorfiles' or 'default-errorfiles').");
      }
    }
    boolean payload = kind == HttpAction.BodyKind.STRING || kind == HttpAction.BodyKind.LF_STRING
        || kind == HttpAction.BodyKind.FILE || kind == HttpAction.BodyKind.LF_FILE;
    if (payload && contentType.isEmpty()) {
      throw new Bad("a content type must be defined when non-empty payload is configured.");
    }
    return new HttpAction.Reply(contentType, kind, body, headers);
  }

  private static HttpAction redirect(List<String> args) {
    HttpAction.RedirectType type = null;
    String target = null;
    int code = HttpAction.Redirect.DEFAULT_CODE;
    boolean dropQuery = false;
    boolean appendSlash = false;
    boolean ignoreEmpty = false;
    Optional<String> setCookie = Optional.empty();
    Optional<String> clearCookie = Optional.empty();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      switch (a) {
        case "location", "prefix", "scheme" -> {
          type = HttpAction.RedirectType.valueOf(a.toUpperCase(java.util.Locale.ROOT));
          target = arg(args, ++i, a);
        }
        case "code" -> {
          String c = arg(args, ++i, a);
          int n;
          try {
            n = Integer.parseInt(c);
          } catch (NumberFormatException e) {
            n = -1;
          }
          if (!REDIRECT_CODES.contains(n)) {
            throw new Bad("'code': unsupported HTTP code '" + c + "' (must be one of 301, 302, 303, 307 or 308).");
          }
          code = n;
        }
        case "drop-query" -> dropQuery = true;
        case "append-slash" -> appendSlash = true;
        case "ignore-empty" -> ignoreEmpty = true;
        case "set-cookie" -> setCookie = Optional.of(arg(args, ++i, a));
        case "clear-cookie" -> clearCookie = Optional.of(arg(args, ++i, a));
        default -> throw new Bad("expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query', 'ignore-empty' or 'append-slash' (was '" + a + "').");
      }
    }
    if (type == null) {
      throw new Bad("redirect: expects 'location', 'prefix' or 'scheme'.");
    }
    return new HttpAction.Redirect(type, target, code, dropQuery, appendSlash, ignoreEmpty, setCookie, clearCookie);
  }

  /** Checks a redirect written as a proxy keyword ({@code redirect location /x if ...}). */
  static void checkRedirect(List<String> args) {
    redirect(args);
  }

  private static String arg(List<String> args, int i, String what) {
    if (i >= args.size()) {
      throw new Bad("missing argument for '" + what + "'.");
    }
    return args.get(i);
  }

  private static int status(String text, int min, int max, String message) {
    try {
      int n = Integer.parseInt(text);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new Bad(message);
  }

  private static void exactly(List<String> args, int n, String message) {
    if (args.size() != n) {
      throw new Bad(message);
    }
  }

  private static void none(List<String> args) {
    if (!args.isEmpty()) {
      throw new Bad("expects no argument (got '" + args.get(0) + "').");
    }
  }
}
