package dev.balancer.config.model;

import dev.balancer.config.Location;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A {@code userlist} section: users for {@code http_auth()} and {@code http-request auth}.
 *
 * @param users by name
 */
public record Userlist(String name, Map<String, User> users, Location location) {

  public Userlist {
    Objects.requireNonNull(name, "name");
    users = Map.copyOf(users);
    Objects.requireNonNull(location, "location");
  }

  /**
   * {@code user NAME password HASH | insecure-password PASS [groups G,...]}, with the groups that
   * name it in {@code group G users NAME,...} too.
   *
   * @param password a crypt(3) hash, or the password itself when {@code insecure}
   */
  public record User(String name, String password, boolean insecure, List<String> groups) {
    public User {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(password, "password");
      groups = List.copyOf(groups);
    }
  }
}
