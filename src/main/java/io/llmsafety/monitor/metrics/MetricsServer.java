package io.llmsafety.monitor.metrics;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@link SafetyMetrics} on {@code /metrics} in the Prometheus text format. One per JVM: the
 * first operator (or the CLI) to ask starts it; later requests reuse it. When the port is taken the
 * job keeps running without an endpoint and says so once, since metrics must never stop scoring.
 */
public final class MetricsServer {

  private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);
  private static HttpServer server;

  private MetricsServer() {}

  /**
   * @param port -1 disables, 0 picks a free port
   * @return the bound port, or -1 when disabled or the port was taken
   */
  public static synchronized int ensureStarted(int port) {
    if (server != null) {
      return server.getAddress().getPort();
    }
    if (port < 0) {
      return -1;
    }
    try {
      HttpServer http = HttpServer.create(new InetSocketAddress(port), 0);
      http.createContext("/metrics", exchange -> {
        byte[] body = SafetyMetrics.get().scrape().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      });
      http.setExecutor(Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "metrics-http");
        t.setDaemon(true);
        return t;
      }));
      http.start();
      server = http;
      LOG.info("Serving Prometheus metrics on :{}/metrics", http.getAddress().getPort());
      return http.getAddress().getPort();
    } catch (BindException e) {
      LOG.warn("Metrics port {} is taken; continuing without a /metrics endpoint in this JVM", port);
      return -1;
    } catch (IOException e) {
      LOG.warn("Could not start the metrics endpoint on port {}: {}", port, e.toString());
      return -1;
    }
  }

  public static synchronized void stop() {
    if (server != null) {
      server.stop(0);
      server = null;
    }
  }
}
