package dev.balancer.jetty.reload;

import dev.balancer.config.Diagnostic;
import dev.balancer.config.LoadResult;
import dev.balancer.config.ConfigLoader;
import dev.balancer.config.model.Config;
import dev.balancer.core.Balancer;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the configuration files again and applies them to a running balancer (the server's {@code
 * apply}): all or
 * nothing. A file with errors is rejected with one {@code file:line: error: ...} log line per
 * problem, and the configuration already serving keeps serving.
 */
public final class ConfigReloader implements ReloadControl {

  private static final Logger LOG = LoggerFactory.getLogger(ConfigReloader.class);

  private final List<Path> files;
  private final Balancer balancer;
  private final Applier applier;
  private final AtomicLong succeeded = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private volatile java.util.Optional<ReloadResult> lastFailure = java.util.Optional.empty();

  /** Applies a valid configuration to what serves it (listeners and balancer), or throws to refuse it. */
  @FunctionalInterface
  public interface Applier {
    void apply(Config config) throws Exception;
  }

  /**
   * @param files the files, read in order as one configuration
   * @param balancer the balancer the configuration ends up in (for its generation, in the log)
   * @param applier applies a valid configuration, e.g. {@code BalancerServer::apply}
   */
  public ConfigReloader(List<Path> files, Balancer balancer, Applier applier) {
    this.files = List.copyOf(files);
    this.balancer = Objects.requireNonNull(balancer, "balancer");
    this.applier = Objects.requireNonNull(applier, "applier");
  }

  /** The files this reloader reads, in order. */
  public List<Path> files() {
    return files;
  }

  /** Reads, validates and (when valid) applies the files. Thread-safe; reloads run one at a time. */
  @Override
  public synchronized ReloadResult reload() {
    ReloadResult r = load();
    last = java.util.Optional.of(r);
    lastAt = java.util.Optional.of(java.time.Instant.now());
    return r;
  }

  private volatile java.util.Optional<ReloadResult> last = java.util.Optional.empty();
  private volatile java.util.Optional<java.time.Instant> lastAt = java.util.Optional.empty();

  @Override
  public java.util.Optional<ReloadResult> last() {
    return last;
  }

  @Override
  public java.util.Optional<java.time.Instant> lastAt() {
    return lastAt;
  }

  private ReloadResult load() {
    LoadResult loaded = ConfigLoader.load(files);
    for (Diagnostic d : loaded.diagnostics()) {
      if (d.isError()) {
        LOG.error("{}", d);
      }
    }
    if (loaded.hasErrors()) {
      failed.incrementAndGet();
      LOG.error("reload rejected: {} error(s); the previous configuration keeps serving", loaded.errors().size());
      return failure(new ReloadResult(false, loaded.diagnostics(), ""));
    }
    if (loaded.orThrow().frontends().stream().allMatch(f -> f.binds().isEmpty())) {
      failed.incrementAndGet();
      LOG.error("reload rejected: the new configuration has no listener (no 'bind' anywhere); the previous configuration keeps serving");
      return failure(new ReloadResult(false, loaded.diagnostics(), "no listener"));
    }
    try {
      applier.apply(loaded.orThrow());
    } catch (Exception e) {
      failed.incrementAndGet();
      LOG.error("reload rejected: {}; the previous configuration keeps serving", e.getMessage());
      return failure(new ReloadResult(false, loaded.diagnostics(), String.valueOf(e.getMessage())));
    }
    succeeded.incrementAndGet();
    LOG.info("configuration reloaded from {} (generation {})", files, balancer.generation());
    return new ReloadResult(true, loaded.diagnostics(), "");
  }

  private ReloadResult failure(ReloadResult r) {
    lastFailure = java.util.Optional.of(r);
    return r;
  }

  /** The last rejected reload, with its diagnostics (for the stats page). */
  public java.util.Optional<ReloadResult> lastFailure() {
    return lastFailure;
  }

  /** Reloads that were applied. */
  @Override
  public long succeeded() {
    return succeeded.get();
  }

  /** Reloads that were rejected. */
  @Override
  public long failed() {
    return failed.get();
  }
}
