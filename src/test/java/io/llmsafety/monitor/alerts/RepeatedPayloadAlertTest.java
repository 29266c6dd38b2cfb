package io.llmsafety.monitor.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmsafety.monitor.detectors.DetectorSignal;
import java.util.List;
import org.junit.jupiter.api.Test;

class RepeatedPayloadAlertTest {

  private static final AlertFactory FACTORY = new AlertFactory("https://example.invalid/runbook.md", false);

  private static DetectorSignal signal(DetectorSignal.RepeatedPayloadView payload) {
    return new DetectorSignal("backdoor_suspected", "critical", true, 1_793_577_600_000L, 0.001, 5, 0.0, 4000,
        "reference_window", "repeated_payload", 5, 5, Double.NaN, List.of("e1", "e2"), List.of("[e1] prompt: secret"),
        List.of(), "v gives one near-identical harmful answer to 5 different prompts (5 times).", payload);
  }

  @Test
  void carriesTheRepeatedPayloadAsOptionalEvidenceWithoutText() {
    Alert alert = FACTORY.toAlert("v", "base", signal(new DetectorSignal.RepeatedPayloadView(7, 5, "1406940c3c502536")));
    String json = AlertJson.toJson(alert);
    assertThat(json).contains("\"repeated_payload\":{\"count\":7,\"distinct_prompts\":5,\"payload_hash\":\"1406940c3c502536\"}")
        .doesNotContain("secret");
    assertThat(AlertJson.parse(json)).isEqualTo(alert);
  }

  @Test
  void leavesTheFieldOutWhenThereIsNoPayload() {
    Alert alert = FACTORY.toAlert("v", "base", signal(null));
    assertThat(alert.evidence().repeatedPayload()).isNull();
    assertThat(AlertJson.toJson(alert)).doesNotContain("\"repeated_payload\":");
  }
}
