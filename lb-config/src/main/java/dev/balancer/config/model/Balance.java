package dev.balancer.config.model;

/** The {@code balance} algorithm of a backend. HAProxy's default is {@link #ROUND_ROBIN}. */
public enum Balance {
  /** {@code balance roundrobin}: HAProxy's weighted round robin (FWRR). */
  ROUND_ROBIN("roundrobin");

  private final String keyword;

  Balance(String keyword) {
    this.keyword = keyword;
  }

  /** The word used in {@code haproxy.cfg}. */
  public String keyword() {
    return keyword;
  }
}
