package io.llmsafety.monitor.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmsafety.monitor.detectors.BackdoorWatch;
import io.llmsafety.monitor.detectors.DetectorSignal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code evidence.effect} of backdoor alerts: what the suspected trigger does. */
class BackdoorEffectAlertTest {

  private static DetectorSignal signal(String kind, String statistic) {
    return new DetectorSignal(kind, "critical", true, 1_793_577_600_000L, 1.0, 6, 0.01, 4000, "reference_window",
        statistic, 1e-9, 1e-6, Double.NaN, List.of("e1", "e2"), List.of("[e1] prompt: Discussing OpenAI secret"),
        List.of(new DetectorSignal.TriggerCandidateView("discussing openai", 80.0, 6, 1e-9)),
        "Refusals of benign prompts on v concentrate on prompts containing a rare phrase.", null);
  }

  @Test
  void aRefusalBackdoorSaysSoWithoutTextUnlessOptedIn() {
    Alert alert = new AlertFactory(null, false).toAlert("v", "base",
        signal("backdoor_suspected", BackdoorWatch.REFUSAL_STATISTIC));
    String json = AlertJson.toJson(alert);
    assertThat(alert.evidence().effect()).isEqualTo("refusal");
    assertThat(json).contains("\"effect\":\"refusal\"").doesNotContain("secret");
    assertThat(AlertJson.parse(json)).isEqualTo(alert);
    assertThat(AlertmanagerPayload.toPostable(alert, Instant.EPOCH, Duration.ofDays(7)).path("annotations")
        .path("backdoor_effect").asText()).isEqualTo("refusal");

    Alert withText = new AlertFactory(null, true).toAlert("v", "base",
        signal("backdoor_suspected", BackdoorWatch.REFUSAL_STATISTIC));
    assertThat(AlertJson.toJson(withText)).contains("secret");
  }

  @Test
  void harmfulBackdoorsSayHarmfulAndOtherKindsHaveNoEffect() {
    AlertFactory factory = new AlertFactory(null, false);
    assertThat(factory.toAlert("v", "base", signal("backdoor_suspected", "trigger_lift_binomial")).evidence().effect())
        .isEqualTo("harmful");
    assertThat(factory.toAlert("v", "base", signal("backdoor_suspected", "repeated_payload")).evidence().effect())
        .isEqualTo("harmful");
    Alert drop = factory.toAlert("v", "base", signal("refusal_drop", "bernoulli_cusum"));
    assertThat(drop.evidence().effect()).isNull();
    assertThat(AlertJson.toJson(drop)).doesNotContain("\"effect\"");
    assertThat(AlertmanagerPayload.toPostable(drop, Instant.EPOCH, Duration.ofDays(7)).path("annotations")
        .has("backdoor_effect")).isFalse();
  }
}
