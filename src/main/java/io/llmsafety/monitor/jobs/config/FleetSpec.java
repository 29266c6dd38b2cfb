package io.llmsafety.monitor.jobs.config;

import java.io.Serializable;

/**
 * The fleet-level false-alarm budget from which each test's in-control average run length (ARL0)
 * is derived (DESIGN.md section 9). On-call trusts a quiet pager, so the budget is stated for the
 * whole fleet, not per test: 1,000 variants x 5 statistics at ARL0 = 10^6 events with 60 risky
 * prompts an hour each would still page falsely about every three hours.
 *
 * @param variants how many variants the fleet runs (an upper estimate is the safe side)
 * @param falseAlertsPerWeek at most this many false critical alerts a week across the fleet
 * @param riskyEventsPerVariantPerHour typical rate of risky prompts per variant (refusal statistics)
 * @param eventsPerVariantPerHour typical rate of all events per variant (harm statistics)
 * @param minArl0 floor on any derived ARL0, in events; read from {@code detectors.min_arl0}
 */
public record FleetSpec(
    int variants,
    double falseAlertsPerWeek,
    double riskyEventsPerVariantPerHour,
    double eventsPerVariantPerHour,
    double minArl0)
    implements Serializable {

  static final double HOURS_PER_WEEK = 168.0;

  /**
   * The ARL0, in events of this statistic, that keeps the fleet within budget:
   *
   * <pre>max(minArl0, eventsPerHour * 168 * variants * testsPerVariant / falseAlertsPerWeek)</pre>
   *
   * <p>Why: a test restarted after each alarm on stationary traffic raises on average one false
   * alarm per ARL0 events, so it raises {@code eventsPerHour * 168 / ARL0} a week; the fleet runs
   * {@code variants * testsPerVariant} such tests. Solving fleet total {@code <= falseAlertsPerWeek}
   * for ARL0 gives the formula (a Bonferroni-style split, conservative when tests are correlated).
   * The price is small: CUSUM detection delay grows only with {@code ln(ARL0)}.
   *
   * @param eventsPerHourForThisStatistic events per variant per hour the statistic sees, e.g.
   *     {@link #riskyEventsPerVariantPerHour()} for refusal-on-risky-prompt tests
   * @param testsPerVariant how many tests run on each variant
   */
  public double arl0For(double eventsPerHourForThisStatistic, int testsPerVariant) {
    if (!(eventsPerHourForThisStatistic > 0) || Double.isInfinite(eventsPerHourForThisStatistic)) {
      throw new IllegalArgumentException("eventsPerHourForThisStatistic must be > 0, got " + eventsPerHourForThisStatistic);
    }
    if (testsPerVariant < 1) {
      throw new IllegalArgumentException("testsPerVariant must be >= 1, got " + testsPerVariant);
    }
    double derived = eventsPerHourForThisStatistic * HOURS_PER_WEEK * variants * testsPerVariant / falseAlertsPerWeek;
    return Math.max(minArl0, derived);
  }
}
