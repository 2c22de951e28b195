package dev.balancer.core;

import dev.balancer.config.model.CookieSettings;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Cookie persistence as HAProxy 2.6 does it ({@code cookie NAME insert ...}, reference §6). A
 * request whose cookie names a server that may take persistent traffic goes there (DRAIN, weight 0
 * and backup servers keep their clients; DOWN and MAINT ones lose them unless {@code option
 * persist}); any other is balanced, and the response then sets the cookie of the server chosen.
 */
final class Persistence {

  /** HAProxy's expired cookie, for a client whose server has no cookie value. */
  static final String EXPIRED = "Expires=Thu, 01-Jan-1970 00:00:01 GMT";

  private Persistence() {}

  static CompletableFuture<Decision> decide(BackendRuntime be, CookieSettings cookie, RequestView request) {
    Optional<String> sent = request.cookie(cookie.name()).map(v -> cookie.mode() == CookieSettings.Mode.PREFIX
        ? v.substring(0, Math.max(0, v.indexOf('~'))) : v);
    boolean persist = be.config().options().enabled("persist");
    BackendServer target = null;
    if (sent.isPresent()) {
      for (BackendServer s : be.servers()) {
        if (s.config().settings().cookie().filter(sent.get()::equals).isPresent()
            && s.takesPersistentRequests(persist)) {
          target = s;
          break;
        }
      }
    }
    CompletableFuture<Decision> f = target != null ? be.leaseOn(target) : be.lease(request);
    boolean post = request.method().equals("POST");
    return f.thenApply(d -> {
      if (d instanceof Decision.Forward fw) {
        Lease lease = fw.lease();
        Optional<String> value = lease.server().config().settings().cookie();
        Optional<String> set = Optional.empty();
        if (cookie.mode() == CookieSettings.Mode.INSERT && (!cookie.postonly() || post)) {
          if (value.isPresent() && !value.equals(sent)) {
            set = Optional.of(header(cookie, value.get()));
          } else if (value.isEmpty() && sent.isPresent()) {
            set = Optional.of(cookie.name() + "=; " + EXPIRED + "; path=/");
          }
        }
        boolean strip = cookie.indirect() && sent.isPresent();
        lease.persistence(set, strip ? Optional.of(cookie.name()) : Optional.empty(), cookie.nocache());
      }
      return d;
    });
  }

  /** {@code NAME=value; path=/} and the attributes, in HAProxy's order. */
  static String header(CookieSettings c, String value) {
    StringBuilder b = new StringBuilder(c.name()).append('=').append(value).append("; path=/");
    for (String d : c.domains()) {
      b.append("; domain=").append(d);
    }
    if (c.httponly()) {
      b.append("; HttpOnly");
    }
    if (c.secure()) {
      b.append("; Secure");
    }
    for (String a : c.attributes()) {
      b.append("; ").append(a);
    }
    return b.toString();
  }
}
