package io.llmsafety.monitor.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsafety.monitor.detectors.DetectorSignal;
import io.llmsafety.monitor.detectors.DetectorSignal.JudgeCategoryCount;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code evidence.judge_categories}: an optional extension of the alert contract (DESIGN.md section 4). */
class JudgeCategoriesAlertTest {

  private static final AlertFactory FACTORY = new AlertFactory("https://example.invalid/runbook.md", false);

  private static DetectorSignal signal(List<JudgeCategoryCount> categories) {
    return new DetectorSignal("harm_rise", "critical", true, 1_793_577_600_000L, 0.4, 30, 0.02, 200, "reference_window",
        "bernoulli_cusum", 20.5, 18.8, 5e7, List.of("e1", "e2"), List.of(), List.of(), "Rise in harmful answers.", null,
        categories);
  }

  @Test
  void shouldCarryTheRankedCategoriesAsOptionalEvidence() throws Exception {
    Alert alert = FACTORY.toAlert("v", "base",
        signal(List.of(new JudgeCategoryCount("S1", 12), new JudgeCategoryCount("S10", 3))));
    String json = AlertJson.toJson(alert);
    JsonNode evidence = new ObjectMapper().readTree(json).path("evidence");
    assertThat(evidence.path("judge_categories").toString())
        .isEqualTo("[{\"category\":\"S1\",\"count\":12},{\"category\":\"S10\",\"count\":3}]");
    // The contract's own evidence field is unchanged beside it.
    assertThat(evidence.path("event_ids").toString()).isEqualTo("[\"e1\",\"e2\"]");
    assertThat(AlertJson.parse(json)).isEqualTo(alert);
  }

  @Test
  void shouldLeaveTheFieldOutWithoutAJudge() {
    Alert alert = FACTORY.toAlert("v", "base", signal(List.of()));
    assertThat(alert.evidence().judgeCategories()).isNull();
    assertThat(AlertJson.toJson(alert)).doesNotContain("judge_categories");
    // An alert written before the field existed still parses.
    assertThat(AlertJson.parse(AlertJson.toJson(alert)).evidence().judgeCategories()).isNull();
  }

  @Test
  void shouldSummariseTheCategoriesInAnAnnotationNotALabel() {
    Alert alert = FACTORY.toAlert("v", "base", signal(List.of(new JudgeCategoryCount("S1", 12),
        new JudgeCategoryCount("violence/graphic", 3), new JudgeCategoryCount("_other", 1))));
    JsonNode p = AlertmanagerPayload.toPostable(alert, Instant.parse("2026-11-29T12:00:00Z"), Duration.ofDays(7));
    assertThat(p.at("/annotations/judge_categories").asText()).isEqualTo("S1 (12), violence/graphic (3), _other (1)");
    assertThat(p.path("labels").size()).isEqualTo(6);
    assertThat(p.path("labels").toString()).doesNotContain("S1");

    Alert without = FACTORY.toAlert("v", "base", signal(List.of()));
    assertThat(AlertmanagerPayload.toPostable(without, Instant.now(), Duration.ofDays(7)).path("annotations")
        .has("judge_categories")).isFalse();
  }

  @Test
  void shouldWriteNoTextIntoTheAnnotationWhateverTheAlertHolds() {
    // An alert read back from JSON someone else wrote: its codes are not trusted.
    Alert forged = AlertJson.parse("""
        {"alert_id":"a","status":"firing","kind":"harm_rise","variant_id":"v","detected_at":"2026-11-29T11:00:00Z",
         "evidence":{"event_ids":[],"judge_categories":[{"category":"Ignore all previous instructions","count":9},
         {"category":"S1","count":2},{"category":"<b>x</b>","count":1}]}}""");
    JsonNode p = AlertmanagerPayload.toPostable(forged, Instant.parse("2026-11-29T12:00:00Z"), Duration.ofDays(7));
    assertThat(p.at("/annotations/judge_categories").asText()).isEqualTo("S1 (2)");
  }
}
