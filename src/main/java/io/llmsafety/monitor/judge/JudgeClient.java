package io.llmsafety.monitor.judge;

import io.llmsafety.monitor.jobs.config.JudgeSpec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks a remote safety judge about one prompt/response pair, without blocking the caller and
 * without ever failing: every call completes normally, with a verdict or with the reason there is
 * none, within {@link JudgeSpec#totalBudget()} (plus scheduling slack).
 *
 * <p>Per call: the content-hash cache first; then, unless the circuit breaker is open, up to
 * {@code maxAttempts} HTTP attempts, each holding one of {@code maxConcurrency} permits while in
 * flight. Timeouts, 429, 5xx and transport errors are retried after an exponentially growing wait
 * with jitter (a server's {@code Retry-After} wins, capped at {@code maxBackoff}); other 4xx and
 * unreadable bodies are not, since repeating them would give the same answer. Every failed attempt
 * counts towards opening the circuit.
 *
 * <p>Text goes to the judge and nowhere else: not into logs, keys or exceptions.
 */
public final class JudgeClient implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(JudgeClient.class);

  private final JudgeSpec spec;
  private final JudgeProtocol protocol;
  private final URI endpoint;
  private final String apiKey;
  private final Consumer<JudgeOutcome> retries;
  private final Random random;
  private final CircuitBreaker breaker;
  private final ContentCache cache;
  private final AsyncPermits permits;
  private final ExecutorService httpExecutor;
  private final ScheduledExecutorService timer;
  private final HttpClient http;
  private final Set<Integer> loggedStatuses = ConcurrentHashMap.newKeySet();

  /**
   * @param apiKey bearer token, or null to send none
   * @param retries told the reason of every attempt that will be retried
   * @param breakerClock monotonic nanoseconds for the circuit breaker's cool-down
   * @param random jitter source
   */
  public JudgeClient(JudgeSpec spec, String apiKey, Consumer<JudgeOutcome> retries, LongSupplier breakerClock, Random random) {
    if (spec.url() == null) {
      throw new IllegalArgumentException("the judge needs a url");
    }
    this.spec = spec;
    this.protocol = protocol(spec.protocol());
    this.endpoint = URI.create(spec.url() + protocol.path());
    this.apiKey = apiKey;
    this.retries = retries;
    this.random = random;
    this.breaker = new CircuitBreaker(spec.protocol().code(), spec.circuitBreaker().failureThreshold(),
        spec.circuitBreaker().openFor(), breakerClock);
    this.cache = new ContentCache(spec.cacheSize());
    this.permits = new AsyncPermits(spec.maxConcurrency());
    this.httpExecutor = Executors.newCachedThreadPool(daemonThreads("judge-http-"));
    this.timer = Executors.newSingleThreadScheduledExecutor(daemonThreads("judge-retry-"));
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(spec.timeout())
        .executor(httpExecutor)
        .build();
  }

  /** The production client: API key from the environment variable the spec names. */
  public static JudgeClient create(JudgeSpec spec, Function<String, String> env, Consumer<JudgeOutcome> retries) {
    String key = null;
    if (spec.apiKeyEnv() != null) {
      key = env.apply(spec.apiKeyEnv());
      if (key == null) {
        // Checked when the spec was parsed; a worker without it gets 401s, counted as errors.
        LOG.warn("Judge {}: environment variable {} is not set on this worker; sending no API key",
            spec.protocol().code(), spec.apiKeyEnv());
      }
    }
    return new JudgeClient(spec, key, retries, System::nanoTime, new Random());
  }

  public static JudgeProtocol protocol(JudgeSpec.Protocol p) {
    return switch (p) {
      case OPENAI_MODERATION -> new JudgeProtocol.OpenAiModeration();
      case LLAMA_GUARD -> new JudgeProtocol.LlamaGuard();
    };
  }

  /** The {@code classifier} label of this judge's metrics. */
  public String classifier() {
    return spec.protocol().code();
  }

  /** Never completes exceptionally. */
  public CompletableFuture<JudgeResult> judge(String prompt, String response) {
    Call call = new Call(prompt, response);
    try {
      call.start();
    } catch (RuntimeException e) {
      LOG.warn("Judge {}: unexpected {}", classifier(), e.getClass().getName());
      call.finish(JudgeOutcome.ERROR, null);
    }
    return call.result;
  }

  CircuitBreaker.State circuitState() {
    return breaker.state();
  }

  int cachedVerdicts() {
    return cache.size();
  }

  @Override
  public void close() {
    timer.shutdownNow();
    httpExecutor.shutdownNow();
  }

  /** One call: its attempts share a deadline and complete one future. */
  private final class Call {
    final CompletableFuture<JudgeResult> result = new CompletableFuture<>();
    final String prompt;
    final String response;
    final long startNanos = System.nanoTime();
    final long deadline = startNanos + spec.totalBudget().toNanos();
    final ContentCache.Key key;

    Call(String prompt, String response) {
      this.prompt = prompt;
      this.response = response;
      this.key = spec.cacheSize() > 0
          // Exactly what the judge sees: the moderation protocol never sends the prompt.
          ? ContentCache.key(spec.protocol().code(), spec.model(),
              spec.protocol() == JudgeSpec.Protocol.LLAMA_GUARD ? prompt : null, response)
          : null;
    }

    void start() {
      JudgeVerdict cached = key == null ? null : cache.get(key);
      if (cached != null) {
        finish(JudgeOutcome.CACHE_HIT, cached);
      } else if (!breaker.mightAllow()) {
        finish(JudgeOutcome.CIRCUIT_OPEN, null);
      } else {
        attempt(1, null);
      }
    }

    void attempt(int n, JudgeOutcome previous) {
      permits.acquire().whenComplete((ignored, e) -> {
        try {
          send(n, previous);
        } catch (RuntimeException ex) {
          permits.release();
          LOG.warn("Judge {}: unexpected {}", classifier(), ex.getClass().getName());
          finish(JudgeOutcome.ERROR, null);
        }
      });
    }

    private void send(int n, JudgeOutcome previous) {
      long remaining = deadline - System.nanoTime();
      if (remaining < TimeUnit.MILLISECONDS.toNanos(1)) {
        permits.release();
        finish(previous != null ? previous : JudgeOutcome.TIMEOUT, null);
        return;
      }
      if (!breaker.tryAcquire()) {
        permits.release();
        finish(previous != null ? previous : JudgeOutcome.CIRCUIT_OPEN, null);
        return;
      }
      try {
        sendAttempt(n, remaining);
      } catch (RuntimeException e) {
        breaker.onFailure(); // settles a half-open probe, which would otherwise block the circuit for good
        throw e;
      }
    }

    private void sendAttempt(int n, long remaining) {
      HttpRequest.Builder request = HttpRequest.newBuilder(endpoint)
          .timeout(Duration.ofNanos(Math.min(spec.timeout().toNanos(), remaining)))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(protocol.requestBody(spec.model(), prompt, response), StandardCharsets.UTF_8));
      if (apiKey != null) {
        request.header("Authorization", "Bearer " + apiKey);
      }
      http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
          .whenComplete((answer, error) -> {
            permits.release();
            try {
              handle(n, answer, error);
            } catch (RuntimeException ex) {
              LOG.warn("Judge {}: unexpected {}", classifier(), ex.getClass().getName());
              finish(JudgeOutcome.ERROR, null);
            }
          });
    }

    private void handle(int n, HttpResponse<String> answer, Throwable error) {
      JudgeOutcome outcome;
      boolean retryable;
      Duration retryAfter = null;
      if (error != null) {
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
            ? error.getCause() : error;
        outcome = cause instanceof HttpTimeoutException ? JudgeOutcome.TIMEOUT : JudgeOutcome.ERROR;
        retryable = cause instanceof IOException;
      } else {
        int status = answer.statusCode();
        if (status >= 200 && status < 300) {
          JudgeVerdict verdict;
          try {
            verdict = protocol.parse(answer.body());
          } catch (JudgeProtocol.BadResponseException bad) {
            breaker.onFailure();
            if (loggedStatuses.add(-status)) {
              LOG.warn("Judge {}: unreadable answer ({}); falling back to built-in scores", classifier(), bad.getMessage());
            }
            finish(JudgeOutcome.BAD_RESPONSE, null);
            return;
          }
          breaker.onSuccess();
          if (key != null) {
            cache.put(key, verdict);
          }
          finish(JudgeOutcome.OK, verdict);
          return;
        }
        if (status == 429) {
          outcome = JudgeOutcome.RATE_LIMITED;
          retryable = true;
          retryAfter = retryAfter(answer);
        } else if (status >= 500) {
          outcome = JudgeOutcome.SERVER_ERROR;
          retryable = true;
          retryAfter = retryAfter(answer);
        } else {
          outcome = JudgeOutcome.ERROR;
          retryable = false;
          if (loggedStatuses.add(status)) {
            // Status only: error bodies may quote the input.
            LOG.warn("Judge {}: HTTP {} from {}; check url, model and API key", classifier(), status, endpoint);
          }
        }
      }
      breaker.onFailure();
      if (!retryable || n >= spec.maxAttempts()) {
        finish(outcome, null);
        return;
      }
      long wait = backoff(n, retryAfter).toNanos();
      if (System.nanoTime() + wait >= deadline) {
        finish(outcome, null);
        return;
      }
      retries.accept(outcome);
      try {
        timer.schedule(() -> attempt(n + 1, outcome), wait, TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.RejectedExecutionException closed) {
        finish(outcome, null);
      }
    }

    void finish(JudgeOutcome outcome, JudgeVerdict verdict) {
      result.complete(new JudgeResult(outcome, verdict, System.nanoTime() - startNanos));
    }
  }

  /**
   * The wait before attempt {@code attempt + 1}: {@code Retry-After} when the server sent one, else
   * {@code backoff} doubled per retry; capped at {@code maxBackoff}. Drawn from the upper half of that
   * (equal jitter), so clients that failed together do not retry together.
   */
  Duration backoff(int attempt, Duration retryAfter) {
    long cap = spec.maxBackoff().toNanos();
    if (retryAfter != null) {
      // No jitter: the server said when.
      return Duration.ofNanos(Math.min(Math.max(retryAfter.toNanos(), 0), cap));
    }
    long base = spec.backoff().toNanos();
    long full = attempt >= 62 ? cap : Math.min(cap, base << Math.min(attempt - 1, 30));
    long half = full / 2;
    double u;
    synchronized (random) {
      u = random.nextDouble();
    }
    return Duration.ofNanos(half + (long) (u * (full - half)));
  }

  /** Seconds or an HTTP date, per RFC 9110; null when absent or unreadable. */
  static Duration retryAfter(HttpResponse<?> answer) {
    String value = answer.headers().firstValue("Retry-After").orElse(null);
    if (value == null) {
      return null;
    }
    value = value.strip();
    try {
      return Duration.ofSeconds(Long.parseLong(value));
    } catch (NumberFormatException notSeconds) {
      try {
        return Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME));
      } catch (java.time.format.DateTimeParseException notADate) {
        return null;
      }
    }
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
