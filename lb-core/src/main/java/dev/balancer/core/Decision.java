package dev.balancer.core;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** What to do with one request, as decided by {@link Balancer#decide}. */
public sealed interface Decision {

  /** Send the request to the leased server; release the lease when the exchange ends. */
  record Forward(Lease lease) implements Decision {}

  /**
   * Answer with one of the balancer's own services: {@code stats} (the stats page of {@code proxy},
   * whose {@code stats uri} the request matched) or {@code prometheus-exporter} ({@code http-request
   * use-service prometheus-exporter}).
   */
  record Serve(String service, String proxy) implements Decision {
    public Serve {
      Objects.requireNonNull(service, "service");
      Objects.requireNonNull(proxy, "proxy");
    }
  }

  /**
   * Answer locally, without a server.
   *
   * @param status the HTTP status, e.g. 503
   * @param reason the reason phrase
   * @param body the body
   * @param headers the response's own headers, in order ({@code content-length} is the proxy's)
   * @param errorPage whether this is one of HAProxy's error pages, sent with {@code cache-control:
   *     no-cache} and {@code content-type: text/html} instead of headers of its own
   */
  record Respond(int status, String reason, String body, List<Map.Entry<String, String>> headers, boolean errorPage)
      implements Decision {

    public Respond {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(body, "body");
      headers = List.copyOf(headers);
    }

    /** An answer with HAProxy's error-page headers. */
    public Respond(int status, String reason, String body) {
      this(status, reason, body, List.of(), true);
    }

    /** HAProxy's answer when no server can take the request. */
    public static final Respond NO_SERVER = errorPage(503);

    /**
     * No answer: the client's connection is closed ({@code http-request reject}). Its status is 0,
     * which {@link #drop()} tells apart; its reason names the action.
     */
    public static final Respond DROP = new Respond(0, "reject", "", List.of(), false);

    /**
     * No answer, and the connection reset rather than closed ({@code http-request silent-drop};
     * HAProxy goes further and keeps even the reset from the client).
     */
    public static final Respond SILENT_DROP = new Respond(0, "silent-drop", "", List.of(), false);

    /** Whether this is no answer at all but a closed connection ({@link #DROP}, {@link #SILENT_DROP}). */
    public boolean drop() {
      return status == 0;
    }

    /** HAProxy's answer when a request waited in the queue longer than {@code timeout queue}. */
    public static final Respond QUEUE_TIMEOUT = errorPage(503);

    /**
     * An {@code errorfile}: a whole HTTP response as written in the file (status line, headers,
     * blank line, body), sent instead of HAProxy's page.
     */
    public static Respond fromErrorFile(int status, String raw) {
      String text = raw.replace("\r\n", "\n");
      int split = text.indexOf("\n\n");
      String head = split < 0 ? text : text.substring(0, split);
      String body = split < 0 ? "" : text.substring(split + 2);
      String[] lines = head.split("\n");
      String[] statusLine = lines[0].split(" ", 3);
      int code = status;
      try {
        code = Integer.parseInt(statusLine[1]);
      } catch (RuntimeException e) {
        // HAProxy sends the file as it is; we keep the status it was meant for
      }
      java.util.List<Map.Entry<String, String>> headers = new java.util.ArrayList<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon > 0 && !lines[i].substring(0, colon).trim().equalsIgnoreCase("content-length")) {
          headers.add(Map.entry(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim()));
        }
      }
      return new Respond(code, statusLine.length > 2 ? statusLine[2] : errorPage(code).reason(), body, headers, false);
    }

    /** HAProxy 2.6's own page for a status it can answer with (deny_status, errors), as it writes it. */
    public static Respond errorPage(int status) {
      String[] rm = switch (status) {
        case 200 -> new String[] {"OK", "Service ready."};
        case 400 -> new String[] {"Bad request", "Your browser sent an invalid request."};
        case 401 -> new String[] {"Unauthorized", "You need a valid user and password to access this content."};
        case 403 -> new String[] {"Forbidden", "Request forbidden by administrative rules."};
        case 404 -> new String[] {"Not Found", "The resource could not be found."};
        case 405 -> new String[] {"Method Not Allowed",
            "A request was made of a resource using a request method not supported by that resource"};
        case 407 -> new String[] {"Unauthorized", "You need a valid user and password to access this content."};
        case 408 -> new String[] {"Request Time-out", "Your browser didn't send a complete request in time."};
        case 410 -> new String[] {"Gone", "The resource is no longer available and will not be available again."};
        case 413 -> new String[] {"Payload Too Large", "The request entity exceeds the maximum allowed."};
        case 425 -> new String[] {"Too Early", "Your browser sent early data."};
        case 429 -> new String[] {"Too Many Requests", "You have sent too many requests in a given amount of time."};
        case 500 -> new String[] {"Internal Server Error", "An internal server error occurred."};
        case 501 -> new String[] {"Not Implemented",
            ".The server does not support the functionality required to fulfill the request."};
        case 502 -> new String[] {"Bad Gateway", "The server returned an invalid or incomplete response."};
        case 503 -> new String[] {"Service Unavailable", "No server is available to handle this request."};
        case 504 -> new String[] {"Gateway Time-out", "The server didn't respond in time."};
        default -> new String[] {"Error", "An error occurred."};
      };
      return new Respond(status, rm[0], "<html><body><h1>" + status + " " + rm[0] + "</h1>\n" + rm[1] + "\n</body></html>\n");
    }
  }
}
