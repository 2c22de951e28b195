package dev.balancer.bench;

import org.eclipse.jetty.ee10.proxy.BalancerServlet;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The "stock Jetty" contender: Jetty 12's own {@code BalancerServlet}, configured as its
 * documentation shows, round robin over the given servers, nothing tuned.
 *
 * <pre>java -cp bench/target/lb-bench.jar dev.balancer.bench.StockJetty PORT http://127.0.0.1:18081 ...</pre>
 */
public final class StockJetty {

  private StockJetty() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(port);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler("/");
    ServletHolder holder = new ServletHolder(BalancerServlet.class);
    holder.setAsyncSupported(true);
    for (int i = 1; i < args.length; i++) {
      holder.setInitParameter("balancerMember.m" + i + ".proxyTo", args[i]);
    }
    context.addServlet(holder, "/*");
    server.setHandler(context);
    server.start();
    System.out.println("stock Jetty BalancerServlet listening on 127.0.0.1:" + port);
    server.join();
  }
}
