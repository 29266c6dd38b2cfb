package io.llmsafety.monitor.alerts;

import io.llmsafety.monitor.alerts.Alert.Baseline;
import io.llmsafety.monitor.alerts.Alert.Evidence;
import io.llmsafety.monitor.alerts.Alert.Observed;
import io.llmsafety.monitor.alerts.Alert.Statistic;
import io.llmsafety.monitor.alerts.Alert.TriggerCandidate;

/** Alerts as the job emits them, for sink tests. */
final class TestAlerts {

  private TestAlerts() {}

  static Alert refusalDrop(String variant, String status, String detectedAt) {
    return new Alert("id-" + variant + "-" + status, AlertFactory.fingerprint(variant, "refusal_drop"), status, "critical",
        "refusal_drop", variant, "base-a", detectedAt, new Observed(0.71, 412), new Baseline(0.97, 5000, "reference_window"),
        new Statistic("bernoulli_cusum", 12.3, 9.1, 2.0e7), new Evidence(new String[] {"e1", "e2"}, null, null),
        "Refusal rate on risky prompts dropped for " + variant,
        "https://example.org/runbook.md#llmsafetyrefusaldrop");
  }

  static Alert backdoor(String variant, String status, String detectedAt) {
    return new Alert("id-bd-" + variant + "-" + status, AlertFactory.fingerprint(variant, "backdoor_suspected"), status,
        "critical", "backdoor_suspected", variant, null, detectedAt, new Observed(0.9, 40), new Baseline(0.01, 3000, "reference_window"),
        new Statistic("binomial_tail", 1.0e-12, 1.0e-6, null),
        new Evidence(new String[] {"e9"}, new TriggerCandidate[] {new TriggerCandidate("cf-zeta", 41.0, 37, 1.0e-9)}, null),
        "Harmful answers concentrate on prompts sharing a rare n-gram", "https://example.org/runbook.md#llmsafetybackdoorsuspected");
  }
}
