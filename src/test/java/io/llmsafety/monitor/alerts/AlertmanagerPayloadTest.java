package io.llmsafety.monitor.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmsafety.monitor.detectors.DetectorSignal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AlertmanagerPayloadTest {

  static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
  static final String DETECTED = "2026-11-29T11:58:30Z";
  static final Duration TTL = Duration.ofDays(7);

  @ParameterizedTest
  @CsvSource({
    "refusal_drop, LlmSafetyRefusalDrop",
    "harm_rise, LlmSafetyHarmRise",
    "backdoor_suspected, LlmSafetyBackdoorSuspected",
    "score_drift, LlmSafetyScoreDrift",
    "over_refusal, LlmSafetyOverRefusal"
  })
  void shouldNameAlertsLikeThePrometheusRules(String kind, String name) {
    assertThat(AlertmanagerPayload.alertName(kind)).isEqualTo(name);
  }

  @Test
  void shouldLabelAFiringAlertAndEndItAfterTheTtl() {
    JsonNode p = AlertmanagerPayload.toPostable(TestAlerts.refusalDrop("v1", Alert.FIRING, DETECTED), NOW, TTL);
    assertThat(p.at("/labels/alertname").asText()).isEqualTo("LlmSafetyRefusalDrop");
    assertThat(p.at("/labels/model_variant").asText()).isEqualTo("v1");
    assertThat(p.at("/labels/kind").asText()).isEqualTo("refusal_drop");
    assertThat(p.at("/labels/severity").asText()).isEqualTo("critical");
    assertThat(p.at("/labels/base_model").asText()).isEqualTo("base-a");
    assertThat(p.at("/labels/fingerprint").asText()).isEqualTo(AlertFactory.fingerprint("v1", "refusal_drop"));
    assertThat(p.path("labels").size()).isEqualTo(6);
    assertThat(p.path("startsAt").asText()).isEqualTo(DETECTED);
    assertThat(p.path("endsAt").asText()).isEqualTo(NOW.plus(TTL).toString());
    assertThat(p.at("/annotations/description").asText())
        .contains("Observed rate 0.7100 over 412 events vs baseline 0.9700 over 5000 (reference_window)")
        .contains("bernoulli_cusum = 12.30, threshold 9.100");
    assertThat(p.at("/annotations/runbook_url").asText()).endsWith("#llmsafetyrefusaldrop");
    assertThat(p.at("/annotations/summary").asText()).isNotBlank();
  }

  @Test
  void shouldCarryTheRunsTenantsIntoTheAlertAndAnAnnotation() throws Exception {
    DetectorSignal s = new DetectorSignal("over_refusal", "warning", true, Instant.parse(DETECTED).toEpochMilli(), 0.149,
        174, 0.031, 5000, "reference_window", "bernoulli_cusum", 18.2, 17.6, 5e8, List.of("e1"),
        List.of(), List.of(), "rise", null, List.of(),
        List.of(new DetectorSignal.TenantShare("new-tenant", 53, 24), new DetectorSignal.TenantShare(null, 121, 2)));
    Alert a = new AlertFactory("https://example.invalid/runbook.md", false).toAlert("v1", null, s);
    JsonNode json = AlertJson.mapper().readTree(AlertJson.toJson(a));
    assertThat(json.at("/evidence/tenants/0/tenant").asText()).isEqualTo("new-tenant");
    assertThat(json.at("/evidence/tenants/0/events").asLong()).isEqualTo(53);
    assertThat(json.at("/evidence/tenants/0/positives").asLong()).isEqualTo(24);
    assertThat(json.at("/evidence/tenants/1").has("tenant")).isFalse();
    assertThat(AlertJson.parse(AlertJson.toJson(a))).isEqualTo(a);

    JsonNode p = AlertmanagerPayload.toPostable(a, NOW, TTL);
    assertThat(p.at("/annotations/tenants").asText()).isEqualTo("new-tenant 24/53, (no tenant) 2/121 (positives/events)");
    assertThat(AlertmanagerPayload.toPostable(TestAlerts.refusalDrop("v1", Alert.FIRING, DETECTED), NOW, TTL)
        .path("annotations").has("tenants")).isFalse();
  }

  @Test
  void shouldEndAResolvedAlertAtItsEventTime() {
    JsonNode p = AlertmanagerPayload.toPostable(TestAlerts.refusalDrop("v1", Alert.RESOLVED, DETECTED), NOW, TTL);
    assertThat(p.path("startsAt").asText()).isEqualTo(DETECTED);
    assertThat(p.path("endsAt").asText()).isEqualTo(DETECTED);
  }

  @Test
  void shouldListTriggerCandidatesAndOmitAMissingBaseModel() {
    JsonNode p = AlertmanagerPayload.toPostable(TestAlerts.backdoor("v2", Alert.FIRING, DETECTED), NOW, TTL);
    assertThat(p.path("labels").has("base_model")).isFalse();
    assertThat(p.at("/annotations/trigger_candidates").asText()).isEqualTo("\"cf-zeta\" (lift 41.0, support 37, p 1.0e-09)");
  }

  @Test
  void shouldEndAFiringAlertFromItsEventTimeWhenThatIsAheadOfTheClock() {
    String future = "2026-11-30T00:00:00Z";
    JsonNode p = AlertmanagerPayload.toPostable(TestAlerts.refusalDrop("v1", Alert.FIRING, future), NOW, TTL);
    assertThat(p.path("endsAt").asText()).isEqualTo(Instant.parse(future).plus(TTL).toString());
  }

  @Test
  void shouldUpdateTheSameAlertmanagerAlertOnARenotification() {
    AlertFactory factory = new AlertFactory("https://example.org/runbook.md", false);
    long detected = Instant.parse(DETECTED).toEpochMilli();
    io.llmsafety.monitor.detectors.DetectorSignal s = new io.llmsafety.monitor.detectors.DetectorSignal("refusal_drop",
        "critical", true, detected, 0.29, 412, 0.97, 5000, "base_model", "bernoulli_cusum", 12.3, 9.1, 2e7,
        List.of("e1"), List.of(), List.of(), "Drop in refusals");
    Alert first = factory.toAlert("v1", "base-a", s);
    Alert again = factory.toAlert("v1", "base-a", s, 2, detected + Duration.ofHours(4).toMillis());
    assertThat(first.renotify()).isNull();
    assertThat(first.notificationCount()).isNull();
    assertThat(first.notifiedAt()).isNull();
    assertThat(again.alertId()).isEqualTo(first.alertId());
    assertThat(again.renotify()).isTrue();
    assertThat(again.notifiedAt()).isEqualTo("2026-11-29T15:58:30Z");
    assertThat(AlertJson.parse(AlertJson.toJson(again))).isEqualTo(again);
    assertThat(AlertJson.toJson(first)).doesNotContain("renotify", "notification_count", "notified_at");

    Instant later = NOW.plus(Duration.ofHours(4));
    JsonNode p1 = AlertmanagerPayload.toPostable(first, NOW, TTL);
    JsonNode p2 = AlertmanagerPayload.toPostable(again, later, TTL);
    assertThat(p2.path("labels")).isEqualTo(p1.path("labels"));
    assertThat(p2.path("startsAt")).isEqualTo(p1.path("startsAt"));
    assertThat(p2.path("endsAt").asText()).isEqualTo(later.plus(TTL).toString());
    assertThat(p2.at("/annotations/notification_count").asText()).isEqualTo("2");
    assertThat(p1.path("annotations").has("notification_count")).isFalse();
  }
}
