package dev.balancer.examples;

import dev.balancer.config.ConfigLoader;
import dev.balancer.core.Balancer;
import dev.balancer.jetty.BalancerServlet;
import java.nio.file.Path;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;

/**
 * The balancer inside another Java service: the README's embedding snippet, compiled so it stays
 * true. Proxies {@code /app/*} of this service to the servers of backend {@code app}.
 *
 * <pre>
 * java -cp ... dev.balancer.examples.EmbeddedExample haproxy.cfg 8080
 * </pre>
 */
public final class EmbeddedExample {

  private EmbeddedExample() {}

  public static void main(String[] args) throws Exception {
    Path file = Path.of(args.length > 0 ? args[0] : "haproxy.cfg");
    int port = args.length > 1 ? Integer.parseInt(args[1]) : 8080;

    Balancer balancer = Balancer.create(ConfigLoader.load(file).orThrow());
    ServletContextHandler context = new ServletContextHandler("/");
    ServletHolder proxy = new ServletHolder(BalancerServlet.forBackend(balancer, "app"));
    proxy.setAsyncSupported(true);
    context.addServlet(proxy, "/app/*");

    Server server = new Server(port);
    server.setHandler(context);
    server.start();
    server.join();
  }
}
