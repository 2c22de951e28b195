package dev.balancer.config.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The expressions of {@code .if} and {@code .elif}: terms {@code defined(V)}, {@code feature(F)},
 * {@code streq(a,b)}, {@code strneq(a,b)}, {@code version_atleast(v)}, {@code version_before(v)}, a
 * number (0 is false) or a string (empty is false), combined with {@code !}, {@code &&},
 * {@code ||} and parentheses.
 */
final class CondExpr {

  /** The HAProxy version whose behaviour Balancer follows, for version_atleast/version_before. */
  static final String EMULATED_VERSION = "2.6.12";

  /** Build features we claim for {@code feature()}: none of HAProxy's optional ones. */
  static final Set<String> FEATURES = Set.of();

  private final String text;
  private final Predicate<String> defined;
  private int pos;

  private CondExpr(String text, Predicate<String> defined) {
    this.text = text;
    this.defined = defined;
  }

  /**
   * Evaluates the words after {@code .if}.
   *
   * @throws IllegalArgumentException with a message naming what is wrong
   */
  static boolean evaluate(List<String> words, Predicate<String> defined) {
    if (words.isEmpty()) {
      throw new IllegalArgumentException("missing condition");
    }
    CondExpr e = new CondExpr(String.join(" ", words), defined);
    boolean v = e.or();
    e.skipBlanks();
    if (e.pos < e.text.length()) {
      throw new IllegalArgumentException("unparsable text after the condition at '" + e.text.substring(e.pos) + "'");
    }
    return v;
  }

  private boolean or() {
    boolean v = and();
    while (consume("||")) {
      boolean r = and();
      v = v || r;
    }
    return v;
  }

  private boolean and() {
    boolean v = unary();
    while (consume("&&")) {
      boolean r = unary();
      v = v && r;
    }
    return v;
  }

  private boolean unary() {
    if (consume("!")) {
      return !unary();
    }
    if (consume("(")) {
      boolean v = or();
      if (!consume(")")) {
        throw new IllegalArgumentException("missing ')' in condition");
      }
      return v;
    }
    return term();
  }

  private boolean term() {
    skipBlanks();
    int start = pos;
    while (pos < text.length() && "()!&| ".indexOf(text.charAt(pos)) < 0) {
      pos++;
    }
    String word = text.substring(start, pos);
    skipBlanks();
    if (pos < text.length() && text.charAt(pos) == '(' && !word.isEmpty()) {
      pos++;
      List<String> args = arguments();
      return function(word, args);
    }
    if (word.isEmpty()) {
      throw new IllegalArgumentException("missing term in condition");
    }
    try {
      return Long.parseLong(word) != 0;
    } catch (NumberFormatException e) {
      return !word.isEmpty();
    }
  }

  private List<String> arguments() {
    List<String> args = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    while (pos < text.length() && text.charAt(pos) != ')') {
      char c = text.charAt(pos++);
      if (c == ',') {
        args.add(cur.toString().trim());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    if (pos >= text.length()) {
      throw new IllegalArgumentException("missing ')' after the arguments of a predicate");
    }
    pos++;
    if (!cur.isEmpty() || !args.isEmpty()) {
      args.add(cur.toString().trim());
    }
    return args;
  }

  private boolean function(String name, List<String> args) {
    return switch (name) {
      case "defined" -> {
        expect(name, args, 1);
        yield defined.test(args.get(0));
      }
      case "feature" -> {
        expect(name, args, 1);
        yield FEATURES.contains(args.get(0));
      }
      case "streq" -> {
        expect(name, args, 2);
        yield args.get(0).equals(args.get(1));
      }
      case "strneq" -> {
        expect(name, args, 2);
        yield !args.get(0).equals(args.get(1));
      }
      case "version_atleast" -> {
        expect(name, args, 1);
        yield compareVersions(EMULATED_VERSION, args.get(0)) >= 0;
      }
      case "version_before" -> {
        expect(name, args, 1);
        yield compareVersions(EMULATED_VERSION, args.get(0)) < 0;
      }
      default -> throw new IllegalArgumentException("unknown predicate '" + name + "' in condition");
    };
  }

  private static void expect(String name, List<String> args, int n) {
    if (args.size() != n) {
      throw new IllegalArgumentException("predicate '" + name + "' expects " + n + " argument" + (n > 1 ? "s" : ""));
    }
  }

  /** Compares dotted versions numerically ({@code 2.6.12} vs {@code 2.10}). */
  static int compareVersions(String a, String b) {
    String[] x = a.split("[.-]");
    String[] y = b.split("[.-]");
    for (int i = 0; i < Math.max(x.length, y.length); i++) {
      int p = i < x.length ? leadingNumber(x[i]) : 0;
      int q = i < y.length ? leadingNumber(y[i]) : 0;
      if (p != q) {
        return Integer.compare(p, q);
      }
    }
    return 0;
  }

  private static int leadingNumber(String s) {
    int i = 0;
    while (i < s.length() && Character.isDigit(s.charAt(i))) {
      i++;
    }
    if (i == 0) {
      throw new IllegalArgumentException("invalid version '" + s + "'");
    }
    return Integer.parseInt(s.substring(0, i));
  }

  private boolean consume(String token) {
    skipBlanks();
    if (text.startsWith(token, pos)) {
      pos += token.length();
      return true;
    }
    return false;
  }

  private void skipBlanks() {
    while (pos < text.length() && text.charAt(pos) == ' ') {
      pos++;
    }
  }
}
