package dev.balancer.config.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Splits one line into words the way HAProxy 2.6 does: blanks separate words, an unprotected
 * {@code #} starts a comment anywhere, backslash escapes work outside single quotes, double quotes
 * protect blanks and expand {@code $VAR}, {@code ${VAR}}, {@code ${VAR-default}} (default only when
 * unset) and {@code ${VAR[*]}} (split into words), single quotes protect everything, and pieces join
 * into one word ({@code "a b"'c'\ d} is one word).
 */
final class Tokenizer {

  /** A line that cannot be split, with the 0-based column where the trouble starts. */
  static final class TokenizeException extends Exception {
    private static final long serialVersionUID = 1L;
    final int column;

    TokenizeException(String message, int column) {
      super(message);
      this.column = column;
    }
  }

  private final Function<String, String> env;

  Tokenizer(Function<String, String> env) {
    this.env = env;
  }

  static Tokenizer withEnvironment(Map<String, String> env) {
    return new Tokenizer(env::get);
  }

  List<String> split(String line) throws TokenizeException {
    return new Split(line).run();
  }

  /** Expands {@code $VAR}, {@code ${VAR}} and {@code ${VAR-default}} in an unquoted word. */
  String expandUnquoted(String word) {
    if (word.indexOf('$') < 0) {
      return word;
    }
    try {
      List<String> out = new Split("\"" + word.replace("\\", "\\\\").replace("\"", "\\\"") + "\"").run();
      return out.isEmpty() ? "" : String.join(" ", out);
    } catch (TokenizeException e) {
      return word;
    }
  }

  private final class Split {
    final String line;
    final List<String> words = new ArrayList<>();
    StringBuilder word;

    Split(String line) {
      this.line = line;
    }

    List<String> run() throws TokenizeException {
      int i = 0;
      int n = line.length();
      while (i < n) {
        char c = line.charAt(i);
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
          endWord();
          i++;
          continue;
        }
        if (c == '#') {
          break;
        }
        if (word == null) {
          word = new StringBuilder();
        }
        if (c == '\\') {
          i = escape(i);
        } else if (c == '\'') {
          int end = line.indexOf('\'', i + 1);
          if (end < 0) {
            throw new TokenizeException("unmatched quote", i);
          }
          word.append(line, i + 1, end);
          i = end + 1;
        } else if (c == '"') {
          int start = i;
          i++;
          while (true) {
            if (i >= n) {
              throw new TokenizeException("unmatched quote", start);
            }
            char d = line.charAt(i);
            if (d == '"') {
              i++;
              break;
            } else if (d == '\\') {
              i = escape(i);
            } else if (d == '$') {
              i = variable(i);
            } else {
              word.append(d);
              i++;
            }
          }
        } else {
          word.append(c);
          i++;
        }
      }
      endWord();
      return words;
    }

    private void endWord() {
      if (word != null) {
        words.add(word.toString());
        word = null;
      }
    }

    /** Appends the escaped character at {@code i} (a backslash); returns the index after it. */
    private int escape(int i) throws TokenizeException {
      if (i + 1 >= line.length()) {
        word.append('\\');
        return i + 1;
      }
      char e = line.charAt(i + 1);
      switch (e) {
        case ' ', '#', '\\', '\'', '"', '$' -> word.append(e);
        case 'n' -> word.append('\n');
        case 'r' -> word.append('\r');
        case 't' -> word.append('\t');
        case 'x' -> {
          if (i + 4 > line.length()) {
            throw new TokenizeException("truncated or invalid hexadecimal sequence", i);
          }
          try {
            word.append((char) Integer.parseInt(line.substring(i + 2, i + 4), 16));
          } catch (NumberFormatException ex) {
            throw new TokenizeException("truncated or invalid hexadecimal sequence", i);
          }
          return i + 4;
        }
        default -> word.append('\\').append(e);
      }
      return i + 2;
    }

    /** Expands the variable at {@code i} (a dollar sign) inside double quotes. */
    private int variable(int i) throws TokenizeException {
      int n = line.length();
      if (i + 1 < n && line.charAt(i + 1) == '{') {
        int close = line.indexOf('}', i + 2);
        if (close < 0) {
          throw new TokenizeException("missing '}' after '${'", i);
        }
        String inner = line.substring(i + 2, close);
        boolean splitWords = inner.endsWith("[*]");
        if (splitWords) {
          inner = inner.substring(0, inner.length() - 3);
        }
        String name = inner;
        String fallback = null;
        int dash = inner.indexOf('-');
        if (dash >= 0) {
          name = inner.substring(0, dash);
          fallback = inner.substring(dash + 1);
        }
        String value = env.apply(name);
        if (value == null) {
          value = fallback == null ? "" : fallback;
        }
        if (splitWords) {
          String[] parts = value.trim().split("[ \t]+");
          for (int k = 0; k < parts.length; k++) {
            if (k > 0) {
              endWord();
              word = new StringBuilder();
            }
            word.append(parts[k]);
          }
        } else {
          word.append(value);
        }
        return close + 1;
      }
      int j = i + 1;
      while (j < n && (Character.isLetterOrDigit(line.charAt(j)) || line.charAt(j) == '_' || (j == i + 1 && line.charAt(j) == '.'))) {
        j++;
      }
      if (j == i + 1) {
        word.append('$');
        return j;
      }
      String value = env.apply(line.substring(i + 1, j));
      word.append(value == null ? "" : value);
      return j;
    }
  }
}
