package dev.balancer.core;

import dev.balancer.config.model.CookieSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Cookie persistence as HAProxy 2.6 does it ({@code cookie NAME insert|rewrite|prefix ...},
 * reference §6). A request whose cookie names a server that may take persistent traffic goes there
 * (DRAIN, weight 0 and backup servers keep their clients; DOWN and MAINT ones lose them unless
 * {@code option persist}); any other is balanced. What the server sees and what the client gets
 * back is then {@link CookieAction}'s work, with the texts verified on HAProxy 2.6.12:
 *
 * <ul>
 *   <li>{@code insert}: our {@code Set-Cookie} for a client whose cookie did not name the server,
 *       the server's own cookie of that name removed ({@code preserve} keeps it, and then we insert
 *       nothing); {@code indirect} hides the cookie from the server; {@code maxidle}/{@code
 *       maxlife} add dates ({@code c1|last|first}) that expire the cookie and are refreshed.
 *   <li>{@code rewrite}: the server sets the cookie; its value becomes the server's cookie value.
 *   <li>{@code prefix}: the server's cookie value gets {@code c1~} in front; the prefix is removed
 *       from what the client sends back before the server sees it.
 * </ul>
 */
final class Persistence {

  /** HAProxy's expired cookie, for a client whose server has no cookie value. */
  static final String EXPIRED = "Expires=Thu, 01-Jan-1970 00:00:01 GMT";

  /** A date more than this far in the future makes a cookie invalid (HAProxy: 24 hours). */
  private static final long FUTURE_LIMIT = 86_400;

  private static final String B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

  private Persistence() {}

  static CompletableFuture<Decision> decide(BackendRuntime be, CookieSettings cookie, RequestView request, long now) {
    return decide(be, cookie, request, now, null);
  }

  /** As above; the balance algorithm passes over {@code avoid} when no cookie names the server. */
  static CompletableFuture<Decision> decide(BackendRuntime be, CookieSettings cookie, RequestView request, long now,
      BackendServer avoid) {
    Sent sent = Sent.parse(cookie, request.cookie(cookie.name()), now);
    boolean persist = be.config().options().enabled("persist");
    BackendServer target = null;
    if (sent.valid()) {
      for (BackendServer s : be.servers()) {
        if (s.config().settings().cookie().filter(sent.value::equals).isPresent() && s.takesPersistentRequests(persist)) {
          target = s;
          break;
        }
      }
    }
    CompletableFuture<Decision> f = target != null ? be.leaseOn(target) : be.lease(request, avoid);
    boolean post = request.method().equals("POST");
    return Futures.map(f, d -> {
      if (d instanceof Decision.Forward fw) {
        Lease lease = fw.lease();
        lease.cookies(new CookieAction(cookie, lease.server().config().settings().cookie(), sent, post, now));
      }
      return d;
    });
  }

  /** What the client sent: the server's value, and the dates of an {@code insert} cookie. */
  record Sent(boolean present, String value, long last, long first, boolean expired) {

    static final Sent NONE = new Sent(false, "", 0, 0, false);

    boolean valid() {
      return present && !expired;
    }

    static Sent parse(CookieSettings c, Optional<String> raw, long now) {
      if (raw.isEmpty()) {
        return NONE;
      }
      String v = raw.get();
      switch (c.mode()) {
        case PREFIX -> {
          // HAProxy compares the part before '~', or the whole value when there is none
          int tilde = v.indexOf('~');
          return new Sent(true, tilde < 0 ? v : v.substring(0, tilde), 0, 0, false);
        }
        case REWRITE -> {
          return new Sent(true, v, 0, 0, false);
        }
        default -> {
          String[] parts = v.split("\\|", -1);
          long last = parts.length > 1 ? decode(parts[1]) : 0;
          long first = parts.length > 2 ? decode(parts[2]) : 0;
          boolean expired = false;
          if (c.maxidle().isPresent() && last > 0) {
            expired = last - now > FUTURE_LIMIT || now - last > c.maxidle().get().toSeconds();
          }
          if (c.maxlife().isPresent() && first > 0) {
            expired |= first - now > FUTURE_LIMIT || now - first > c.maxlife().get().toSeconds();
          }
          return new Sent(true, parts[0], last, first, expired);
        }
      }
    }
  }

  /** HAProxy's cookie date: seconds / 4, rounded up, in 5 base64 characters. */
  static String encode(long epochSeconds) {
    long v = (epochSeconds + 3) >> 2;
    char[] out = new char[5];
    for (int i = 4; i >= 0; i--) {
      out[i] = B64.charAt((int) (v & 63));
      v >>= 6;
    }
    return new String(out);
  }

  /** The seconds a cookie date stands for, or 0 if it is not one. */
  static long decode(String s) {
    if (s.length() != 5) {
      return 0;
    }
    long v = 0;
    for (int i = 0; i < 5; i++) {
      int d = B64.indexOf(s.charAt(i));
      if (d < 0) {
        return 0;
      }
      v = (v << 6) | d;
    }
    return v << 2;
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

  /** The cookie work of one request: on the {@code Cookie} header going out, on the {@code Set-Cookie}s coming back. */
  static final class CookieAction {
    private final CookieSettings c;
    private final Optional<String> serverValue;
    private final Sent sent;
    private final boolean post;
    private final long now;

    CookieAction(CookieSettings c, Optional<String> serverValue, Sent sent, boolean post, long now) {
      this.c = c;
      this.serverValue = serverValue;
      this.sent = sent;
      this.post = post;
      this.now = now;
    }

    boolean nocache() {
      return c.nocache();
    }

    /** Every two-letter flag string, so that logging one makes no string. */
    private static final String[][] FLAGS = new String[26][26];

    static {
      for (char a = 'A'; a <= 'Z'; a++) {
        for (char b = 'A'; b <= 'Z'; b++) {
          FLAGS[a - 'A'][b - 'A'] = ("" + a + b).intern();
        }
      }
    }

    /** What the last {@link #responseCookies} did, as HAProxy's log writes it (4th termination character). */
    private volatile char responseFlag = 'N';

    /**
     * Characters 3 and 4 of HAProxy's termination state: the request's cookie (N none, V valid, E
     * expired, I invalid or for another server) and what the response did with it (N nothing, I
     * inserted, U updated, P preserved, R rewritten, D deleted).
     */
    String logFlags() {
      char req = !sent.present ? 'N' : stuck() ? 'V' : sent.expired ? 'E' : 'I';
      return FLAGS[req - 'A'][responseFlag - 'A'];
    }

    /** The client's cookie named the server it got. */
    boolean stuck() {
      return sent.valid() && serverValue.filter(sent.value::equals).isPresent();
    }

    /** The {@code Cookie} header the server sees; empty when nothing is left of it. */
    String forwardCookie(String header) {
      boolean strip = c.mode() == CookieSettings.Mode.INSERT && c.indirect() && sent.present;
      if (!strip && c.mode() != CookieSettings.Mode.PREFIX) {
        return header;
      }
      StringBuilder b = new StringBuilder();
      for (String part : header.split(";")) {
        String p = part.trim();
        if (p.isEmpty()) {
          continue;
        }
        if (p.startsWith(c.name() + "=")) {
          if (strip) {
            continue;
          }
          int tilde = p.indexOf('~');
          if (tilde > 0) {
            p = c.name() + "=" + p.substring(tilde + 1);
          }
        }
        if (b.length() > 0) {
          b.append("; ");
        }
        b.append(p);
      }
      return b.toString();
    }

    /** The {@code Set-Cookie} headers the client gets, from those the server sent. */
    List<String> responseCookies(List<String> fromServer) {
      List<String> out = new ArrayList<>(fromServer.size() + 1);
      boolean serverSetOurs = false;
      for (String sc : fromServer) {
        if (!named(sc)) {
          out.add(sc);
          continue;
        }
        serverSetOurs = true;
        switch (c.mode()) {
          case INSERT -> {
            if (c.preserve()) {
              out.add(sc);
            }
          }
          case REWRITE, PREFIX -> {
            if (c.indirect() && stuck()) {
              continue; // indirect: a client that has a valid cookie gets none again
            }
            out.add(serverValue.map(v -> replaceValue(sc, c.mode() == CookieSettings.Mode.PREFIX ? v + "~" + value(sc) : v))
                .orElse(sc));
          }
        }
      }
      char flag = serverSetOurs ? (c.mode() == CookieSettings.Mode.INSERT ? (c.preserve() ? 'P' : 'N') : 'R') : 'N';
      if (c.mode() == CookieSettings.Mode.INSERT && !(serverSetOurs && c.preserve()) && (!c.postonly() || post)) {
        Optional<String> ins = inserted();
        if (ins.isPresent()) {
          out.add(ins.get());
          flag = serverValue.isEmpty() ? 'D' : stuck() ? 'U' : 'I'; // no server value: the cookie is deleted
        }
      }
      responseFlag = flag;
      return out;
    }

    private Optional<String> inserted() {
      boolean dated = c.maxidle().isPresent() || c.maxlife().isPresent();
      if (serverValue.isEmpty()) {
        return sent.present ? Optional.of(c.name() + "=; " + EXPIRED + "; path=/") : Optional.empty();
      }
      boolean stays = sent.valid() && sent.value.equals(serverValue.get());
      // a valid cookie is sent again only to refresh its date, or to remove dates no longer configured
      if (stays && (dated ? sent.last >= now : sent.last == 0 && sent.first == 0)) {
        return Optional.empty();
      }
      StringBuilder v = new StringBuilder(serverValue.get());
      if (dated) {
        v.append('|').append(encode(now));
        if (c.maxlife().isPresent()) {
          v.append('|').append(stays && sent.first > 0 ? encode(sent.first) : encode(now));
        }
      }
      return Optional.of(header(c, v.toString()));
    }

    private boolean named(String setCookie) {
      int eq = setCookie.indexOf('=');
      return eq > 0 && setCookie.substring(0, eq).trim().equals(c.name());
    }

    private static String value(String setCookie) {
      int eq = setCookie.indexOf('=');
      int semi = setCookie.indexOf(';', eq);
      return setCookie.substring(eq + 1, semi < 0 ? setCookie.length() : semi).trim();
    }

    private static String replaceValue(String setCookie, String value) {
      int eq = setCookie.indexOf('=');
      int semi = setCookie.indexOf(';', eq);
      return setCookie.substring(0, eq + 1) + value + (semi < 0 ? "" : setCookie.substring(semi));
    }
  }
}
