package dev.balancer.jetty.stats;

import dev.balancer.core.stats.StatsRow;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The stats page: one table per proxy (frontend line, servers, backend line) with HAProxy's column
 * groups and its state colours, readable at a glance on a laptop screen and without JavaScript.
 * With {@code stats admin}, each backend's table is a form with HAProxy's fields ({@code s},
 * {@code action}, {@code b}) to set servers READY, DRAIN or MAINT, or their health UP or DOWN.
 */
final class StatsPage {

  private StatsPage() {}

  /** What one rendering needs besides the rows. */
  record View(String uri, String title, boolean admin, String token, String message, boolean hideVersion,
      String reload, long refreshSeconds) {}

  static String render(List<StatsRow> rows, View v) {
    StringBuilder b = new StringBuilder(16384);
    b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<title>").append(esc(v.title())).append("</title>\n<style>\n").append(CSS).append("</style></head>\n<body>\n")
        .append("<header><h1>").append(esc(v.title())).append("</h1><p class=\"meta\">Balancer")
        .append(v.hideVersion() ? "" : " " + esc(version())).append(" &middot; ")
        .append(esc(java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss z", java.util.Locale.ROOT)
            .format(java.time.ZonedDateTime.now()))).append(" &middot; ")
        .append(v.refreshSeconds() > 0 ? "refreshes every " + v.refreshSeconds() + " s" : "no auto refresh")
        .append("</p>\n");
    if (!v.reload().isEmpty()) {
      b.append("<p class=\"reload\">").append(esc(v.reload())).append("</p>\n");
    }
    if (!v.message().isEmpty()) {
      b.append("<p class=\"msg\" id=\"message\">").append(esc(v.message())).append("</p>\n");
    }
    b.append(LEGEND).append("</header>\n<main>\n");
    Map<String, List<StatsRow>> byProxy = new LinkedHashMap<>();
    for (StatsRow r : rows) {
      byProxy.computeIfAbsent(r.proxy(), k -> new ArrayList<>()).add(r);
    }
    byProxy.forEach((proxy, list) -> table(b, proxy, list, v));
    return b.append("</main>\n</body></html>\n").toString();
  }

  private static void table(StringBuilder b, String proxy, List<StatsRow> rows, View v) {
    boolean hasServers = rows.stream().anyMatch(r -> r.type() == StatsRow.SERVER);
    boolean form = v.admin() && hasServers;
    b.append("<section id=\"").append(esc(proxy)).append("\"><h2>").append(esc(proxy)).append("</h2>\n");
    if (form) {
      b.append("<form method=\"post\" action=\"").append(esc(v.uri())).append("\">\n")
          .append("<input type=\"hidden\" name=\"b\" value=\"").append(esc(proxy)).append("\">\n")
          .append("<input type=\"hidden\" name=\"token\" value=\"").append(esc(v.token())).append("\">\n");
    }
    b.append("<table>\n<thead><tr>").append(form ? "<th rowspan=\"2\"></th>" : "")
        .append("<th rowspan=\"2\" class=\"name\"></th><th colspan=\"2\">Queue</th><th colspan=\"3\">Session rate</th>")
        .append("<th colspan=\"4\">Sessions</th>")
        .append("<th colspan=\"2\">Bytes</th><th colspan=\"2\">Denied</th><th colspan=\"3\">Errors</th>")
        .append("<th colspan=\"2\">Warnings</th><th colspan=\"4\">Responses</th>")
        .append("<th colspan=\"8\">Server</th></tr>\n<tr>")
        .append("<th>Cur</th><th>Max</th>")
        .append("<th>Cur</th><th>Max</th><th>Limit</th>")
        .append("<th>Cur</th><th>Max</th><th>Limit</th><th>Total</th>")
        .append("<th>In</th><th>Out</th><th>Req</th><th>Resp</th><th>Req</th><th>Conn</th><th>Resp</th>")
        .append("<th>Retr</th><th>Redis</th><th>2xx</th><th>3xx</th><th>4xx</th><th>5xx</th>")
        .append("<th>Status</th><th>Last check</th><th>Wght</th><th>Act</th><th>Bck</th><th>Chk</th><th>Dwn</th>")
        .append("<th>Dwntme</th></tr></thead>\n<tbody>\n");
    for (StatsRow r : rows) {
      String status = r.text("status");
      String css = r.type() == StatsRow.FRONTEND ? "frontend" : r.type() == StatsRow.BACKEND ? "backend"
          : cssClass(status, r.number("bck") == 1);
      b.append("<tr class=\"").append(css).append("\" data-server=\"").append(esc(r.service())).append("\">");
      if (form) {
        b.append("<td>");
        if (r.type() == StatsRow.SERVER) {
          b.append("<input type=\"checkbox\" name=\"s\" value=\"").append(esc(r.service())).append("\" aria-label=\"select ")
              .append(esc(r.service())).append("\">");
        }
        b.append("</td>");
      }
      b.append("<th class=\"name\">").append(esc(r.service()));
      if (r.type() == StatsRow.SERVER) {
        b.append("<span class=\"addr\">").append(esc(r.text("addr"))).append("</span>");
      }
      b.append("</th>");
      cells(b, r, "qcur", "qmax", "rate", "rate_max", "rate_lim", "scur", "smax", "slim", "stot");
      b.append("<td>").append(bytes(r.number("bin"))).append("</td><td>").append(bytes(r.number("bout"))).append("</td>");
      cells(b, r, "dreq", "dresp", "ereq", "econ", "eresp", "wretr", "wredis", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx");
      b.append("<td class=\"status\">").append(r.type() == StatsRow.SERVER || r.type() == StatsRow.BACKEND
          ? duration(r.number("lastchg")) + " " : "").append("<b>").append(esc(status)).append("</b></td>");
      String check = "";
      if (r.get("check_status") != null) {
        check = r.text("check_status") + (r.get("check_code") != null ? "/" + r.text("check_code") : "")
            + " in " + r.text("check_duration") + "ms" + (r.text("last_chk").isEmpty() ? "" : " (" + r.text("last_chk") + ")");
      }
      b.append("<td class=\"check\">").append(esc(check)).append("</td>");
      if (r.type() == StatsRow.FRONTEND) {
        b.append("<td></td><td></td><td></td><td></td><td></td><td></td>");
      } else {
        b.append("<td>").append(r.text("weight")).append("</td><td>").append(r.type() == StatsRow.SERVER
            ? (r.number("act") == 1 ? "Y" : "-") : r.text("act")).append("</td><td>").append(r.type() == StatsRow.SERVER
            ? (r.number("bck") == 1 ? "Y" : "-") : r.text("bck")).append("</td>");
        cells(b, r, "chkfail", "chkdown");
        b.append("<td>").append(r.get("downtime") == null ? "" : duration(r.number("downtime"))).append("</td>");
      }
      b.append("</tr>\n");
    }
    b.append("</tbody></table>\n");
    if (form) {
      b.append("<p class=\"actions\"><label>Choose the action to perform on the checked servers: <select name=\"action\">")
          .append("<option value=\"\"></option>")
          .append("<option value=\"ready\">Set state to READY</option>")
          .append("<option value=\"drain\">Set state to DRAIN</option>")
          .append("<option value=\"maint\">Set state to MAINT</option>")
          .append("<option value=\"hrunn\">Health: force UP</option>")
          .append("<option value=\"hnolb\">Health: force NOLB</option>")
          .append("<option value=\"hdown\">Health: force DOWN</option>")
          .append("</select></label> <button type=\"submit\">Apply</button></p>\n</form>\n");
    }
    b.append("</section>\n");
  }

  private static void cells(StringBuilder b, StatsRow r, String... columns) {
    for (String c : columns) {
      b.append("<td>").append(esc(r.text(c))).append("</td>");
    }
  }

  /** HAProxy's row classes: {@code active_up}, {@code active_down}, {@code backup_going_down}... */
  static String cssClass(String status, boolean backup) {
    String state;
    if (status.startsWith("MAINT")) {
      state = "maint";
    } else if (status.startsWith("DRAIN")) {
      state = "draining";
    } else if (status.startsWith("NOLB")) {
      state = "nolb";
    } else if (status.equals("no check")) {
      state = "no_check";
    } else if (status.startsWith("UP ")) {
      state = "going_down";
    } else if (status.startsWith("UP")) {
      state = "up";
    } else if (status.startsWith("DOWN ")) {
      state = "going_up";
    } else {
      state = "down";
    }
    return state.equals("maint") ? "maintain" : (backup ? "backup_" : "active_") + state;
  }

  static String duration(long seconds) {
    if (seconds < 60) {
      return seconds + "s";
    }
    if (seconds < 3600) {
      return seconds / 60 + "m" + seconds % 60 + "s";
    }
    if (seconds < 86400) {
      return seconds / 3600 + "h" + seconds % 3600 / 60 + "m";
    }
    return seconds / 86400 + "d" + seconds % 86400 / 3600 + "h";
  }

  static String bytes(long n) {
    if (n < 10_000) {
      return String.valueOf(n);
    }
    if (n < 10_000_000) {
      return n / 1000 + "k";
    }
    return n / 1_000_000 + "M";
  }

  static String esc(String s) {
    return com.google.common.html.HtmlEscapers.htmlEscaper().escape(s);
  }

  private static String version() {
    String v = StatsPage.class.getPackage().getImplementationVersion();
    return v == null ? "" : v;
  }

  private static final String LEGEND = "<ul class=\"legend\">"
      + "<li class=\"active_up\">active UP</li><li class=\"backup_up\">backup UP</li>"
      + "<li class=\"active_going_down\">active UP, going down</li><li class=\"active_going_up\">active DOWN, going up</li>"
      + "<li class=\"active_down\">active or backup DOWN</li><li class=\"active_nolb\">NOLB</li>"
      + "<li class=\"active_draining\">DRAIN</li><li class=\"maintain\">MAINT</li>"
      + "<li class=\"active_no_check\">not checked</li></ul>\n";

  /** HAProxy's colours for the states, on a layout that fits a laptop screen. */
  private static final String CSS = """
      body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; font-size: 12px;
             margin: 1rem 1.5rem; color: #1d1d1f; background: #fafafa; }
      header h1 { font-size: 1.5rem; margin: 0 0 .25rem; color: #6020a0; }
      .meta, .reload { color: #555; margin: .2rem 0; }
      .reload { color: #a00; font-weight: bold; }
      .msg { background: #fff3c4; border: 1px solid #e0c050; padding: .4rem .6rem; display: inline-block; }
      .legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .4rem; margin: .5rem 0 1rem; }
      .legend li { padding: .15rem .5rem; border: 1px solid #ccc; border-radius: 3px; }
      section { margin-bottom: 1.25rem; }
      h2 { font-size: 1.05rem; margin: 0; padding: .3rem .6rem; background: #20a0a0; color: #fff;
           display: inline-block; border-radius: 4px 4px 0 0; }
      table { border-collapse: collapse; width: 100%; background: #fff; box-shadow: 0 1px 2px rgba(0,0,0,.1); }
      th, td { border: 1px solid #d8d8d8; padding: .15rem .3rem; text-align: right; white-space: nowrap; }
      td.check { white-space: normal; min-width: 9rem; }
      thead th { background: #e8e8d0; font-weight: 600; text-align: center; }
      th.name { text-align: left; min-width: 8rem; }
      .addr { display: block; font-weight: normal; color: #555; font-size: 10px; }
      td.status, td.check { text-align: left; }
      .frontend th, .frontend td, .backend th, .backend td { background: #e8e8d0; font-weight: 600; }
      .active_up { background: #c0ffc0; } .active_going_down { background: #ffffa0; }
      .active_going_up { background: #ffd020; } .active_down { background: #ff9090; }
      .active_nolb { background: #20a0ff; } .active_draining { background: #20a0ff; }
      .active_no_check { background: #e0e0e0; } .backup_up { background: #b0d0ff; }
      .backup_going_down { background: #c060ff; } .backup_going_up { background: #ff80ff; }
      .backup_down { background: #ff9090; } .backup_nolb { background: #90b0e0; }
      .backup_draining { background: #cc9900; } .backup_no_check { background: #e0e0e0; }
      .maintain { background: #c07820; }
      .actions { margin: .4rem 0; }
      """;
}
