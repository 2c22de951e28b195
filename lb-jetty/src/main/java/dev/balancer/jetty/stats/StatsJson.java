package dev.balancer.jetty.stats;

import dev.balancer.core.stats.StatsCsv;
import dev.balancer.core.stats.StatsRow;
import java.util.List;
import java.util.Set;

/**
 * HAProxy's {@code ;json} stats: an array with one array per row, each holding one object per
 * filled field, {@code {"objType":"Server","proxyId":3,"id":1,"field":{"pos":17,"name":"status"},
 * "processNum":1,"tags":{...},"value":{"type":"str","value":"UP"}}}.
 */
final class StatsJson {

  private static final Set<String> TEXT = Set.of("pxname", "svname", "status", "check_status", "last_chk", "check_desc",
      "addr", "cookie", "mode", "algo");

  private static final org.eclipse.jetty.util.ajax.JSON JSON_WRITER = new org.eclipse.jetty.util.ajax.JSON();

  private StatsJson() {}

  static String render(List<StatsRow> rows) {
    StringBuilder b = new StringBuilder("[");
    boolean firstRow = true;
    for (StatsRow r : rows) {
      b.append(firstRow ? "" : ",").append('[');
      firstRow = false;
      String objType = switch (r.type()) {
        case StatsRow.FRONTEND -> "Frontend";
        case StatsRow.BACKEND -> "Backend";
        default -> "Server";
      };
      boolean first = true;
      for (int pos = 0; pos < StatsCsv.COLUMNS.size(); pos++) {
        String name = StatsCsv.COLUMNS.get(pos);
        Object v = r.get(name);
        if (v == null) {
          continue;
        }
        b.append(first ? "" : ",");
        first = false;
        b.append("{\"objType\":\"").append(objType).append("\",\"proxyId\":").append(r.number("iid"))
            .append(",\"id\":").append(r.number("sid")).append(",\"field\":{\"pos\":").append(pos)
            .append(",\"name\":\"").append(name).append("\"},\"processNum\":1,\"tags\":{\"origin\":\"")
            .append(name.equals("pxname") || name.equals("svname") ? "Key" : TEXT.contains(name) ? "Status" : "Metric")
            .append("\",\"nature\":\"").append(TEXT.contains(name) ? "Output" : "Counter")
            .append("\",\"scope\":\"Process\"},\"value\":");
        if (v instanceof Number n && !TEXT.contains(name)) {
          b.append("{\"type\":\"u64\",\"value\":").append(n.longValue()).append("}}");
        } else {
          b.append("{\"type\":\"str\",\"value\":").append(JSON_WRITER.toJSON(v.toString())).append("}}");
        }
      }
      b.append(']');
    }
    return b.append("]\n").toString();
  }
}
