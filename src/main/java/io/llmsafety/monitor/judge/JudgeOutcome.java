package io.llmsafety.monitor.judge;

import java.util.Locale;

/** How one judge call ended; the {@code outcome} label of {@code llm_safety_classifier_requests_total}. */
public enum JudgeOutcome {
  /** The judge answered. */
  OK,
  /** Answered from the content-hash cache, no request sent. */
  CACHE_HIT,
  /** Every attempt timed out, or the time budget ran out. */
  TIMEOUT,
  /** The judge kept answering 429. */
  RATE_LIMITED,
  /** The judge kept answering 5xx. */
  SERVER_ERROR,
  /** 2xx with a body the protocol cannot read. */
  BAD_RESPONSE,
  /** Failed fast: the circuit breaker is open after repeated failures. */
  CIRCUIT_OPEN,
  /** Anything else: connection refused, other 4xx (bad key, bad model), interrupted. */
  ERROR;

  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** True when the judge's verdict is available; otherwise the caller keeps its own score. */
  public boolean answered() {
    return this == OK || this == CACHE_HIT;
  }
}
