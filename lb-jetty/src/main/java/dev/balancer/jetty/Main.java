package dev.balancer.jetty;

import dev.balancer.config.ConfigException;
import dev.balancer.config.ConfigLoader;
import dev.balancer.config.Diagnostic;
import dev.balancer.config.LoadResult;
import dev.balancer.config.model.Config;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The command line, shaped like {@code haproxy}'s.
 *
 * <pre>
 * java -jar lb-jetty/target/lb-jetty.jar -f haproxy.cfg        # run; reloads when the file changes
 * java -jar lb-jetty/target/lb-jetty.jar -c -f haproxy.cfg     # check: exit 0 valid, 1 errors
 * </pre>
 *
 * <p>Exit codes follow {@code haproxy -c}: 0 valid, 1 errors, 2 valid but nothing to listen on.
 * The flags HAProxy's container image passes ({@code -W}, {@code -db}, {@code -Ws}) are accepted.
 */
@Command(
    name = "balancer",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "An HTTP load balancer that reads haproxy.cfg.",
    sortOptions = false)
public final class Main implements Callable<Integer> {

  @Option(names = "-f", paramLabel = "FILE",
      description = "Configuration file or directory (its *.cfg files in lexical order); repeatable. "
          + "Default: $HAPROXY_CONFIG (the container image sets it to /etc/haproxy/haproxy.cfg).")
  List<Path> files;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** The files to read: {@code -f}, else {@code $HAPROXY_CONFIG}. */
  private List<Path> files() {
    if (files != null && !files.isEmpty()) {
      return files;
    }
    String env = System.getenv("HAPROXY_CONFIG");
    if (env == null || env.isBlank()) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "Missing required option: '-f=FILE' (or set HAPROXY_CONFIG)");
    }
    return List.of(Path.of(env));
  }

  @Option(names = "-c", description = "Check the configuration and exit: 0 valid, 1 errors.")
  boolean check;

  @Option(names = "-q", description = "Quiet: in check mode, print nothing when the file is valid.")
  boolean quiet;

  @Option(names = {"-W", "-Ws", "-db", "-D"}, hidden = true,
      description = "Accepted for compatibility with haproxy's command line; no effect.")
  boolean[] compatibility;

  private final PrintStream out;
  private final PrintStream err;

  Main(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  /** Runs the command line and exits with its code (when the balancer stops, in run mode). */
  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != Integer.MIN_VALUE) {
      System.exit(code);
    }
  }

  /** Runs the command line; in check mode returns the exit code. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    CommandLine cl = new CommandLine(new Main(out, err));
    cl.setOut(new java.io.PrintWriter(out, true));
    cl.setErr(new java.io.PrintWriter(err, true));
    return cl.execute(args);
  }

  @Override
  public Integer call() throws Exception {
    files = files();
    if (check) {
      return check();
    }
    return serve();
  }

  /** Checks like {@code haproxy -c}: same line shapes, same closing lines, same exit codes. */
  private int check() {
    LoadResult result = ConfigLoader.load(files);
    for (Diagnostic d : result.diagnostics()) {
      err.println(d.toHaproxyFormat());
    }
    String pid = " (" + ProcessHandle.current().pid() + ") : config : ";
    if (result.hasErrors()) {
      err.println("[ALERT]   " + pid + "Fatal errors found in configuration.");
      return 1;
    }
    if (!hasListener(result.orThrow())) {
      err.println("Configuration file has no error but will not start (no listener) => exit(2).");
      return 2;
    }
    if (!result.warnings().isEmpty()) {
      err.println("Warnings were found.");
    }
    if (!quiet) {
      out.println("Configuration file is valid");
    }
    return 0;
  }

  private int serve() throws Exception {
    StandaloneBalancer lb;
    try {
      LoadResult probe = ConfigLoader.load(files);
      if (!probe.hasErrors() && !hasListener(probe.orThrow())) {
        err.println("Configuration has no listener (no 'bind' in any frontend or listen): nothing to serve.");
        return 2;
      }
      lb = StandaloneBalancer.start(files);
    } catch (ConfigException e) {
      for (Diagnostic d : e.errors()) {
        err.println(d);
      }
      err.println("Fatal errors found in configuration.");
      return 1;
    } catch (java.io.IOException e) {
      err.println(e.getMessage());
      return 1;
    }
    Signals.onReloadSignal(() -> lb.reloader().reload());
    Signals.onTerminate(() -> {
      try {
        lb.close();
      } catch (Exception e) {
        err.println("stopping: " + e);
      }
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        lb.close();
      } catch (Exception e) {
        err.println("stopping: " + e);
      }
    }, "balancer-shutdown"));
    lb.server().join();
    return 0;
  }

  private static boolean hasListener(Config config) {
    return config.frontends().stream().anyMatch(f -> !f.binds().isEmpty());
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"Balancer " + (v == null ? "(development build)" : v)};
    }
  }
}
