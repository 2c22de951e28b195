package dev.balancer.core;

import dev.balancer.config.model.Frontend;
import dev.balancer.config.model.UseBackendRule;
import dev.balancer.core.internal.rules.Acls;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A frontend's choice of backend: its {@code use_backend} rules in order, the first whose condition
 * holds wins; else its {@code default_backend}; else none (HAProxy's 503). Compiled once per
 * configuration.
 */
final class Router {

  private record Rule(String backend, Predicate<RequestView> condition) {}

  private final List<Rule> rules;
  private final Optional<String> defaultBackend;

  private Router(List<Rule> rules, Optional<String> defaultBackend) {
    this.rules = rules;
    this.defaultBackend = defaultBackend;
  }

  static Router of(Frontend fe, java.util.Map<String, dev.balancer.config.model.Userlist> users) {
    List<Rule> rules = new ArrayList<>();
    for (UseBackendRule u : fe.useBackends()) {
      if (u.dynamic()) {
        continue; // refused by the config check: never reached
      }
      rules.add(new Rule(u.backend(), u.condition().map(c -> Acls.compile(c, fe.acls(), users)).orElse(r -> true)));
    }
    return new Router(List.copyOf(rules), fe.defaultBackend());
  }

  /** The backend for a request, or null when none takes it. */
  String backend(RequestView request) {
    for (Rule r : rules) {
      if (r.condition.test(request)) {
        return r.backend;
      }
    }
    return defaultBackend.orElse(null);
  }
}
