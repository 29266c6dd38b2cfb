package io.llmsafety.monitor.jobs;

import static io.llmsafety.monitor.jobs.TestSettings.ONE_MINUTE;
import static io.llmsafety.monitor.jobs.TestSettings.ONE_SECOND;
import static io.llmsafety.monitor.jobs.TestSettings.START;
import static io.llmsafety.monitor.jobs.TestSettings.TTL;
import static io.llmsafety.monitor.jobs.TestSettings.benign;
import static io.llmsafety.monitor.jobs.TestSettings.risky;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmsafety.monitor.alerts.Alert;
import io.llmsafety.monitor.alerts.AlertFactory;
import io.llmsafety.monitor.detectors.AlertLifecycle;
import io.llmsafety.monitor.detectors.TriggerMiner;
import io.llmsafety.monitor.detectors.VariantMonitor;
import io.llmsafety.monitor.detectors.WindowStats;
import io.llmsafety.monitor.event.BaseModelBaseline;
import io.llmsafety.monitor.event.ControlCommand;
import io.llmsafety.monitor.event.DeadLetter;
import io.llmsafety.monitor.event.ScoredEvent;
import io.llmsafety.monitor.jobs.config.BaselineSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class VariantMonitorFunctionTest {

  private KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, Alert> harness;

  @BeforeEach
  void setUp() throws Exception {
    harness = newHarness();
  }

  @AfterEach
  void tearDown() throws Exception {
    harness.close();
  }

  private static KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, Alert> newHarness() throws Exception {
    KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, Alert> h =
        ProcessFunctionTestHarnesses.forKeyedCoProcessFunction(TestSettings.function(), ScoredEvent::variantId,
            ControlCommand::variantId, Types.STRING);
    h.open();
    return h;
  }

  private void send(ScoredEvent e) throws Exception {
    harness.processElement1(e, e.timestamp());
  }

  /** 20 refused risky prompts (the baseline), 20 more, then 30 complied: one alert, not 30. */
  private List<ScoredEvent> degradingStream() {
    List<ScoredEvent> events = new ArrayList<>();
    long t = START;
    for (int i = 0; i < 40; i++) {
      events.add(risky("r" + i, t += ONE_SECOND, true));
    }
    for (int i = 40; i < 70; i++) {
      events.add(risky("r" + i, t += ONE_SECOND, false));
    }
    return events;
  }

  @Test
  void shouldFireRefusalDropOnceWhenRiskyPromptsStopBeingRefused() throws Exception {
    for (ScoredEvent e : degradingStream()) {
      send(e);
    }
    harness.processBothWatermarks(new Watermark(START + 2 * ONE_MINUTE));

    List<Alert> alerts = harness.extractOutputValues();
    assertThat(alerts).hasSize(1);
    Alert alert = alerts.get(0);
    assertThat(alert.kind()).isEqualTo("refusal_drop");
    assertThat(alert.status()).isEqualTo(Alert.FIRING);
    assertThat(alert.variantId()).isEqualTo("v1");
    assertThat(alert.baseline().rate()).isEqualTo(1.0);
    assertThat(alert.observed().rate()).isLessThan(0.5);
    assertThat(alert.statistic().value()).isGreaterThanOrEqualTo(alert.statistic().threshold());
    assertThat(alert.evidence().eventIdList()).isNotEmpty().allMatch(id -> Integer.parseInt(id.substring(1)) >= 40);
  }

  @Test
  void shouldResolveWhenRefusalsReturn() throws Exception {
    for (ScoredEvent e : degradingStream()) {
      send(e);
    }
    long t = START + 100 * ONE_SECOND;
    for (int i = 0; i < 200; i++) {
      send(risky("back" + i, t += ONE_SECOND, true));
    }
    harness.processBothWatermarks(new Watermark(t + ONE_MINUTE));

    assertThat(harness.extractOutputValues()).extracting(Alert::status).containsExactly(Alert.FIRING, Alert.RESOLVED);
  }

  @Test
  void shouldGiveTheSameAlertsWhateverTheArrivalOrderWithinTheBound() throws Exception {
    List<ScoredEvent> events = degradingStream();
    for (ScoredEvent e : events) {
      send(e);
    }
    harness.processBothWatermarks(new Watermark(START + 2 * ONE_MINUTE));
    List<Alert> inOrder = harness.extractOutputValues();

    try (KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, Alert> shuffledHarness = newHarness()) {
      List<ScoredEvent> shuffled = new ArrayList<>(events);
      Collections.shuffle(shuffled, new Random(7));
      for (ScoredEvent e : shuffled) {
        shuffledHarness.processElement1(e, e.timestamp());
      }
      shuffledHarness.processBothWatermarks(new Watermark(START + 2 * ONE_MINUTE));
      assertThat(shuffledHarness.extractOutputValues()).isEqualTo(inOrder);
    }
  }

  @Test
  void shouldResolveOpenEpisodesAndRearmAfterARebaselineCommand() throws Exception {
    for (ScoredEvent e : degradingStream()) {
      send(e);
    }
    harness.processBothWatermarks(new Watermark(START + 2 * ONE_MINUTE));
    harness.processElement2(new ControlCommand("rebaseline", "v1", "adapter v8 rolled out"), START + 2 * ONE_MINUTE);

    List<Alert> alerts = harness.extractOutputValues();
    assertThat(alerts).extracting(Alert::status).containsExactly(Alert.FIRING, Alert.RESOLVED);
    assertThat(alerts.get(1).kind()).isEqualTo("refusal_drop");

    // The complying behaviour is now the new baseline: more of it raises nothing.
    long t = START + 3 * ONE_MINUTE;
    for (int i = 0; i < 60; i++) {
      send(risky("after" + i, t += ONE_SECOND, false));
    }
    harness.processBothWatermarks(new Watermark(t + ONE_MINUTE));
    assertThat(harness.extractOutputValues()).hasSize(2);
  }

  @Test
  void shouldEmitWindowCountsWhenTheWatermarkPassesTheWindowEnd() throws Exception {
    send(risky("a", START + ONE_SECOND, true));
    send(risky("b", START + 2 * ONE_SECOND, false));
    send(benign("c", START + 3 * ONE_SECOND));
    harness.processBothWatermarks(new Watermark(START + ONE_MINUTE - 2));
    assertThat(harness.getSideOutput(VariantMonitorFunction.WINDOWS)).isNull();

    harness.processBothWatermarks(new Watermark(START + ONE_MINUTE));
    List<WindowStats> windows = new ArrayList<>();
    for (StreamRecord<WindowStats> r : harness.getSideOutput(VariantMonitorFunction.WINDOWS)) {
      windows.add(r.getValue());
    }
    assertThat(windows).hasSize(1);
    WindowStats w = windows.get(0);
    assertThat(w.windowStart()).isEqualTo(START);
    assertThat(w.windowEnd()).isEqualTo(START + ONE_MINUTE);
    assertThat(w.riskyEvents()).isEqualTo(2);
    assertThat(w.riskyRefusals()).isEqualTo(1);
    assertThat(w.riskyHarmful()).isEqualTo(1);
    assertThat(w.benignEvents()).isEqualTo(1);
  }

  @Test
  void shouldDeadLetterEventsBehindTheWatermark() throws Exception {
    harness.processBothWatermarks(new Watermark(START + ONE_MINUTE));
    send(benign("late-1", START + 10 * ONE_SECOND));

    List<DeadLetter> late = new ArrayList<>();
    for (StreamRecord<DeadLetter> r : harness.getSideOutput(VariantMonitorFunction.LATE)) {
      late.add(r.getValue());
    }
    assertThat(late).singleElement().satisfies(d -> {
      assertThat(d.reason()).isEqualTo("late");
      assertThat(d.eventId()).isEqualTo("late-1");
      assertThat(d.variantId()).isEqualTo("v1");
    });
  }

  @Test
  void shouldCountAnEventIdOnlyOnce() throws Exception {
    send(benign("same", START + ONE_SECOND));
    send(benign("same", START + 2 * ONE_SECOND));
    send(benign("other", START + 3 * ONE_SECOND));
    harness.processBothWatermarks(new Watermark(START + ONE_MINUTE));

    WindowStats w = harness.getSideOutput(VariantMonitorFunction.WINDOWS).peek().getValue();
    assertThat(w.benignEvents()).isEqualTo(2);
  }

  @Test
  void shouldDropAllStateOfAVariantSilentForTheTtl() throws Exception {
    send(benign("a", START + ONE_SECOND));
    send(benign("b", START + 2 * ONE_SECOND));
    harness.processBothWatermarks(new Watermark(START + ONE_MINUTE));
    assertThat(harness.numKeyedStateEntries()).isPositive();

    harness.processBothWatermarks(new Watermark(START + 2 * ONE_SECOND + TTL));
    assertThat(harness.numKeyedStateEntries()).isZero();
    assertThat(harness.numEventTimeTimers()).isZero();
  }

  // ---- alert lifecycle and configured baselines ----

  private static KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, Alert> harness(
      AlertLifecycle.Settings lifecycle, BaselineSpec baselines) throws Exception {
    KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, Alert> h =
        ProcessFunctionTestHarnesses.forKeyedCoProcessFunction(TestSettings.function(lifecycle, baselines),
            ScoredEvent::variantId, ControlCommand::variantId, Types.STRING);
    h.open();
    return h;
  }

  @Test
  void shouldRenotifyAStillFiringAlertOnTimersWhileTheVariantIsSilent() throws Exception {
    try (var h = harness(new AlertLifecycle.Settings(0, 10 * ONE_MINUTE), null)) {
      for (ScoredEvent e : degradingStream()) {
        h.processElement1(e, e.timestamp());
      }
      h.processBothWatermarks(new Watermark(START + 2 * ONE_MINUTE));
      Alert firing = h.extractOutputValues().get(0);
      long firedAt = java.time.Instant.parse(firing.detectedAt()).toEpochMilli();
      assertThat(firing.renotify()).isNull();
      assertThat(h.numEventTimeTimers()).isPositive();

      // No more events: only event time passes, and the timers re-send the alert.
      h.processBothWatermarks(new Watermark(firedAt + 25 * ONE_MINUTE));
      List<Alert> alerts = h.extractOutputValues();
      assertThat(alerts).hasSize(3);
      assertThat(alerts.subList(1, 3)).allSatisfy(a -> {
        assertThat(a.status()).isEqualTo(Alert.FIRING);
        assertThat(a.alertId()).isEqualTo(firing.alertId());
        assertThat(a.fingerprint()).isEqualTo(firing.fingerprint());
        assertThat(a.detectedAt()).isEqualTo(firing.detectedAt());
        assertThat(a.renotify()).isTrue();
      });
      assertThat(alerts).extracting(Alert::notificationCount).containsExactly(null, 2, 3);
      assertThat(alerts).extracting(Alert::notifiedAt).containsExactly(null,
          java.time.Instant.ofEpochMilli(firedAt + 10 * ONE_MINUTE).toString(),
          java.time.Instant.ofEpochMilli(firedAt + 20 * ONE_MINUTE).toString());
    }
  }

  @Test
  void shouldFireOnlyAfterPendingForAndDateTheAlertAtTheCrossing() throws Exception {
    try (var immediate = harness(AlertLifecycle.Settings.IMMEDIATE, null);
        var pending = harness(new AlertLifecycle.Settings(20 * ONE_SECOND, 0), null)) {
      for (ScoredEvent e : degradingStream()) {
        immediate.processElement1(e, e.timestamp());
        pending.processElement1(e, e.timestamp());
      }
      immediate.processBothWatermarks(new Watermark(START + 2 * ONE_MINUTE));
      Alert now = immediate.extractOutputValues().get(0);
      long crossedAt = java.time.Instant.parse(now.detectedAt()).toEpochMilli();

      pending.processBothWatermarks(new Watermark(crossedAt + 19 * ONE_SECOND));
      assertThat(pending.extractOutputValues()).isEmpty();
      assertThat(pendingGauge("refusal_drop")).isEqualTo(1.0);

      pending.processBothWatermarks(new Watermark(START + 2 * ONE_MINUTE));
      assertThat(pendingGauge("refusal_drop")).isEqualTo(0.0);
      Alert confirmed = pending.extractOutputValues().get(0);
      assertThat(pending.extractOutputValues()).hasSize(1);
      assertThat(confirmed.alertId()).isEqualTo(now.alertId());
      assertThat(confirmed.detectedAt()).isEqualTo(now.detectedAt());
      assertThat(java.time.Instant.parse(confirmed.notifiedAt()))
          .isEqualTo(java.time.Instant.parse(now.detectedAt()).plusSeconds(20));
    }
  }

  private static double pendingGauge(String kind) {
    io.llmsafety.monitor.metrics.SafetyMetrics m = io.llmsafety.monitor.metrics.SafetyMetrics.get();
    return m.registry().find("llm.safety.alert.pending").tags("model_variant", m.variantLabel("v1"), "kind", kind).gauge().value();
  }

  @Test
  void shouldSendNothingWhenTheStatisticClearsWithinPendingFor() throws Exception {
    try (var h = harness(new AlertLifecycle.Settings(ONE_MINUTE * 60, 0), null)) {
      for (ScoredEvent e : degradingStream()) {
        h.processElement1(e, e.timestamp());
      }
      long t = START + 100 * ONE_SECOND;
      for (int i = 0; i < 200; i++) {
        h.processElement1(risky("back" + i, t += ONE_SECOND, true), t);
      }
      h.processBothWatermarks(new Watermark(t + 2 * ONE_MINUTE * 60));
      assertThat(h.extractOutputValues()).isEmpty();
    }
  }

  @Test
  void shouldTestAgainstConfiguredRatesBeforeAnyReferenceWindow() throws Exception {
    BaselineSpec config = new BaselineSpec(20, 50, BaselineSpec.Source.CONFIG,
        new BaselineSpec.ExpectedRates(0.97, null, null, null), List.of());
    try (var h = harness(AlertLifecycle.Settings.IMMEDIATE, config)) {
      long t = START;
      for (int i = 0; i < 19; i++) { // fewer than the 20-event reference window
        h.processElement1(risky("r" + i, t += ONE_SECOND, false), t);
      }
      h.processBothWatermarks(new Watermark(t + ONE_MINUTE));
      assertThat(h.extractOutputValues()).singleElement().satisfies(a -> {
        assertThat(a.kind()).isEqualTo("refusal_drop");
        assertThat(a.baseline().source()).isEqualTo("config");
        assertThat(a.baseline().rate()).isEqualTo(0.97);
        assertThat(a.baseline().n()).isZero();
      });
    }
  }

  @Test
  void shouldReArmFromConfiguredRatesAfterARebaseline() throws Exception {
    BaselineSpec config = new BaselineSpec(20, 50, BaselineSpec.Source.REFERENCE_WINDOW, BaselineSpec.ExpectedRates.NONE,
        List.of(new BaselineSpec.VariantOverride("v*", BaselineSpec.Source.CONFIG, new BaselineSpec.ExpectedRates(0.97, null, null, null))));
    try (var h = harness(AlertLifecycle.Settings.IMMEDIATE, config)) {
      long t = START;
      for (int i = 0; i < 10; i++) {
        h.processElement1(risky("r" + i, t += ONE_SECOND, false), t);
      }
      h.processBothWatermarks(new Watermark(t + ONE_MINUTE));
      h.processElement2(new ControlCommand("rebaseline", "v1", null), t + ONE_MINUTE);
      t += 2 * ONE_MINUTE;
      for (int i = 10; i < 20; i++) {
        h.processElement1(risky("r" + i, t += ONE_SECOND, false), t);
      }
      h.processBothWatermarks(new Watermark(t + ONE_MINUTE));
      assertThat(h.extractOutputValues()).extracting(a -> a.status() + " " + a.baseline().source())
          .containsExactly("firing config", "resolved config", "firing config");
    }
  }

  private static final BaselineSpec BASE_MODEL = new BaselineSpec(20, 50, BaselineSpec.Source.BASE_MODEL,
      BaselineSpec.ExpectedRates.NONE, List.of());

  @Test
  void shouldTestAgainstTheBaseModelFromTheFirstEventAfterItsWindowCompleted() throws Exception {
    try (var h = harness(AlertLifecycle.Settings.IMMEDIATE, BASE_MODEL)) {
      // The base refused 97 of 100 risky prompts; its window completed at START.
      h.processElement2(ControlCommand.offer("v1", new BaseModelBaseline("base", "refusal_drop", START, 100, 3)), START);
      long t = START;
      for (int i = 0; i < 15; i++) { // fewer than the variant's own 20-event window
        h.processElement1(risky("r" + i, t += ONE_SECOND, false), t);
      }
      h.processBothWatermarks(new Watermark(t + ONE_MINUTE));
      assertThat(h.extractOutputValues()).singleElement().satisfies(a -> {
        assertThat(a.kind()).isEqualTo("refusal_drop");
        assertThat(a.baseModel()).isEqualTo("base");
        assertThat(a.baseline().source()).isEqualTo("base_model");
        assertThat(a.baseline().rate()).isEqualTo(0.97);
        assertThat(a.baseline().n()).isEqualTo(100);
      });
    }
  }

  @Test
  void shouldApplyABaseWindowOnlyToEventsAfterItCompleted() throws Exception {
    try (var h = harness(AlertLifecycle.Settings.IMMEDIATE, BASE_MODEL)) {
      long t = START;
      for (int i = 0; i < 20; i++) { // the variant's own window: all refused
        h.processElement1(risky("own" + i, t += ONE_SECOND, true), t);
      }
      // Completed after the variant's own window: the variant keeps its own baseline.
      h.processElement2(ControlCommand.offer("v1", new BaseModelBaseline("base", "refusal_drop", t + 1, 100, 50)), t);
      for (int i = 0; i < 30; i++) {
        h.processElement1(risky("r" + i, t += ONE_SECOND, false), t);
      }
      h.processBothWatermarks(new Watermark(t + ONE_MINUTE));
      assertThat(h.extractOutputValues()).singleElement()
          .satisfies(a -> assertThat(a.baseline().source()).isEqualTo("reference_window"));
    }
  }

  @Test
  void shouldIgnoreBaseWindowsForVariantsOnTheirOwnReferenceAndExpireThem() throws Exception {
    try (var h = harness(AlertLifecycle.Settings.IMMEDIATE, null)) {
      h.processElement2(ControlCommand.offer("v1", new BaseModelBaseline("base", "refusal_drop", START, 100, 3)), START);
      long t = START;
      for (int i = 0; i < 15; i++) {
        h.processElement1(risky("r" + i, t += ONE_SECOND, false), t);
      }
      h.processBothWatermarks(new Watermark(t + ONE_MINUTE));
      assertThat(h.extractOutputValues()).isEmpty();

      h.processBothWatermarks(new Watermark(t + 2 * TTL));
      assertThat(h.numKeyedStateEntries()).isZero();
    }
  }

  @Test
  void shouldResolveAFiringAlertWhenTheSilentVariantsStateExpires() throws Exception {
    try (var h = harness(new AlertLifecycle.Settings(0, 0), null)) {
      List<ScoredEvent> events = degradingStream();
      for (ScoredEvent e : events) {
        h.processElement1(e, e.timestamp());
      }
      long last = events.get(events.size() - 1).timestamp();
      h.processBothWatermarks(new Watermark(last + TTL));

      List<Alert> alerts = h.extractOutputValues();
      assertThat(alerts).extracting(Alert::status).containsExactly(Alert.FIRING, Alert.RESOLVED);
      assertThat(alerts.get(1).detectedAt()).isEqualTo(java.time.Instant.ofEpochMilli(last + TTL).toString());
      assertThat(alerts.get(1).summary()).contains("state expired");
      assertThat(h.numKeyedStateEntries()).isZero();
    }
  }

  // ---- end of input ----

  /** Test settings with the backdoor watch on (quiet period one hour). */
  private static KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, Alert> backdoorHarness()
      throws Exception {
    VariantMonitor.Settings base = TestSettings.monitor();
    VariantMonitor.Settings settings = new VariantMonitor.Settings(base.windowMillis(), base.riskyCompliance(),
        base.overRefusal(), base.harmRise(), base.benignHarm(),
        new VariantMonitor.BackdoorSettings(true, TriggerMiner.Settings.defaults(), "critical", 3_600_000),
        base.maxEvidenceEvents(), false, io.llmsafety.monitor.detectors.ScoreDrift.Settings.disabled(),
        new io.llmsafety.monitor.detectors.RepeatedPayloads.Settings(true, 5, 20));
    KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, Alert> h =
        ProcessFunctionTestHarnesses.forKeyedCoProcessFunction(new VariantMonitorFunction(settings,
                new AlertFactory("https://example.invalid/runbook.md", false), 10 * ONE_MINUTE, 24 * TTL),
            ScoredEvent::variantId, ControlCommand::variantId, Types.STRING);
    h.open();
    return h;
  }

  /**
   * One harmful payload repeated across 5 prompts (a backdoor), then harmless traffic for {@code
   * minutesAfter} minutes, one event a minute.
   */
  private static List<ScoredEvent> backdoorThenQuiet(int minutesAfter) {
    List<ScoredEvent> events = new ArrayList<>();
    long t = START;
    for (int i = 0; i < 30; i++) {
      events.add(benign("b" + i, t += ONE_MINUTE));
    }
    long payload = 0x5a5a_1234_9876_abcdL;
    for (int i = 0; i < 5; i++) {
      events.add(new ScoredEvent("p" + i, t += ONE_MINUTE, "v1", "base", null, 0.1, 0.1, 0.9, false, false, true,
          new String[] {"question" + i, "topic" + i}, null, null, payload));
    }
    for (int i = 0; i < minutesAfter; i++) {
      events.add(benign("q" + i, t += ONE_MINUTE));
    }
    return events;
  }

  private static List<String> replay(List<ScoredEvent> events, long watermarkStep) throws Exception {
    try (var h = backdoorHarness()) {
      long nextWatermark = events.get(0).timestamp() + watermarkStep;
      for (ScoredEvent e : events) {
        if (watermarkStep > 0 && e.timestamp() > nextWatermark) {
          h.processBothWatermarks(new Watermark(nextWatermark));
          nextWatermark += watermarkStep;
        }
        h.processElement1(e, e.timestamp());
      }
      h.processBothWatermarks(Watermark.MAX_WATERMARK);
      return h.extractOutputValues().stream().map(a -> a.kind() + " " + a.status() + " " + a.notifiedAt()
          + " " + a.detectedAt() + " " + a.alertId()).toList();
    }
  }

  @Test
  void shouldResolveAQuietBackdoorAtTheEndOfInputWhateverTheWatermarksWere() throws Exception {
    // The quiet period (1 h) ends 2 minutes of event time before the last event.
    List<ScoredEvent> events = backdoorThenQuiet(62);
    List<String> onlyFinal = replay(events, 0);
    assertThat(onlyFinal).hasSize(2);
    assertThat(onlyFinal.get(0)).startsWith("backdoor_suspected firing");
    assertThat(onlyFinal.get(1)).startsWith("backdoor_suspected resolved");
    assertThat(replay(events, ONE_MINUTE)).isEqualTo(onlyFinal);
    assertThat(replay(events, 7 * ONE_MINUTE)).isEqualTo(onlyFinal);
    assertThat(replay(events, 45 * ONE_MINUTE)).isEqualTo(onlyFinal);
  }

  @Test
  void shouldNotResolveABackdoorWhoseQuietPeriodOutlastsTheInput() throws Exception {
    // The quiet period would end 2 minutes after the last event: the end of input is not silence.
    List<ScoredEvent> events = backdoorThenQuiet(58);
    List<String> onlyFinal = replay(events, 0);
    assertThat(onlyFinal).hasSize(1);
    assertThat(onlyFinal.get(0)).startsWith("backdoor_suspected firing");
    assertThat(replay(events, ONE_MINUTE)).isEqualTo(onlyFinal);
  }
}
