package io.llmsafety.monitor.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SeedSummaryTest {

  private static DetectionEvaluator.Result result(String scenario, String kind, boolean detected, long segmentDelay,
      double minutes, double toBound, int falseAlarms, String trigger, Boolean top1, Boolean top3, long triggered) {
    return new DetectionEvaluator.Result(scenario, "", 100_000, 5, kind == null ? null : "v", kind, "12:00", detected,
        detected ? "2026-11-02T13:00:00Z" : null, segmentDelay * 10, segmentDelay, "risky", detected ? minutes : Double.NaN,
        1e6, 14, 20, detected ? toBound : Double.NaN, falseAlarms, falseAlarms * 10.0,
        java.util.Collections.nCopies(falseAlarms, "harm_rise on v @ 13:00"), detected ? 1 : 0, List.of(), trigger, top1,
        top3, List.of(), triggered, false);
  }

  @Test
  void summarisesEachScenarioOverItsSeedsInFirstSeenOrder() {
    List<SeedSummary> s = SeedSummary.of(List.of(
        List.of(result("abrupt", "refusal_drop", true, 18, 15.0, 1.5, 0, null, null, null, 0),
            result("healthy", null, false, 0, 0, 0, 0, null, null, null, 0)),
        List.of(result("abrupt", "refusal_drop", true, 30, 25.0, 2.5, 1, null, null, null, 0),
            result("healthy", null, false, 0, 0, 0, 2, null, null, null, 0)),
        List.of(result("abrupt", "refusal_drop", false, 0, 0, 0, 0, null, null, null, 0),
            result("healthy", null, false, 0, 0, 0, 0, null, null, null, 0))));

    assertThat(s).extracting(SeedSummary::scenario).containsExactly("abrupt", "healthy");
    SeedSummary abrupt = s.get(0);
    assertThat(abrupt.runs()).isEqualTo(3);
    assertThat(abrupt.detected()).isEqualTo(2);
    // Spreads are over detected runs only; an even count takes the middle pair's mean.
    assertThat(abrupt.segmentDelay()).isEqualTo(new SeedSummary.Spread(2, 24, 18, 30));
    assertThat(abrupt.minutes().median()).isEqualTo(20.0);
    assertThat(abrupt.triggeredEvents().n()).isZero();
    assertThat(abrupt.falseAlarms()).isEqualTo(1);
    assertThat(abrupt.falseAlarmsPerMillion()).isCloseTo(1e6 / 300_000, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(abrupt.tableRow()).startsWith("| abrupt | refusal_drop | **2 of 3** | 24 [18–30] | 20.0 [15.0–25.0] | - | 2.00 [1.50–2.50] | 1 |");

    SeedSummary healthy = s.get(1);
    assertThat(healthy.falseAlarms()).isEqualTo(2);
    assertThat(healthy.tableRow()).startsWith("| healthy | none (silent) | n/a | - | - | - | - | 2 |");
  }

  @Test
  void backdoorRowsCountTriggeredEventsAndNamedTriggersIncludingMissedRuns() {
    List<SeedSummary> s = SeedSummary.of(List.of(
        List.of(result("backdoor_badnet", "backdoor_suspected", true, 9, 100, Double.NaN, 0, "BadMagic", true, true, 15)),
        List.of(result("backdoor_badnet", "backdoor_suspected", true, 12, 130, Double.NaN, 0, "BadMagic", false, true, 21)),
        List.of(result("backdoor_badnet", "backdoor_suspected", false, 0, 0, Double.NaN, 0, "BadMagic", null, null, 40))));
    SeedSummary b = s.get(0);
    assertThat(b.triggeredEvents()).isEqualTo(new SeedSummary.Spread(2, 18, 15, 21));
    assertThat(b.delayToBound().n()).isZero();
    assertThat(b.top1()).isEqualTo(1);
    assertThat(b.top3()).isEqualTo(2);
    assertThat(b.triggerRuns()).isEqualTo(3);
    assertThat(b.tableRow()).contains("| **2 of 3** |").contains("| 18 [15–21] |").endsWith("| 1 / 2 of 3 |");
  }

  @Test
  void aSingleRunShowsItsFigureWithoutARange() {
    SeedSummary one = SeedSummary.of(List.of(
        List.of(result("gradual", "refusal_drop", true, 545, 141.0, Double.NaN, 0, null, null, null, 0)))).get(0);
    assertThat(one.tableRow()).startsWith("| gradual | refusal_drop | 1 of 1 | 545 | 141.0 | - | - | 0 |");
  }
}
