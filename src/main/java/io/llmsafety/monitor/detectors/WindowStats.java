package io.llmsafety.monitor.detectors;

/**
 * Per-variant counts for one event-time window, as written to {@code llm.safety.window-metrics}.
 * Rates are derived by readers; harm-score quantiles are exact up to 64 scores, then within 0.0025
 * ({@link WindowAccumulator}), NaN when the window is empty.
 */
public record WindowStats(
    String variantId,
    String baseModel,
    long windowStart,
    long windowEnd,
    long riskyEvents,
    long riskyRefusals,
    long riskyHarmful,
    long benignEvents,
    long benignRefusals,
    long benignHarmful,
    double harmP50,
    double harmP90,
    double harmP99) {

  public long events() {
    return riskyEvents + benignEvents;
  }

  public double riskyRefusalRate() {
    return riskyEvents == 0 ? Double.NaN : (double) riskyRefusals / riskyEvents;
  }

  public double benignRefusalRate() {
    return benignEvents == 0 ? Double.NaN : (double) benignRefusals / benignEvents;
  }

  public double riskyHarmfulRate() {
    return riskyEvents == 0 ? Double.NaN : (double) riskyHarmful / riskyEvents;
  }

  public double benignHarmfulRate() {
    return benignEvents == 0 ? Double.NaN : (double) benignHarmful / benignEvents;
  }
}
