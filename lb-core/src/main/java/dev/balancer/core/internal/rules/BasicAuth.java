package dev.balancer.core.internal.rules;

import dev.balancer.config.model.Userlist;
import dev.balancer.core.RequestView;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Optional;
import org.apache.commons.codec.digest.Crypt;

/**
 * HTTP Basic authentication against a {@code userlist}, as {@code http_auth()} does it: the
 * {@code Authorization} header's user must be in the list, and its password must match the
 * {@code insecure-password} (compared in constant time) or the crypt(3) {@code password} hash
 * (SHA-512 {@code $6$}, SHA-256 {@code $5$}, MD5 {@code $1$} and DES, through Apache Commons Codec).
 */
public final class BasicAuth {

  private BasicAuth() {}

  /** The authenticated user of the request, if its credentials are valid for the list. */
  public static Optional<Userlist.User> user(RequestView r, Userlist list) {
    if (list == null) {
      return Optional.empty();
    }
    Optional<String> header = r.header("authorization");
    if (header.isEmpty() || !header.get().regionMatches(true, 0, "Basic ", 0, 6)) {
      return Optional.empty();
    }
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(header.get().substring(6).trim()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    int colon = decoded.indexOf(':');
    if (colon < 0) {
      return Optional.empty();
    }
    Userlist.User user = list.users().get(decoded.substring(0, colon));
    String password = decoded.substring(colon + 1);
    return user != null && matches(user, password) ? Optional.of(user) : Optional.empty();
  }

  static boolean matches(Userlist.User user, String password) {
    if (user.password().isEmpty()) {
      return false;
    }
    String expected = user.insecure() ? user.password() : crypt(password, user.password());
    String given = user.insecure() ? password : user.password();
    return expected != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
  }

  private static String crypt(String password, String hash) {
    try {
      return Crypt.crypt(password, hash);
    } catch (IllegalArgumentException e) {
      return null; // not a hash crypt(3) knows: nobody gets in
    }
  }
}
