package io.llmsafety.monitor.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class MetricsEndpointTest {

  /** The metric names DESIGN.md section 5 promises (Prometheus names, without label sets). */
  static final Set<String> DOCUMENTED = Set.of(
      "llm_safety_events_total",
      "llm_safety_refusals_total",
      "llm_safety_harmful_responses_total",
      "llm_safety_refusal_rate",
      "llm_safety_harmful_rate",
      "llm_safety_harm_score_bucket",
      "llm_safety_drift_statistic",
      "llm_safety_alert_active",
      "llm_safety_alerts_total",
      "llm_safety_dead_letters_total",
      "llm_safety_late_events_total",
      "llm_safety_classifier_requests_total",
      "llm_safety_classifier_latency_seconds_bucket",
      "llm_safety_variants_tracked");

  @AfterAll
  static void stop() {
    MetricsServer.stop();
  }

  @Test
  void shouldServeEveryDocumentedMetricOnTheMetricsPath() throws Exception {
    SafetyMetrics m = SafetyMetrics.get();
    m.event("variant-a", true, false, true, 0.93);
    m.lateEvent("variant-a");
    m.alert("variant-a", "refusal_drop", "critical", true);
    m.windowRates("variant-a", "risky", 0.4, 0.5);
    m.driftStatistic("variant-a", "refusal_drop", 3.2, 17.1);
    m.classifierRequest("builtin_refusal", "ok", 4_000);
    int port = MetricsServer.ensureStarted(0);

    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
    for (String name : DOCUMENTED) {
      assertThat(response.body()).as(name).containsPattern("(?m)^" + name + "[{ ]");
    }
    assertThat(response.body()).contains("llm_safety_dead_letters_total{reason=\"malformed_json\"}");
  }

  @Test
  void shouldKeepTheVariantLabelBounded() {
    VariantLabeler labeler = new VariantLabeler(2, Set.of("pinned"));
    assertThat(labeler.label("a")).isEqualTo("a");
    assertThat(labeler.label("b")).isEqualTo("b");
    assertThat(labeler.label("c")).isEqualTo(VariantLabeler.OTHER);
    assertThat(labeler.label("pinned")).isEqualTo("pinned");
    assertThat(labeler.label("a")).isEqualTo("a");
  }

  @Test
  void shouldReuseTheRunningServerInsteadOfFailingWhenAskedTwice() {
    int first = MetricsServer.ensureStarted(0);
    assertThat(MetricsServer.ensureStarted(0)).isEqualTo(first);
  }
}
