package dev.balancer.config.model;

import java.util.Objects;
import java.util.Optional;

/**
 * A backend's {@code balance} line, typed.
 *
 * @param parameter the header ({@code hdr(NAME)}), URL parameter ({@code url_param NAME}), cookie
 *     ({@code rdp-cookie(NAME)}) or expression ({@code hash EXPR}) the algorithm reads
 * @param uriLength {@code uri len N}: characters hashed, 0 = all
 * @param uriDepth {@code uri depth N}: directories hashed, 0 = all
 * @param uriWhole {@code uri whole}: hash the query too
 * @param uriPathOnly {@code uri path-only}: hash the path without the authority
 * @param useDomainOnly {@code hdr(NAME) use_domain_only}
 * @param checkPost {@code url_param NAME check_post [N]}: look into POST bodies too
 * @param randomDraws {@code random(N)}: draws, the least loaded wins (2)
 */
public record Balance(
    Algorithm algorithm,
    Optional<String> parameter,
    int uriLength,
    int uriDepth,
    boolean uriWhole,
    boolean uriPathOnly,
    boolean useDomainOnly,
    boolean checkPost,
    int randomDraws) {

  /** HAProxy's default: {@code balance roundrobin}. */
  public static final Balance ROUND_ROBIN = of(Algorithm.ROUND_ROBIN);

  public Balance {
    Objects.requireNonNull(algorithm, "algorithm");
    Objects.requireNonNull(parameter, "parameter");
  }

  /** An algorithm with no arguments. */
  public static Balance of(Algorithm algorithm) {
    return new Balance(algorithm, Optional.empty(), 0, 0, false, false, false, false, 2);
  }

  /** The algorithms HAProxy 2.6 knows. */
  public enum Algorithm {
    ROUND_ROBIN("roundrobin"),
    STATIC_RR("static-rr"),
    LEASTCONN("leastconn"),
    FIRST("first"),
    SOURCE("source"),
    URI("uri"),
    URL_PARAM("url_param"),
    HDR("hdr"),
    RANDOM("random"),
    RDP_COOKIE("rdp-cookie"),
    HASH("hash");

    private final String keyword;

    Algorithm(String keyword) {
      this.keyword = keyword;
    }

    /** The word used in {@code haproxy.cfg}. */
    public String keyword() {
      return keyword;
    }
  }
}
