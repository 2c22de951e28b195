package dev.balancer.jetty;

import dev.balancer.config.ConfigLoader;
import dev.balancer.config.Diagnostic;
import dev.balancer.config.LoadResult;
import dev.balancer.jetty.reload.ConfigReloader;
import dev.balancer.jetty.reload.FileWatcher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The balancer as {@code java -jar lb-jetty.jar -f haproxy.cfg} runs it: a {@link BalancerServer}
 * on the files' configuration, reloaded whenever the files change.
 *
 * <pre>{@code
 * try (StandaloneBalancer lb = StandaloneBalancer.start(List.of(Path.of("haproxy.cfg")))) {
 *   lb.server().join();
 * }
 * }</pre>
 */
public final class StandaloneBalancer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StandaloneBalancer.class);

  private final BalancerServer server;
  private final ConfigReloader reloader;
  private final FileWatcher watcher;

  private StandaloneBalancer(BalancerServer server, ConfigReloader reloader, FileWatcher watcher) {
    this.server = server;
    this.reloader = reloader;
    this.watcher = watcher;
  }

  /**
   * Reads the files, starts serving them and watches them.
   *
   * @throws dev.balancer.config.ConfigException when the files have errors (nothing is started)
   * @throws Exception when an address cannot be bound
   */
  public static StandaloneBalancer start(List<Path> files) throws Exception {
    return start(files, FileWatcher.DEFAULT_POLL_INTERVAL);
  }

  /** As {@link #start(List)}, comparing the files' content every {@code pollInterval}. */
  public static StandaloneBalancer start(List<Path> files, Duration pollInterval) throws Exception {
    Objects.requireNonNull(files, "files");
    byte[] digest = FileWatcher.digest(files);
    LoadResult loaded = ConfigLoader.load(files);
    for (Diagnostic d : loaded.warnings()) {
      LOG.warn("{}", d);
    }
    BalancerServer server = BalancerServer.start(loaded.orThrow(), System.out::println);
    try {
      ConfigReloader reloader = new ConfigReloader(files, server.balancer(), server::apply);
      server.statsService().reloads(reloader);
      server.metrics().reloads(() -> reloader);
      FileWatcher watcher = new FileWatcher(files, reloader::reload, pollInterval, digest);
      return new StandaloneBalancer(server, reloader, watcher);
    } catch (Exception e) {
      server.close();
      throw e;
    }
  }

  /** The running server. */
  public BalancerServer server() {
    return server;
  }

  /** What reloads the files; call {@link ConfigReloader#reload()} to reload now (SIGHUP does). */
  public ConfigReloader reloader() {
    return reloader;
  }

  /** Stops watching, then stops the server gracefully. */
  @Override
  public void close() throws Exception {
    watcher.close();
    server.close();
  }
}
