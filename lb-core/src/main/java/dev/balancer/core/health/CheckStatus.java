package dev.balancer.core.health;

/** A health check's outcome, named as HAProxy names it on its stats page. */
public enum CheckStatus {
  /** Layer 4 (TCP connect) check passed. */
  L4OK(true, "Layer4 check passed"),
  /** Layer 4 timeout: the connection did not open in time. */
  L4TOUT(false, "Layer4 timeout"),
  /** Layer 4 connection problem: refused, unreachable. */
  L4CON(false, "Layer4 connection problem"),
  /** Layer 7 check passed. */
  L7OK(true, "Layer7 check passed"),
  /** Layer 7 check conditionally passed: {@code http-check disable-on-404} saw a 404. */
  L7OKC(true, "Layer7 check conditionally passed"),
  /** Layer 7 timeout: no complete response in time. */
  L7TOUT(false, "Layer7 timeout"),
  /** Layer 7 invalid response: malformed, cut, or failing an {@code expect} on the body. */
  L7RSP(false, "Layer7 invalid response"),
  /** Layer 7 wrong status: the status code failed the expectation. */
  L7STS(false, "Layer7 wrong status"),
  /** Health analyze: passive checks ({@code observe}) saw too many consecutive errors. */
  HANA(false, "Health analyze");

  private final boolean success;
  private final String description;

  CheckStatus(boolean success, String description) {
    this.success = success;
    this.description = description;
  }

  /** Whether the check counts as a success. */
  public boolean success() {
    return success;
  }

  /** HAProxy's words for it, as in its logs ({@code Layer4 connection problem}). */
  public String description() {
    return description;
  }
}
