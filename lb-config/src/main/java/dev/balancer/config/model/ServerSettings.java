package dev.balancer.config.model;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The tunable part of a {@code server} line, which {@code default-server} also sets. The defaults are
 * HAProxy 2.6's ({@link #DEFAULTS}).
 *
 * @param check {@code check}: health checks on
 * @param checkPort {@code port}: checks go to this port
 * @param checkAddr {@code addr}: checks go to this address
 * @param inter {@code inter}: check interval when up (2s)
 * @param fastinter {@code fastinter}: interval in transition (default inter)
 * @param downinter {@code downinter}: interval when down (default inter)
 * @param rise {@code rise}: successes to go up (2)
 * @param fall {@code fall}: failures to go down (3)
 * @param weight {@code weight}: 0 to 256 (1)
 * @param disabled {@code disabled}: starts in maintenance
 * @param backup {@code backup}: used only when no active server is usable
 * @param maxconn {@code maxconn}: concurrent requests, 0 = no limit
 * @param maxqueue {@code maxqueue}: queued requests, 0 = no limit
 * @param minconn {@code minconn}: dynamic maxconn floor
 * @param slowstart {@code slowstart}: ramp-up after recovery
 * @param cookie {@code cookie}: the persistence cookie value
 * @param observe {@code observe}: watch real traffic
 * @param errorLimit {@code error-limit} (10)
 * @param onError {@code on-error} (fail-check)
 * @param shutdownSessionsOnDown {@code on-marked-down shutdown-sessions}
 * @param shutdownBackupSessionsOnUp {@code on-marked-up shutdown-backup-sessions}
 * @param initAddr {@code init-addr} methods (last,libc)
 * @param resolvers {@code resolvers}: runtime DNS
 * @param agentCheck {@code agent-check}
 * @param agentPort {@code agent-port}
 * @param agentInter {@code agent-inter} (2s)
 * @param agentAddr {@code agent-addr}
 * @param agentSend {@code agent-send}
 * @param track {@code track [proxy/]server}
 * @param ssl {@code ssl}: TLS to the server
 * @param sendProxy {@code send-proxy}/{@code send-proxy-v2}
 */
public record ServerSettings(
    boolean check,
    OptionalInt checkPort,
    Optional<String> checkAddr,
    Duration inter,
    Optional<Duration> fastinter,
    Optional<Duration> downinter,
    int rise,
    int fall,
    int weight,
    boolean disabled,
    boolean backup,
    int maxconn,
    int maxqueue,
    int minconn,
    Optional<Duration> slowstart,
    Optional<String> cookie,
    Optional<Observe> observe,
    int errorLimit,
    OnError onError,
    boolean shutdownSessionsOnDown,
    boolean shutdownBackupSessionsOnUp,
    List<String> initAddr,
    Optional<String> resolvers,
    boolean agentCheck,
    OptionalInt agentPort,
    Duration agentInter,
    Optional<String> agentAddr,
    Optional<String> agentSend,
    Optional<String> track,
    boolean ssl,
    boolean sendProxy) {

  /** What a {@code server} line without options means in HAProxy 2.6. */
  public static final ServerSettings DEFAULTS = new ServerSettings(
      false,
      OptionalInt.empty(),
      Optional.empty(),
      Duration.ofSeconds(2),
      Optional.empty(),
      Optional.empty(),
      2,
      3,
      1,
      false,
      false,
      0,
      0,
      0,
      Optional.empty(),
      Optional.empty(),
      Optional.empty(),
      10,
      OnError.FAIL_CHECK,
      false,
      false,
      List.of("last", "libc"),
      Optional.empty(),
      false,
      OptionalInt.empty(),
      Duration.ofSeconds(2),
      Optional.empty(),
      Optional.empty(),
      Optional.empty(),
      false,
      false);

  /** HAProxy's largest server weight. */
  public static final int MAX_WEIGHT = 256;

  public ServerSettings {
    initAddr = List.copyOf(initAddr);
    if (weight < 0 || weight > MAX_WEIGHT) {
      throw new IllegalArgumentException("weight out of range: " + weight);
    }
    if (rise < 1 || fall < 1) {
      throw new IllegalArgumentException("rise and fall must be positive");
    }
  }

  /** {@code observe} modes. */
  public enum Observe {
    LAYER4,
    LAYER7
  }

  /** {@code on-error} actions. */
  public enum OnError {
    FASTINTER,
    FAIL_CHECK,
    SUDDEN_DEATH,
    MARK_DOWN
  }

  /** The interval while in transition: {@code fastinter}, else {@code inter}. */
  public Duration effectiveFastinter() {
    return fastinter.orElse(inter);
  }

  /** The interval while down: {@code downinter}, else {@code inter}. */
  public Duration effectiveDowninter() {
    return downinter.orElse(inter);
  }

  /** A builder starting from these settings. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** A builder starting from HAProxy's defaults. */
  public static Builder builder() {
    return new Builder(DEFAULTS);
  }

  /** Builds {@link ServerSettings}; validates in {@link #build()}. */
  public static final class Builder {
    private boolean check;
    private OptionalInt checkPort;
    private Optional<String> checkAddr;
    private Duration inter;
    private Optional<Duration> fastinter;
    private Optional<Duration> downinter;
    private int rise;
    private int fall;
    private int weight;
    private boolean disabled;
    private boolean backup;
    private int maxconn;
    private int maxqueue;
    private int minconn;
    private Optional<Duration> slowstart;
    private Optional<String> cookie;
    private Optional<Observe> observe;
    private int errorLimit;
    private OnError onError;
    private boolean shutdownSessionsOnDown;
    private boolean shutdownBackupSessionsOnUp;
    private List<String> initAddr;
    private Optional<String> resolvers;
    private boolean agentCheck;
    private OptionalInt agentPort;
    private Duration agentInter;
    private Optional<String> agentAddr;
    private Optional<String> agentSend;
    private Optional<String> track;
    private boolean ssl;
    private boolean sendProxy;

    private Builder(ServerSettings s) {
      this.check = s.check();
      this.checkPort = s.checkPort();
      this.checkAddr = s.checkAddr();
      this.inter = s.inter();
      this.fastinter = s.fastinter();
      this.downinter = s.downinter();
      this.rise = s.rise();
      this.fall = s.fall();
      this.weight = s.weight();
      this.disabled = s.disabled();
      this.backup = s.backup();
      this.maxconn = s.maxconn();
      this.maxqueue = s.maxqueue();
      this.minconn = s.minconn();
      this.slowstart = s.slowstart();
      this.cookie = s.cookie();
      this.observe = s.observe();
      this.errorLimit = s.errorLimit();
      this.onError = s.onError();
      this.shutdownSessionsOnDown = s.shutdownSessionsOnDown();
      this.shutdownBackupSessionsOnUp = s.shutdownBackupSessionsOnUp();
      this.initAddr = s.initAddr();
      this.resolvers = s.resolvers();
      this.agentCheck = s.agentCheck();
      this.agentPort = s.agentPort();
      this.agentInter = s.agentInter();
      this.agentAddr = s.agentAddr();
      this.agentSend = s.agentSend();
      this.track = s.track();
      this.ssl = s.ssl();
      this.sendProxy = s.sendProxy();
    }

    public Builder check(boolean value) {
      this.check = value;
      return this;
    }

    public Builder checkPort(OptionalInt value) {
      this.checkPort = Objects.requireNonNull(value, "checkPort");
      return this;
    }

    public Builder checkAddr(Optional<String> value) {
      this.checkAddr = Objects.requireNonNull(value, "checkAddr");
      return this;
    }

    public Builder inter(Duration value) {
      this.inter = Objects.requireNonNull(value, "inter");
      return this;
    }

    public Builder fastinter(Optional<Duration> value) {
      this.fastinter = Objects.requireNonNull(value, "fastinter");
      return this;
    }

    public Builder downinter(Optional<Duration> value) {
      this.downinter = Objects.requireNonNull(value, "downinter");
      return this;
    }

    public Builder rise(int value) {
      this.rise = value;
      return this;
    }

    public Builder fall(int value) {
      this.fall = value;
      return this;
    }

    public Builder weight(int value) {
      this.weight = value;
      return this;
    }

    public Builder disabled(boolean value) {
      this.disabled = value;
      return this;
    }

    public Builder backup(boolean value) {
      this.backup = value;
      return this;
    }

    public Builder maxconn(int value) {
      this.maxconn = value;
      return this;
    }

    public Builder maxqueue(int value) {
      this.maxqueue = value;
      return this;
    }

    public Builder minconn(int value) {
      this.minconn = value;
      return this;
    }

    public Builder slowstart(Optional<Duration> value) {
      this.slowstart = Objects.requireNonNull(value, "slowstart");
      return this;
    }

    public Builder cookie(Optional<String> value) {
      this.cookie = Objects.requireNonNull(value, "cookie");
      return this;
    }

    public Builder observe(Optional<Observe> value) {
      this.observe = Objects.requireNonNull(value, "observe");
      return this;
    }

    public Builder errorLimit(int value) {
      this.errorLimit = value;
      return this;
    }

    public Builder onError(OnError value) {
      this.onError = Objects.requireNonNull(value, "onError");
      return this;
    }

    public Builder shutdownSessionsOnDown(boolean value) {
      this.shutdownSessionsOnDown = value;
      return this;
    }

    public Builder shutdownBackupSessionsOnUp(boolean value) {
      this.shutdownBackupSessionsOnUp = value;
      return this;
    }

    public Builder initAddr(List<String> value) {
      this.initAddr = Objects.requireNonNull(value, "initAddr");
      return this;
    }

    public Builder resolvers(Optional<String> value) {
      this.resolvers = Objects.requireNonNull(value, "resolvers");
      return this;
    }

    public Builder agentCheck(boolean value) {
      this.agentCheck = value;
      return this;
    }

    public Builder agentPort(OptionalInt value) {
      this.agentPort = Objects.requireNonNull(value, "agentPort");
      return this;
    }

    public Builder agentInter(Duration value) {
      this.agentInter = Objects.requireNonNull(value, "agentInter");
      return this;
    }

    public Builder agentAddr(Optional<String> value) {
      this.agentAddr = Objects.requireNonNull(value, "agentAddr");
      return this;
    }

    public Builder agentSend(Optional<String> value) {
      this.agentSend = Objects.requireNonNull(value, "agentSend");
      return this;
    }

    public Builder track(Optional<String> value) {
      this.track = Objects.requireNonNull(value, "track");
      return this;
    }

    public Builder ssl(boolean value) {
      this.ssl = value;
      return this;
    }

    public Builder sendProxy(boolean value) {
      this.sendProxy = value;
      return this;
    }

    public boolean check() {
      return check;
    }

    public OptionalInt checkPort() {
      return checkPort;
    }

    public Optional<String> checkAddr() {
      return checkAddr;
    }

    public Duration inter() {
      return inter;
    }

    public Optional<Duration> fastinter() {
      return fastinter;
    }

    public Optional<Duration> downinter() {
      return downinter;
    }

    public int rise() {
      return rise;
    }

    public int fall() {
      return fall;
    }

    public int weight() {
      return weight;
    }

    public boolean disabled() {
      return disabled;
    }

    public boolean backup() {
      return backup;
    }

    public int maxconn() {
      return maxconn;
    }

    public int maxqueue() {
      return maxqueue;
    }

    public int minconn() {
      return minconn;
    }

    public Optional<Duration> slowstart() {
      return slowstart;
    }

    public Optional<String> cookie() {
      return cookie;
    }

    public Optional<Observe> observe() {
      return observe;
    }

    public int errorLimit() {
      return errorLimit;
    }

    public OnError onError() {
      return onError;
    }

    public boolean shutdownSessionsOnDown() {
      return shutdownSessionsOnDown;
    }

    public boolean shutdownBackupSessionsOnUp() {
      return shutdownBackupSessionsOnUp;
    }

    public List<String> initAddr() {
      return initAddr;
    }

    public Optional<String> resolvers() {
      return resolvers;
    }

    public boolean agentCheck() {
      return agentCheck;
    }

    public OptionalInt agentPort() {
      return agentPort;
    }

    public Duration agentInter() {
      return agentInter;
    }

    public Optional<String> agentAddr() {
      return agentAddr;
    }

    public Optional<String> agentSend() {
      return agentSend;
    }

    public Optional<String> track() {
      return track;
    }

    public boolean ssl() {
      return ssl;
    }

    public boolean sendProxy() {
      return sendProxy;
    }

    /** The settings; throws {@link IllegalArgumentException} for values out of range. */
    public ServerSettings build() {
      return new ServerSettings(check, checkPort, checkAddr, inter, fastinter, downinter, rise, fall, weight, disabled, backup, maxconn, maxqueue, minconn, slowstart, cookie, observe, errorLimit, onError, shutdownSessionsOnDown, shutdownBackupSessionsOnUp, initAddr, resolvers, agentCheck, agentPort, agentInter, agentAddr, agentSend, track, ssl, sendProxy);
    }
  }
}
