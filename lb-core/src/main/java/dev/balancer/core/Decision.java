package dev.balancer.core;

/** What to do with one request, as decided by {@link Balancer#decide}. */
public sealed interface Decision {

  /** Send the request to the leased server; release the lease when the exchange ends. */
  record Forward(Lease lease) implements Decision {}

  /**
   * Answer locally, without a server.
   *
   * @param status the HTTP status, e.g. 503
   * @param reason the reason phrase
   * @param body the HTML body HAProxy would send
   */
  record Respond(int status, String reason, String body) implements Decision {

    /** HAProxy's answer when no server can take the request. */
    public static final Respond NO_SERVER = new Respond(503, "Service Unavailable",
        "<html><body><h1>503 Service Unavailable</h1>\n"
            + "No server is available to handle this request.\n</body></html>\n");

    /** HAProxy's answer when a request waited in the queue longer than {@code timeout queue}. */
    public static final Respond QUEUE_TIMEOUT = new Respond(503, "Service Unavailable", NO_SERVER.body());
  }
}
