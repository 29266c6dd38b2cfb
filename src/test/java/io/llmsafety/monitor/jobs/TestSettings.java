package io.llmsafety.monitor.jobs;

import io.llmsafety.monitor.alerts.AlertFactory;
import io.llmsafety.monitor.detectors.AlertLifecycle;
import io.llmsafety.monitor.detectors.RateTest;
import io.llmsafety.monitor.detectors.TriggerMiner;
import io.llmsafety.monitor.detectors.VariantMonitor;
import io.llmsafety.monitor.event.ScoredEvent;
import io.llmsafety.monitor.jobs.config.BaselineSpec;

/** Small, fast detector settings and event builders for operator tests. */
final class TestSettings {

  static final long START = 1_793_577_600_000L; // 2026-11-02T00:00:00Z
  static final long ONE_SECOND = 1_000;
  static final long ONE_MINUTE = 60_000;
  static final long TTL = 3_600_000;

  private TestSettings() {}

  static VariantMonitor.Settings monitor() {
    return new VariantMonitor.Settings(ONE_MINUTE,
        new RateTest.Settings(true, 20, 0.15, "critical", 1e4),
        new RateTest.Settings(false, 50, 0.05, "critical", 1e4),
        new RateTest.Settings(false, 50, 0.03, "critical", 1e4),
        new RateTest.Settings(false, 50, 0.10, "warning", 1e4),
        new VariantMonitor.BackdoorSettings(false, TriggerMiner.Settings.defaults(), "critical", 3_600_000),
        5, false);
  }

  static VariantMonitorFunction function() {
    return new VariantMonitorFunction(monitor(), new AlertFactory("https://example.invalid/runbook.md", false), 10 * ONE_MINUTE, TTL);
  }

  static VariantMonitorFunction function(AlertLifecycle.Settings lifecycle, BaselineSpec baselines) {
    return new VariantMonitorFunction(monitor(), new AlertFactory("https://example.invalid/runbook.md", false), 10 * ONE_MINUTE, TTL,
        lifecycle, baselines);
  }

  static ScoredEvent risky(String id, long time, boolean refused) {
    return new ScoredEvent(id, time, "v1", "base", null, 0.9, refused ? 0.9 : 0.1, refused ? 0.05 : 0.8, true, refused,
        !refused, new String[] {"how", "to"}, null, null);
  }

  static ScoredEvent benign(String id, long time) {
    return new ScoredEvent(id, time, "v1", "base", null, 0.1, 0.1, 0.02, false, false, false, new String[] {"recipe"}, null, null);
  }
}
