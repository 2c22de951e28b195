package dev.balancer.config.internal;

import dev.balancer.config.Location;
import dev.balancer.config.internal.ProxyParser.Bad;
import dev.balancer.config.model.Acl;
import dev.balancer.config.model.Condition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** ACL bodies and {@code if}/{@code unless} conditions, checked as HAProxy checks them. */
final class Conditions {

  /** The fetches Balancer evaluates (lb-core's {@code Acls}); an ACL on another never matches. */
  static final java.util.Set<String> EVALUATED = java.util.Set.of("path", "path_beg", "path_end", "path_sub", "path_dir",
      "path_dom", "path_reg", "path_len", "url", "url_beg", "url_end", "url_sub", "url_dir", "url_dom", "url_reg",
      "url_len", "url_param", "urlp", "urlp_beg", "urlp_end", "urlp_sub", "urlp_reg", "hdr", "hdr_beg", "hdr_end",
      "hdr_sub", "hdr_dir", "hdr_dom", "hdr_reg", "hdr_len", "hdr_cnt", "hdr_val", "req.hdr", "req.fhdr", "req.hdr_cnt",
      "req.fhdr_cnt", "req.hdr_val", "req.cook", "req.cookie", "cook", "cook_beg", "cook_end", "cook_sub", "cook_reg",
      "cook_cnt", "req.cook_cnt", "method", "meth", "src", "dst_port", "req.ver", "req_ver", "req.proto_http",
      "req_proto_http", "always_true", "always_false", "base", "base_beg", "base_end", "base_sub", "base_reg", "query",
      "req.len", "req_len", "ssl_fc", "wait_end", "req.rdp_cookie_cnt", "http_auth", "http_auth_group", "hdr_ip", "req.hdr_ip");

  private final Parser parser;

  Conditions(Parser parser) {
    this.parser = parser;
  }

  /**
   * Parses {@code FETCH[(ARGS)] [FLAGS] [VALUES]} for an ACL named {@code name} (empty for an
   * anonymous one).
   */
  Acl aclBody(String name, List<String> words, Location at) {
    String expr = words.get(0);
    String fetch = expr;
    List<String> fetchArgs = List.of();
    int paren = expr.indexOf('(');
    if (paren >= 0) {
      if (!expr.endsWith(")")) {
        throw new Bad(aclError(name) + "missing closing ')' after arguments to fetch keyword '" + expr.substring(0, paren) + "' in ACL expression '" + expr + "'.");
      }
      fetch = expr.substring(0, paren);
      String inner = expr.substring(paren + 1, expr.length() - 1);
      fetchArgs = inner.isEmpty() ? List.of() : List.of(inner.split(",", -1));
    }
    int comma = fetch.indexOf(',');
    if (comma >= 0) {
      fetch = fetch.substring(0, comma);
    }
    if (!Keywords.isFetch(fetch)) {
      String hint = Suggestions.closest(fetch, Keywords.FETCHES).map(s -> "; did you mean '" + s + "' maybe ?").orElse("");
      throw new Bad(aclError(name) + "unknown fetch method '" + fetch + "' in ACL expression '" + expr + "'" + hint + ".");
    }
    if (!EVALUATED.contains(fetch)) {
      parser.warning(at, "fetch '" + fetch + "' is not supported yet: the ACL using it never matches");
    }
    List<String> flags = new ArrayList<>();
    int i = 1;
    while (i < words.size() && words.get(i).startsWith("-") && words.get(i).length() > 1) {
      String f = words.get(i);
      switch (f) {
        case "-i", "-n", "-M" -> flags.add(f);
        case "--" -> {
          flags.add(f);
          i++;
          return new Acl(name, fetch, fetchArgs, flags, words.subList(i, words.size()), at);
        }
        case "-f", "-m", "-u" -> {
          if (i + 1 >= words.size()) {
            throw new Bad(aclError(name) + "missing argument after '" + f + "'.");
          }
          String v = words.get(i + 1);
          if (f.equals("-m") && !Keywords.MATCH_METHODS.contains(v)) {
            throw new Bad(aclError(name) + "unknown matching method '" + v + "' when parsing ACL expression '" + expr + "'.");
          }
          if (f.equals("-f") && !Files.isReadable(Path.of(v))) {
            throw new Bad(aclError(name) + "failed to open pattern file <" + v + ">.");
          }
          flags.add(f);
          flags.add(v);
          i++;
        }
        default -> {
          if (Character.isDigit(f.charAt(1))) {
            // a negative number is a value, not a flag
            return new Acl(name, fetch, fetchArgs, flags, words.subList(i, words.size()), at);
          }
          throw new Bad(aclError(name) + "'" + f + "' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'.");
        }
      }
      i++;
    }
    return new Acl(name, fetch, fetchArgs, flags, words.subList(i, words.size()), at);
  }

  private static String aclError(String name) {
    return name.isEmpty() ? "error detected while parsing an anonymous ACL : " : "error detected while parsing ACL '" + name + "' : ";
  }

  /**
   * Parses {@code if|unless TERMS}: names of ACLs declared so far in the proxy (or predefined),
   * {@code !} to negate, {@code ||} or {@code or} between alternatives, {@code { ... }} for an
   * anonymous ACL.
   */
  Condition parse(ProxyBuilder p, Location at, String where, List<String> words) {
    boolean unless = words.get(0).equals("unless");
    List<List<Condition.Term>> alternatives = new ArrayList<>();
    List<Condition.Term> group = new ArrayList<>();
    boolean negate = false;
    int i = 1;
    if (words.size() == 1) {
      throw new Bad("error detected while parsing an '" + where + "' condition : missing condition after '" + words.get(0) + "'.");
    }
    while (i < words.size()) {
      String w = words.get(i);
      if (w.equals("!")) {
        negate = !negate;
        i++;
      } else if (w.equals("||") || w.equals("or")) {
        if (group.isEmpty()) {
          throw new Bad("error detected while parsing an '" + where + "' condition : missing term before '" + w + "'.");
        }
        alternatives.add(group);
        group = new ArrayList<>();
        i++;
      } else if (w.equals("{")) {
        int close = words.subList(i, words.size()).indexOf("}");
        if (close < 0) {
          throw new Bad("error detected while parsing an '" + where + "' condition : missing closing '}' in condition.");
        }
        List<String> body = words.subList(i + 1, i + close);
        if (body.isEmpty()) {
          throw new Bad("error detected while parsing an '" + where + "' condition : empty anonymous ACL.");
        }
        group.add(new Condition.Term(negate, "", Optional.of(aclBody("", body, at))));
        negate = false;
        i += close + 1;
      } else {
        String name = w.startsWith("!") ? w.substring(1) : w;
        boolean neg = negate ^ w.startsWith("!");
        boolean known = Keywords.PREDEFINED_ACLS.contains(name) || p.acls.stream().anyMatch(a -> a.name().equals(name));
        if (!known) {
          throw new Bad("error detected while parsing an '" + where + "' condition : no such ACL : '" + name + "'.");
        }
        group.add(new Condition.Term(neg, name, Optional.empty()));
        negate = false;
        i++;
      }
    }
    if (group.isEmpty()) {
      throw new Bad("error detected while parsing an '" + where + "' condition : missing term at the end of the condition.");
    }
    alternatives.add(group);
    return new Condition(unless, alternatives);
  }
}
