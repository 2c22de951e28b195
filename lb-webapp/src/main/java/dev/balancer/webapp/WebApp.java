package dev.balancer.webapp;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The simplest web app: one static page that shows the instance's name, and {@code /health}.
 *
 * <pre>
 * java -jar lb-webapp/target/lb-webapp.jar --port 8081 --name webapp1
 * </pre>
 *
 * <p>Flags can also come from the environment ({@code PORT}, {@code NAME}), as containers pass them.
 * Each request prints one line on stdout ({@code webapp1 GET / 200}) so that whoever watches the
 * log sees which instance gets traffic. Every response carries {@code X-Served-By: <name>}. {@code
 * ?delay=MS} (at most 30 s) holds a response back, to play a slow request.
 */
public final class WebApp implements AutoCloseable {

  /** The most a {@code ?delay=} may hold a response. */
  public static final Duration MAX_DELAY = Duration.ofSeconds(30);

  private final String name;
  private final Server server;
  private final ServerConnector connector;
  private final byte[] page;
  private final PrintStream log;

  private WebApp(String host, int port, String name, PrintStream log) {
    this.name = Objects.requireNonNull(name, "name");
    this.log = log;
    this.page = render(name);
    QueuedThreadPool pool = new QueuedThreadPool(64, 4);
    pool.setName("webapp-" + name);
    this.server = new Server(pool);
    this.connector = new ServerConnector(server);
    connector.setHost(host);
    connector.setPort(port);
    server.addConnector(connector);
    server.setHandler(new PageHandler());
    server.setStopTimeout(5000);
  }

  /** Starts an instance listening on {@code host:port} (port 0: any free port). */
  public static WebApp start(String host, int port, String name, PrintStream log) throws Exception {
    WebApp app = new WebApp(host, port, name, log);
    app.server.start();
    return app;
  }

  /** Starts an instance on 127.0.0.1 that logs to stdout. */
  public static WebApp start(int port, String name) throws Exception {
    return start("127.0.0.1", port, name, System.out);
  }

  /** The instance's name. */
  public String name() {
    return name;
  }

  /** The port it listens on. */
  public int port() {
    return connector.getLocalPort();
  }

  /** Stops it at once, as a crash would: connections and requests in progress are cut. */
  public void kill() throws Exception {
    server.setStopTimeout(0);
    server.stop();
  }

  /** Stops it, letting requests in progress finish for up to five seconds. */
  @Override
  public void close() throws Exception {
    server.stop();
  }

  private static byte[] render(String name) {
    try (InputStream in = WebApp.class.getResourceAsStream("index.html")) {
      String html = new String(Objects.requireNonNull(in, "index.html").readAllBytes(), StandardCharsets.UTF_8);
      String color = String.format(Locale.ROOT, "hsl(%d, 60%%, 90%%)", Math.floorMod(name.hashCode(), 360));
      return html.replace("{{name}}", escape(name)).replace("{{color}}", color).getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read index.html", e);
    }
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  private final class PageHandler extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      String path = Request.getPathInContext(request);
      int status;
      byte[] body;
      String type;
      if (path.equals("/health")) {
        status = HttpStatus.OK_200;
        body = "OK\n".getBytes(StandardCharsets.US_ASCII);
        type = "text/plain";
      } else if (path.equals("/") || path.equals("/index.html")) {
        status = HttpStatus.OK_200;
        body = page;
        type = "text/html; charset=utf-8";
      } else {
        status = HttpStatus.NOT_FOUND_404;
        body = ("Not found: " + path + "\n").getBytes(StandardCharsets.UTF_8);
        type = "text/plain; charset=utf-8";
      }
      long delay = delayMillis(request);
      log.println(name + " " + request.getMethod() + " " + request.getHttpURI().getPathQuery() + " " + status);
      response.setStatus(status);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
      response.getHeaders().put("X-Served-By", name);
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
      ByteBuffer content = ByteBuffer.wrap(body);
      Runnable send = () -> response.write(true, content, callback);
      // read (and drop) any request body first, as a real application does: the connection stays
      // usable and the client sees its whole request consumed
      org.eclipse.jetty.io.Content.Source.consumeAll(request, Callback.from(() -> {
        if (delay > 0) {
          request.getComponents().getScheduler().schedule(send, delay, java.util.concurrent.TimeUnit.MILLISECONDS);
        } else {
          send.run();
        }
      }, callback::failed));
      return true;
    }

    private long delayMillis(Request request) {
      Fields query = Request.extractQueryParameters(request);
      String d = query.getValue("delay");
      if (d == null) {
        return 0;
      }
      try {
        return Math.max(0, Math.min(MAX_DELAY.toMillis(), Long.parseLong(d)));
      } catch (NumberFormatException e) {
        return 0;
      }
    }
  }

  /** {@code --port N --name NAME [--host ADDR]}; {@code PORT}, {@code NAME}, {@code HOST} from the environment. */
  public static void main(String[] args) throws Exception {
    Map<String, String> env = System.getenv();
    String host = env.getOrDefault("HOST", "0.0.0.0");
    String port = env.getOrDefault("PORT", "8081");
    // in a container the instance is named after the container (its hostname) unless told otherwise
    String name = env.getOrDefault("NAME", env.getOrDefault("HOSTNAME", "webapp"));
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (a) {
        case "--port" -> port = require(a, value);
        case "--name" -> name = require(a, value);
        case "--host" -> host = require(a, value);
        case "-h", "--help" -> {
          System.out.println("usage: java -jar lb-webapp.jar [--port N] [--name NAME] [--host ADDR]\n"
              + "  environment: PORT, NAME, HOST (flags win)");
          return;
        }
        default -> {
          System.err.println("unknown argument: " + a + " (try --help)");
          System.exit(2);
        }
      }
      i++;
    }
    int p;
    try {
      p = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      System.err.println("invalid port: " + port);
      System.exit(2);
      return;
    }
    WebApp app = start(host, p, name, System.out);
    System.out.println(name + " listening on http://" + host + ":" + app.port() + "/");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        app.close();
      } catch (Exception ignored) {
        // exiting anyway
      }
    }));
    app.server.join();
  }

  private static String require(String flag, String value) {
    if (value == null) {
      System.err.println(flag + " expects a value");
      System.exit(2);
    }
    return value;
  }
}
