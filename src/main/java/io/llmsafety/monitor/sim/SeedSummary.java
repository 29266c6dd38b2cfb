package io.llmsafety.monitor.sim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * One scenario's {@link DetectionEvaluator.Result}s over several generator seeds: how often it was
 * detected, the spread of its delays, its false alarms in all. One seed's day is one draw of the
 * stream; the spread says how much of a figure is the draw.
 *
 * @param scenario scenario name
 * @param expectedKind the ground-truth kind, null for a silent scenario
 * @param runs seeds run
 * @param detected runs whose expected kind was detected
 * @param segmentDelay post-onset events of the ground-truth segment to detection, over detected runs
 * @param minutes event-time minutes from onset to detection, over detected runs
 * @param triggeredEvents trigger-carrying events to detection, over detected runs of a backdoor scenario
 * @param delayToBound segment delay over the ln(ARL0)/KL bound, over detected runs of a step change
 * @param falseAlarms false alarms over all runs
 * @param events events over all runs
 * @param top1 runs whose trigger was named first
 * @param top3 runs whose trigger was among the first three
 * @param triggerRuns runs with a trigger to name
 */
public record SeedSummary(
    String scenario,
    String expectedKind,
    int runs,
    int detected,
    Spread segmentDelay,
    Spread minutes,
    Spread triggeredEvents,
    Spread delayToBound,
    int falseAlarms,
    long events,
    int top1,
    int top3,
    int triggerRuns) {

  /** Median, least and greatest of some runs' figures; {@code n == 0} when there are none. */
  public record Spread(int n, double median, double min, double max) {

    static Spread of(List<Double> values) {
      List<Double> v = values.stream().filter(Double::isFinite).sorted().toList();
      if (v.isEmpty()) {
        return new Spread(0, Double.NaN, Double.NaN, Double.NaN);
      }
      int n = v.size();
      double median = n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
      return new Spread(n, median, v.get(0), v.get(n - 1));
    }

    String format(String pattern) {
      if (n == 0) {
        return "-";
      }
      String med = String.format(Locale.ROOT, pattern, median);
      return n == 1 ? med : med + " [" + String.format(Locale.ROOT, pattern, min) + "–" + String.format(Locale.ROOT, pattern, max) + "]";
    }
  }

  public static final String TABLE_HEADER =
      "| scenario | expected | detected | delay: segment events | delay (min) | triggered events | delay/bound | false alarms | per 10^6 events | trigger top-1 / top-3 |\n"
          + "|---|---|---|---:|---:|---:|---:|---:|---:|---|";

  /** Summaries per scenario, in the order scenarios first appear; {@code runs} holds every seed's results. */
  public static List<SeedSummary> of(List<List<DetectionEvaluator.Result>> runs) {
    Map<String, List<DetectionEvaluator.Result>> byScenario = new LinkedHashMap<>();
    for (List<DetectionEvaluator.Result> run : runs) {
      for (DetectionEvaluator.Result r : run) {
        byScenario.computeIfAbsent(r.scenario(), k -> new ArrayList<>()).add(r);
      }
    }
    List<SeedSummary> out = new ArrayList<>();
    byScenario.forEach((name, rs) -> out.add(summarise(name, rs)));
    return out;
  }

  private static SeedSummary summarise(String name, List<DetectionEvaluator.Result> rs) {
    List<DetectionEvaluator.Result> hits = rs.stream().filter(DetectionEvaluator.Result::detected).toList();
    String kind = rs.get(0).expectedKind();
    boolean backdoor = "backdoor_suspected".equals(kind);
    List<DetectionEvaluator.Result> named = rs.stream().filter(r -> r.triggerTop1() != null || r.trigger() != null).toList();
    return new SeedSummary(
        name,
        kind,
        rs.size(),
        hits.size(),
        spread(hits, r -> r.delaySegmentEvents()),
        spread(hits, DetectionEvaluator.Result::delayMinutes),
        backdoor ? spread(hits, r -> r.triggeredEvents()) : Spread.of(List.of()),
        spread(hits, DetectionEvaluator.Result::delayToBound),
        rs.stream().mapToInt(DetectionEvaluator.Result::falseAlarms).sum(),
        rs.stream().mapToLong(DetectionEvaluator.Result::events).sum(),
        (int) named.stream().filter(r -> Boolean.TRUE.equals(r.triggerTop1())).count(),
        (int) named.stream().filter(r -> Boolean.TRUE.equals(r.triggerTop3())).count(),
        named.size());
  }

  private static Spread spread(List<DetectionEvaluator.Result> rs, ToDoubleFunction<DetectionEvaluator.Result> f) {
    return Spread.of(rs.stream().map(r -> f.applyAsDouble(r)).toList());
  }

  /** False alarms per 10^6 events over all runs. */
  public double falseAlarmsPerMillion() {
    return events == 0 ? 0 : falseAlarms * 1e6 / events;
  }

  public String tableRow() {
    boolean silent = expectedKind == null;
    String det = silent ? "n/a" : (detected == runs ? "" : "**") + detected + " of " + runs + (detected == runs ? "" : "**");
    String trig = triggerRuns == 0 ? "-" : top1 + " / " + top3 + " of " + triggerRuns;
    return String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %d | %.1f | %s |", scenario,
        silent ? "none (silent)" : expectedKind, det, segmentDelay.format("%.0f"), minutes.format("%.1f"),
        triggeredEvents.format("%.0f"), delayToBound.format("%.2f"), falseAlarms, falseAlarmsPerMillion(), trig);
  }
}
