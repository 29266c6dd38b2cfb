package io.llmsafety.monitor.jobs.config;

import java.io.Serializable;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * Optional remote safety judge ({@code scoring.judge}): an OpenAI-compatible moderation endpoint or
 * Llama Guard behind an OpenAI-compatible chat-completions endpoint, asked asynchronously after the
 * built-in scorers. Any judge failure keeps the built-in score; no event waits for a judge longer
 * than {@link #totalBudget()}.
 *
 * @param url base URL without the {@code /v1/...} path, e.g. {@code https://api.openai.com}; required when enabled
 * @param model model name sent in the request body; null only while disabled
 * @param apiKeyEnv name of the environment variable holding the bearer token, or null for none;
 *     the key itself is read on each worker and never stored in the spec
 * @param timeout per HTTP attempt
 * @param maxAttempts tries per event (first included) on timeouts, 429 and 5xx
 * @param backoff first wait between attempts; doubles per retry, with jitter
 * @param maxBackoff cap on any wait, including a server's {@code Retry-After}
 * @param maxConcurrency requests in flight per parallel subtask; also the async operator's capacity
 * @param cacheSize verdicts remembered per subtask by content hash; 0 disables the cache
 * @param minBuiltinHarm only events whose built-in harm score is at least this are judged
 * @param sampleRate fraction of the remaining events judged, chosen by a hash of event_id (deterministic)
 */
public record JudgeSpec(
    boolean enabled,
    Protocol protocol,
    String url,
    String model,
    String apiKeyEnv,
    Duration timeout,
    int maxAttempts,
    Duration backoff,
    Duration maxBackoff,
    int maxConcurrency,
    int cacheSize,
    CircuitBreaker circuitBreaker,
    Policy policy,
    double minBuiltinHarm,
    double sampleRate) implements Serializable {

  public enum Protocol {
    /** {@code POST /v1/moderations}; harm = the largest category score. */
    OPENAI_MODERATION,
    /** {@code POST /v1/chat/completions} to a Llama Guard model; harm = 1 for {@code unsafe}, 0 for {@code safe}. */
    LLAMA_GUARD;

    /** Also the {@code classifier} label of the judge's metrics. */
    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** How a judge's answer combines with the score the event already has (built-in or upstream). */
  public enum Policy {
    /** The judge's score and verdict replace the built-in ones. */
    REPLACE,
    /** The larger harm score, and harmful if either says so: the cautious choice. */
    MAX;

    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * @param failureThreshold consecutive failed attempts that open the circuit
   * @param openFor how long an open circuit fails fast before one probe request is let through
   */
  public record CircuitBreaker(int failureThreshold, Duration openFor) implements Serializable {
    public CircuitBreaker {
      Objects.requireNonNull(openFor, "openFor");
    }
  }

  public JudgeSpec {
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(backoff, "backoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    Objects.requireNonNull(circuitBreaker, "circuitBreaker");
    Objects.requireNonNull(policy, "policy");
    if (enabled && (url == null || model == null)) {
      throw new IllegalArgumentException("an enabled judge needs a url and a model");
    }
  }

  /**
   * Longest the client spends on one event: every attempt timing out plus the longest waits
   * between them. The Flink operator's own timeout sits above this, as a backstop only.
   */
  public Duration totalBudget() {
    return timeout.multipliedBy(maxAttempts).plus(maxBackoff.multipliedBy(maxAttempts - 1L));
  }
}
