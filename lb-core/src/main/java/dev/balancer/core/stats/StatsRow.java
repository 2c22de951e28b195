package dev.balancer.core.stats;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;

/**
 * One line of HAProxy's stats: a frontend, a backend or a server, with its fields named as the CSV
 * columns name them ({@code scur}, {@code status}, {@code hrsp_2xx}...). A field we do not fill is
 * absent and shows as an empty CSV cell.
 *
 * @param type 0 frontend, 1 backend, 2 server (HAProxy's {@code type} column)
 */
public record StatsRow(String proxy, String service, int type, Map<String, Object> fields) {

  public static final int FRONTEND = 0;
  public static final int BACKEND = 1;
  public static final int SERVER = 2;

  public StatsRow {
    Objects.requireNonNull(proxy, "proxy");
    Objects.requireNonNull(service, "service");
    fields = Collections.unmodifiableMap(new java.util.LinkedHashMap<>(fields));
  }

  /** A field's value, or null when we do not fill it. */
  public Object get(String column) {
    return fields.get(column);
  }

  /** A numeric field, 0 when absent. */
  public long number(String column) {
    return fields.get(column) instanceof Number n ? n.longValue() : 0;
  }

  /** A text field, empty when absent. */
  public String text(String column) {
    Object v = fields.get(column);
    return v == null ? "" : v.toString();
  }
}
