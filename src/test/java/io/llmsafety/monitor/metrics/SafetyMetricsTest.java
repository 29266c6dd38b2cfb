package io.llmsafety.monitor.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The series the dashboards and rules depend on, as the exposition shows them. The registry is
 * per JVM, so each test uses its own variant and classifier names.
 */
class SafetyMetricsTest {

  private final SafetyMetrics metrics = SafetyMetrics.get();

  @Test
  void shouldCountInputRecordsWithoutLabels() {
    double before = value("llm_safety_input_records_total ");
    metrics.inputRecord();
    metrics.inputRecord();
    assertThat(value("llm_safety_input_records_total ")).isEqualTo(before + 2);
  }

  @Test
  void shouldExposeBaselineRatesOnlyOnceKnown() {
    metrics.baselineRates("sm-test-pending", "risky", Double.NaN, Double.NaN);
    metrics.baselineRates("sm-test-ready", "risky", 0.95, 0.01);
    String text = metrics.scrape();
    assertThat(text).doesNotContain("sm-test-pending")
        .contains("llm_safety_baseline_refusal_rate{model_variant=\"sm-test-ready\",segment=\"risky\"} 0.95")
        .contains("llm_safety_baseline_harmful_rate{model_variant=\"sm-test-ready\",segment=\"risky\"} 0.01");
  }

  @Test
  void shouldExposeAZeroErrorCountFromAClassifiersFirstRequest() {
    metrics.classifierRequest("sm_test_scorer", "ok", 1_000);
    assertThat(metrics.scrape())
        .contains("llm_safety_classifier_requests_total{classifier=\"sm_test_scorer\",outcome=\"error\"} 0.0")
        .contains("llm_safety_classifier_requests_total{classifier=\"sm_test_scorer\",outcome=\"ok\"} 1.0");
  }

  @Test
  void shouldExposeARemoteJudgesOutcomesRetriesAndLatencyHistogram() {
    metrics.registerClassifier("sm_test_judge", java.util.List.of("ok", "timeout", "circuit_open"));
    metrics.classifierRequest("sm_test_judge", "timeout", 2_000_000_000L);
    metrics.classifierRetry("sm_test_judge", "rate_limited");
    assertThat(metrics.scrape())
        .contains("llm_safety_classifier_requests_total{classifier=\"sm_test_judge\",outcome=\"circuit_open\"} 0.0")
        .contains("llm_safety_classifier_requests_total{classifier=\"sm_test_judge\",outcome=\"timeout\"} 1.0")
        .contains("llm_safety_classifier_retries_total{classifier=\"sm_test_judge\",reason=\"rate_limited\"} 1.0")
        // Buckets, so histogram_quantile works on judge latency.
        .contains("llm_safety_classifier_latency_seconds_bucket{classifier=\"sm_test_judge\",le=\"+Inf\"} 1");
  }

  @Test
  void shouldBoundJudgeCategoryLabels() {
    metrics.judgeCategory("sm_cat_judge", "harassment/threatening");
    metrics.judgeCategory("sm_cat_judge", "not a label; {injected}");
    for (int i = 0; i < SafetyMetrics.MAX_JUDGE_CATEGORIES + 5; i++) {
      metrics.judgeCategory("sm_cat_judge", "sm-made-up-" + i);
    }
    String text = metrics.scrape();
    assertThat(text)
        .contains("llm_safety_judge_categories_total{category=\"harassment/threatening\",classifier=\"sm_cat_judge\"} 1.0")
        .doesNotContain("injected");
    // This classifier's series only: other tests in the JVM share the registry.
    long distinct = text.lines().filter(l -> l.startsWith("llm_safety_judge_categories_total{"))
        .filter(l -> l.contains("classifier=\"sm_cat_judge\"")).count();
    assertThat(distinct).isLessThanOrEqualTo(SafetyMetrics.MAX_JUDGE_CATEGORIES + 1);
    assertThat(value("llm_safety_judge_categories_total{category=\"_other\",classifier=\"sm_cat_judge\"} ")).isGreaterThanOrEqualTo(1.0);
  }

  @Test
  void shouldCountRepeatedHarmfulPromptsSkippedByTheBackdoorMiners() {
    metrics.backdoorRepeatedPromptsSkipped("sm-skip-variant", 0);
    String label = metrics.variantLabel("sm-skip-variant");
    assertThat(metrics.scrape()).doesNotContain(
        "llm_safety_backdoor_repeated_prompts_skipped_total{model_variant=\"sm-skip-variant\"}");
    metrics.backdoorRepeatedPromptsSkipped("sm-skip-variant", 3);
    metrics.backdoorRepeatedPromptsSkipped("sm-skip-variant", 2);
    assertThat(value("llm_safety_backdoor_repeated_prompts_skipped_total{model_variant=\"" + label + "\"} "))
        .isGreaterThanOrEqualTo(5.0);
  }

  @Test
  void shouldCountRejectedJudgeCategoriesByReason() {
    metrics.judgeCategoryRejected("sm_rej_judge", "malformed", 2);
    metrics.judgeCategoryRejected("sm_rej_judge", "over_limit", 3);
    metrics.judgeCategoryRejected("sm_rej_judge", "over_limit", 1);
    assertThat(value("llm_safety_judge_categories_rejected_total{classifier=\"sm_rej_judge\",reason=\"malformed\"} ")).isEqualTo(2.0);
    assertThat(value("llm_safety_judge_categories_rejected_total{classifier=\"sm_rej_judge\",reason=\"over_limit\"} ")).isEqualTo(4.0);
  }

  private double value(String seriesPrefix) {
    return metrics.scrape().lines().filter(l -> l.startsWith(seriesPrefix)).findFirst()
        .map(l -> Double.parseDouble(l.substring(seriesPrefix.length()).trim())).orElse(0.0);
  }
}
