package dev.balancer.bench;

import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The "Jetty core proxy" contender: Jetty 12's servlet-free {@code ProxyHandler.Reverse}, round
 * robin over the given servers, nothing tuned. It measures how much the servlet layer costs, the
 * lever the performance issue names for the standalone server.
 *
 * <pre>java -cp bench/target/lb-bench.jar dev.balancer.bench.JettyCoreProxy PORT http://127.0.0.1:18081 ...</pre>
 */
public final class JettyCoreProxy {

  private JettyCoreProxy() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    String[] backends = java.util.Arrays.copyOfRange(args, 1, args.length);
    AtomicInteger next = new AtomicInteger();
    Server server = new Server(new QueuedThreadPool());
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(port);
    server.addConnector(connector);
    server.setHandler(new ProxyHandler.Reverse(request -> {
      String target = backends[Math.floorMod(next.getAndIncrement(), backends.length)];
      String query = request.getHttpURI().getQuery();
      return org.eclipse.jetty.http.HttpURI.build(target + request.getHttpURI().getPath() + (query == null ? "" : "?" + query));
    }));
    server.start();
    System.out.println("Jetty core ProxyHandler listening on 127.0.0.1:" + port);
    server.join();
  }
}
