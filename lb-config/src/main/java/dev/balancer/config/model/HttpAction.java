package dev.balancer.config.model;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The typed action of an {@code http-request} or {@code http-response} rule. Actions Balancer does
 * not model in detail are {@link Other}, with their words.
 */
public sealed interface HttpAction {

  /** {@code allow}: stop evaluating rules, let the request through. */
  record Allow() implements HttpAction {}

  /**
   * {@code deny} or {@code tarpit}.
   *
   * @param status {@code deny_status}/{@code status} (403 for deny, 500 for tarpit)
   */
  record Deny(boolean tarpit, int status, Optional<Reply> reply) implements HttpAction {
    public Deny {
      Objects.requireNonNull(reply, "reply");
    }
  }

  /** {@code return [status N] ...}: answer locally (status 200 by default). */
  record Return(int status, Reply reply) implements HttpAction {
    public Return {
      Objects.requireNonNull(reply, "reply");
    }
  }

  /**
   * A locally built response.
   *
   * @param body the text of {@code string}/{@code lf-string}, the path of {@code file}/{@code lf-file}
   *     or {@code errorfile}, the name of {@code errorfiles}; empty for none
   */
  record Reply(Optional<String> contentType, BodyKind bodyKind, String body, List<Header> headers) {
    public Reply {
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(bodyKind, "bodyKind");
      Objects.requireNonNull(body, "body");
      headers = List.copyOf(headers);
    }
  }

  /** Where a reply's body comes from. */
  enum BodyKind {
    NONE,
    STRING,
    LF_STRING,
    FILE,
    LF_FILE,
    ERRORFILE,
    ERRORFILES,
    DEFAULT_ERRORFILES
  }

  /** A header name and its (log-format) value. */
  record Header(String name, String value) {}

  /** {@code redirect location|prefix|scheme TARGET [code N] [options]}. */
  record Redirect(
      RedirectType type,
      String target,
      int code,
      boolean dropQuery,
      boolean appendSlash,
      boolean ignoreEmpty,
      Optional<String> setCookie,
      Optional<String> clearCookie) implements HttpAction {

    /** HAProxy's default redirect code. */
    public static final int DEFAULT_CODE = 302;

    public Redirect {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(setCookie, "setCookie");
      Objects.requireNonNull(clearCookie, "clearCookie");
    }
  }

  enum RedirectType {
    LOCATION,
    PREFIX,
    SCHEME
  }

  /** {@code set-header} (replaces) or {@code add-header} (adds a line); the value is a log-format. */
  record SetHeader(String name, String format, boolean add) implements HttpAction {}

  /** {@code del-header NAME [-m METHOD]}. */
  record DelHeader(String name, Optional<String> matchMethod) implements HttpAction {
    public DelHeader {
      Objects.requireNonNull(matchMethod, "matchMethod");
    }
  }

  /** {@code replace-header} (whole line) or {@code replace-value} (each comma-separated value). */
  record ReplaceHeader(String name, String regex, String replacement, boolean valueOnly) implements HttpAction {}

  /** {@code set-path}, {@code set-pathq}, {@code set-query}, {@code set-uri}, {@code set-method}. */
  record SetPart(Part part, String format) implements HttpAction {}

  enum Part {
    PATH,
    PATHQ,
    QUERY,
    URI,
    METHOD
  }

  /** {@code set-status CODE [reason TEXT]} (responses). */
  record SetStatus(int status, Optional<String> reason) implements HttpAction {
    public SetStatus {
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** {@code set-var(scope.name) EXPR} or {@code set-var-fmt(scope.name) FORMAT}. */
  record SetVar(String variable, String expression, boolean format) implements HttpAction {}

  /** {@code auth [realm NAME]}. */
  record Auth(Optional<String> realm) implements HttpAction {
    public Auth {
      Objects.requireNonNull(realm, "realm");
    }
  }

  /** Any other action, with its words. */
  record Other(String name, List<String> args) implements HttpAction {
    public Other {
      args = List.copyOf(args);
    }
  }
}
