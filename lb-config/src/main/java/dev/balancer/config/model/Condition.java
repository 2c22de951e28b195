package dev.balancer.config.model;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An {@code if}/{@code unless} condition: an OR of ANDs of terms, as HAProxy reads it
 * ({@code if a b || !c} is {@code (a AND b) OR (NOT c)}).
 *
 * @param unless whether the condition was introduced by {@code unless}
 * @param alternatives the OR-ed groups, each an AND of terms
 */
public record Condition(boolean unless, List<List<Term>> alternatives) {

  public Condition {
    alternatives = alternatives.stream().map(List::copyOf).toList();
  }

  /**
   * One term: a named ACL (declared in the proxy, or predefined such as {@code METH_GET}) or an
   * anonymous one, possibly negated.
   */
  public record Term(boolean negated, String aclName, Optional<Acl> anonymous) {
    public Term {
      Objects.requireNonNull(aclName, "aclName");
      Objects.requireNonNull(anonymous, "anonymous");
    }
  }
}
