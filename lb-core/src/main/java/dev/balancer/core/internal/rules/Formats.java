package dev.balancer.core.internal.rules;

import dev.balancer.core.RequestView;

/**
 * HAProxy's log-format strings where rules use them ({@code set-header}, {@code return lf-string},
 * {@code redirect location}): text, {@code %[fetch(args),converter]}, {@code %ci} (client
 * address), {@code %fp} (frontend port) and {@code %%}. Other {@code %} variables are kept as
 * written.
 */
public final class Formats {

  private Formats() {}

  public static String expand(String format, RequestView r) {
    if (format.indexOf('%') < 0) {
      return format;
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < format.length(); i++) {
      char c = format.charAt(i);
      if (c != '%' || i + 1 >= format.length()) {
        b.append(c);
        continue;
      }
      char n = format.charAt(i + 1);
      if (n == '%') {
        b.append('%');
        i++;
      } else if (n == '[') {
        int end = format.indexOf(']', i);
        if (end < 0) {
          b.append(format, i, format.length());
          break;
        }
        b.append(Acls.sample(format.substring(i + 2, end), r));
        i = end;
      } else if (format.startsWith("ci", i + 1)) {
        b.append(r.clientAddress());
        i += 2;
      } else if (format.startsWith("fp", i + 1)) {
        b.append(r.localPort());
        i += 2;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}
