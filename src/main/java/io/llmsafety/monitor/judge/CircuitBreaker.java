package io.llmsafety.monitor.judge;

import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fails fast while the judge is down, so an outage costs one quick fallback per event instead of
 * a full retry budget, and the judge gets room to recover. Closed: every request goes through;
 * {@code failureThreshold} consecutive failed attempts open it. Open: nothing goes through for
 * {@code openFor}. Then half-open: one probe goes through; its success closes the circuit, its
 * failure opens it for another {@code openFor}.
 */
final class CircuitBreaker {

  enum State { CLOSED, OPEN, HALF_OPEN }

  private static final Logger LOG = LoggerFactory.getLogger(CircuitBreaker.class);

  private final String name;
  private final int failureThreshold;
  private final long openForNanos;
  private final LongSupplier nanoClock;
  private State state = State.CLOSED;
  private int consecutiveFailures;
  private long openedAt;

  /** @param nanoClock monotonic nanoseconds ({@code System::nanoTime}); tests pass one they advance */
  CircuitBreaker(String name, int failureThreshold, Duration openFor, LongSupplier nanoClock) {
    if (failureThreshold < 1) {
      throw new IllegalArgumentException("failureThreshold must be >= 1, got " + failureThreshold);
    }
    this.name = name;
    this.failureThreshold = failureThreshold;
    this.openForNanos = openFor.toNanos();
    this.nanoClock = nanoClock;
  }

  /** Whether a request could go through now, without claiming the half-open probe. */
  synchronized boolean mightAllow() {
    return state == State.CLOSED || state == State.OPEN && coolDownOver();
  }

  /**
   * Claims the right to send one request. Every {@code true} must be followed by
   * {@link #onSuccess()} or {@link #onFailure()}.
   */
  synchronized boolean tryAcquire() {
    switch (state) {
      case CLOSED:
        return true;
      case OPEN:
        if (coolDownOver()) {
          state = State.HALF_OPEN;
          return true;
        }
        return false;
      default:
        return false; // the probe is in flight
    }
  }

  synchronized void onSuccess() {
    if (state != State.CLOSED) {
      LOG.info("Judge {}: circuit closed, the judge answers again", name);
    }
    state = State.CLOSED;
    consecutiveFailures = 0;
  }

  synchronized void onFailure() {
    consecutiveFailures++;
    if (state == State.HALF_OPEN || state == State.CLOSED && consecutiveFailures >= failureThreshold) {
      if (state == State.CLOSED) {
        LOG.warn("Judge {}: circuit opened after {} consecutive failures; built-in scores only for {} ms",
            name, consecutiveFailures, openForNanos / 1_000_000);
      }
      state = State.OPEN;
      openedAt = nanoClock.getAsLong();
    }
  }

  synchronized State state() {
    return state;
  }

  private boolean coolDownOver() {
    return nanoClock.getAsLong() - openedAt >= openForNanos;
  }
}
