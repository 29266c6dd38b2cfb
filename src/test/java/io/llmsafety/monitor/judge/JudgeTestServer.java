package io.llmsafety.monitor.judge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A real HTTP server on loopback that speaks the judge protocols as a test scripts it: OpenAI
 * moderation at {@code /v1/moderations} and chat completions at {@code /v1/chat/completions}. It
 * counts requests and the most it ever had in flight at once.
 */
public final class JudgeTestServer implements AutoCloseable {

  /** One scripted answer; {@code delayMillis} is how long the server sits on it before answering. */
  public record Reply(int status, String body, Map<String, String> headers, long delayMillis) {
    public static Reply ok(String body) {
      return new Reply(200, body, Map.of(), 0);
    }

    public static Reply status(int status) {
      return new Reply(status, "{\"error\":{\"message\":\"scripted\"}}", Map.of(), 0);
    }

    public Reply withHeader(String name, String value) {
      return new Reply(status, body, Map.of(name, value), delayMillis);
    }

    public Reply delayed(long millis) {
      return new Reply(status, body, headers, millis);
    }
  }

  /** A request as the server saw it. */
  public record Request(String path, JsonNode body, String authorization) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(64);
  private final CountDownLatch closing = new CountDownLatch(1);
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private volatile Function<Request, Reply> responder;

  public JudgeTestServer(Function<Request, Reply> responder) throws IOException {
    this.responder = responder;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.createContext("/v1/moderations", this::handle);
    server.createContext("/v1/chat/completions", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  public void respondWith(Function<Request, Reply> next) {
    responder = next;
  }

  public int requestCount() {
    return requests.size();
  }

  public List<Request> requests() {
    return requests;
  }

  public int maxInFlight() {
    return maxInFlight.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    try {
      JsonNode body = JSON.readTree(exchange.getRequestBody().readAllBytes());
      Request request = new Request(exchange.getRequestURI().getPath(), body, exchange.getRequestHeaders().getFirst("Authorization"));
      requests.add(request);
      Reply reply = responder.apply(request);
      if (reply.delayMillis() > 0) {
        // Sits on the answer; wakes early when the test ends.
        closing.await(reply.delayMillis(), TimeUnit.MILLISECONDS);
      }
      reply.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
      byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(reply.status(), bytes.length == 0 ? -1 : bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // The client gave up (timeout) and closed the connection: nothing to answer.
    } finally {
      inFlight.decrementAndGet();
      exchange.close();
    }
  }

  @Override
  public void close() {
    closing.countDown();
    server.stop(0);
    executor.shutdownNow();
  }

  // ---- protocol bodies ----

  public static String moderation(boolean flagged, Map<String, Double> scores) {
    var result = JSON.createObjectNode();
    result.put("flagged", flagged);
    var categories = result.putObject("categories");
    var categoryScores = result.putObject("category_scores");
    scores.forEach((k, v) -> {
      categories.put(k, v >= 0.5);
      categoryScores.put(k, v);
    });
    var root = JSON.createObjectNode();
    root.put("id", "modr-test");
    root.put("model", "omni-moderation-latest");
    root.putArray("results").add(result);
    return root.toString();
  }

  public static String chat(String content) {
    var root = JSON.createObjectNode();
    root.put("id", "chatcmpl-test");
    root.put("object", "chat.completion");
    var choice = root.putArray("choices").addObject();
    choice.put("index", 0);
    choice.putObject("message").put("role", "assistant").put("content", content);
    choice.put("finish_reason", "stop");
    return root.toString();
  }
}
