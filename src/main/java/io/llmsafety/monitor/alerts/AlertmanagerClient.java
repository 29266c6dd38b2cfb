package io.llmsafety.monitor.alerts;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes alerts to Alertmanager's v2 API ({@code POST <base>/api/v2/alerts}). Best effort by design:
 * the Kafka alerts topic is the record of truth, so an unreachable Alertmanager costs pages, never
 * the job. Transport errors, 5xx and 429 are retried with doubling backoff (250 ms, capped at 10 s)
 * up to {@code maxAttempts}; other 4xx are not retried. After an alert has failed, the next alerts get
 * one attempt each until one succeeds, so an outage blocks the sink for at most one timeout per alert.
 *
 * <p>Pushes are idempotent in Alertmanager (same labels = same alert), so the duplicates a Flink
 * failover replays are harmless.
 */
public final class AlertmanagerClient {

  /** Waits between attempts; tests pass one that does not sleep. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  public enum Outcome { SENT, REJECTED, FAILED }

  static final Duration FIRST_BACKOFF = Duration.ofMillis(250);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(10);
  private static final Logger LOG = LoggerFactory.getLogger(AlertmanagerClient.class);

  private final URI endpoint;
  private final Duration timeout;
  private final int maxAttempts;
  private final Duration firingTtl;
  private final Clock clock;
  private final Sleeper sleeper;
  private final Consumer<String> outcomes;
  private final HttpClient http;
  private boolean degraded;

  /**
   * @param baseUrl Alertmanager's base URL, e.g. {@code http://alertmanager:9093}
   * @param outcomes told {@code sent}, {@code retried}, {@code rejected} or {@code failed} per attempt outcome
   */
  public AlertmanagerClient(String baseUrl, Duration timeout, int maxAttempts, Duration firingTtl, Clock clock,
      Sleeper sleeper, Consumer<String> outcomes) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1, got " + maxAttempts);
    }
    String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.endpoint = URI.create(base + "/api/v2/alerts");
    this.timeout = timeout;
    this.maxAttempts = maxAttempts;
    this.firingTtl = firingTtl;
    this.clock = clock;
    this.sleeper = sleeper;
    this.outcomes = outcomes;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
  }

  public static AlertmanagerClient create(String baseUrl, Duration timeout, int maxAttempts, Duration firingTtl,
      Consumer<String> outcomes) {
    return new AlertmanagerClient(baseUrl, timeout, maxAttempts, firingTtl, Clock.systemUTC(),
        d -> Thread.sleep(d.toMillis()), outcomes);
  }

  public URI endpoint() {
    return endpoint;
  }

  /** Pushes one alert; never throws for Alertmanager's sake. Restores the interrupt flag if interrupted. */
  public Outcome push(Alert alert) {
    String body = AlertmanagerPayload.toBody(List.of(alert), clock.instant(), firingTtl).toString();
    int attempts = degraded ? 1 : maxAttempts;
    Duration backoff = FIRST_BACKOFF;
    String lastProblem = "";
    for (int attempt = 1; attempt <= attempts; attempt++) {
      try {
        HttpRequest request = HttpRequest.newBuilder(endpoint)
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
          degraded = false;
          outcomes.accept("sent");
          return Outcome.SENT;
        }
        lastProblem = "HTTP " + status + ": " + abbreviate(response.body());
        if (status >= 400 && status < 500 && status != 429) {
          LOG.warn("Alertmanager rejected alert {} ({}): {}", alert.alertId(), alert.kind(), lastProblem);
          outcomes.accept("rejected");
          return Outcome.REJECTED;
        }
      } catch (IOException e) {
        lastProblem = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return failed(alert, "interrupted");
      }
      if (attempt < attempts) {
        outcomes.accept("retried");
        try {
          sleeper.sleep(backoff);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return failed(alert, "interrupted");
        }
        backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
      }
    }
    degraded = true;
    return failed(alert, lastProblem + " after " + attempts + " attempt(s)");
  }

  private Outcome failed(Alert alert, String why) {
    LOG.warn("Could not push alert {} ({} {}) to {}: {}", alert.alertId(), alert.kind(), alert.status(), endpoint, why);
    outcomes.accept("failed");
    return Outcome.FAILED;
  }

  private static String abbreviate(String s) {
    if (s == null) {
      return "";
    }
    String oneLine = s.strip().replace('\n', ' ');
    return oneLine.length() <= 200 ? oneLine : oneLine.substring(0, 200) + "...";
  }
}
