package dev.balancer.jetty.reload;

import dev.balancer.config.ConfigLoader;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls back when the content of any of some files changes, and only once that content has stayed
 * the same for a short while (so a file caught half-written is not applied).
 *
 * <p>It listens to the file system's events on the files' directories, which catch both in-place
 * writes and replacement by rename (what editors and {@code sed -i} do), and also compares the
 * files' content at every poll interval: events are not delivered everywhere (a single file bind
 * mounted into a container, some network file systems), content is.
 */
public final class FileWatcher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(FileWatcher.class);

  /** How often the content is compared when no event arrives. */
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofMillis(500);

  /** How long a new content must stay unchanged before the callback runs. */
  public static final Duration SETTLE_TIME = Duration.ofMillis(100);

  private final List<Path> files;
  private final Runnable onChange;
  private final Duration pollInterval;
  private final WatchService watchService;
  private final Thread thread;
  private volatile boolean closed;
  private byte[] applied;

  /**
   * Starts watching.
   *
   * @param onChange runs on the watcher's thread after each settled change
   */
  public FileWatcher(List<Path> files, Runnable onChange, Duration pollInterval) throws IOException {
    this(files, onChange, pollInterval, digest(absolute(files)));
  }

  /**
   * Starts watching, comparing with a digest taken earlier ({@link #digest(List)} before the files
   * were loaded), so that a change made in between is not missed.
   */
  public FileWatcher(List<Path> files, Runnable onChange, Duration pollInterval, byte[] loaded) throws IOException {
    this.files = absolute(files);
    this.onChange = Objects.requireNonNull(onChange, "onChange");
    this.pollInterval = Objects.requireNonNull(pollInterval, "pollInterval");
    this.watchService = FileSystems.getDefault().newWatchService();
    Set<Path> dirs = new HashSet<>();
    for (Path f : this.files) {
      Path dir = Files.isDirectory(f) ? f : f.getParent();
      if (dir != null && dirs.add(dir)) {
        dir.register(watchService, StandardWatchEventKinds.ENTRY_CREATE,
            StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
      }
    }
    this.applied = loaded.clone();
    this.thread = new Thread(this::run, "config-watcher");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    byte[] pending = null;
    long pendingSince = 0;
    while (!closed) {
      try {
        long wait = pending == null ? pollInterval.toMillis() : SETTLE_TIME.toMillis();
        var key = watchService.poll(wait, TimeUnit.MILLISECONDS);
        if (key != null) {
          key.pollEvents();
          key.reset();
        }
        byte[] now = digest(files);
        if (java.util.Arrays.equals(now, applied)) {
          pending = null;
          continue;
        }
        if (pending == null || !java.util.Arrays.equals(now, pending)) {
          pending = now;
          pendingSince = System.nanoTime();
          continue;
        }
        if (System.nanoTime() - pendingSince >= SETTLE_TIME.toNanos()) {
          applied = now;
          pending = null;
          onChange.run();
        }
      } catch (InterruptedException | ClosedWatchServiceException e) {
        return;
      } catch (RuntimeException e) {
        LOG.error("configuration watcher: {}", e.toString(), e);
      }
    }
  }

  private static List<Path> absolute(List<Path> files) {
    return files.stream().map(p -> p.toAbsolutePath().normalize()).toList();
  }

  /** A digest of the files' names and content (directories expanded); an unreadable file counts too. */
  public static byte[] digest(List<Path> files) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      List<Path> expanded;
      try {
        expanded = ConfigLoader.expand(files);
      } catch (IOException e) {
        expanded = files;
      }
      for (Path f : expanded) {
        md.update(f.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        md.update(new byte[] {0});
        try {
          md.update(Files.readAllBytes(f));
        } catch (IOException e) {
          md.update(new byte[] {1});
        }
        md.update(new byte[] {0});
      }
      return md.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    watchService.close();
    thread.interrupt();
  }
}
