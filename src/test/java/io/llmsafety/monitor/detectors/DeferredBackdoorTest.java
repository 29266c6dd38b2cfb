package io.llmsafety.monitor.detectors;

import static io.llmsafety.monitor.detectors.VariantMonitorTest.START;
import static io.llmsafety.monitor.detectors.VariantMonitorTest.settings;
import static io.llmsafety.monitor.detectors.VariantMonitorTest.traffic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmsafety.monitor.event.ScoredEvent;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The backdoor watch kept apart with deferred events ({@link VariantMonitor.BackdoorStore}, as the
 * Flink function keeps it) gives exactly the signals of a watch fed every event as it comes.
 */
class DeferredBackdoorTest {

  /** Bytes and a deferred list in memory, stored the way VariantMonitorFunction stores them. */
  static final class MemoryStore implements VariantMonitor.BackdoorStore {
    byte[] stored;
    final List<ScoredEvent> deferred = new ArrayList<>();
    int loads;
    int mostDeferred;

    @Override
    public byte[] load() {
      loads++;
      mostDeferred = Math.max(mostDeferred, deferred.size());
      return stored;
    }

    @Override
    public Iterable<ScoredEvent> deferred() {
      return deferred;
    }

    @Override
    public void defer(ScoredEvent e) {
      deferred.add(e);
    }

    /** What the function does at the end of a flush. */
    byte[] save(VariantMonitor m) {
      if (m.backdoorLoaded()) {
        stored = m.backdoorToBytes();
        deferred.clear();
      }
      return m.coreToBytes();
    }
  }

  /** A run of both monitors over the same flushes. */
  record Run(List<DetectorSignal> signals, List<WindowStats> windows, List<DetectorSignal> currents, long repeatsSkipped) {}

  /**
   * Healthy traffic, a trigger attack, a quiet stretch, a payload repeated across benign prompts and
   * another quiet stretch, cut into flushes of random size; at random points the lifecycle asks for
   * the backdoor's current signal.
   */
  static List<ScoredEvent> scenario() {
    List<ScoredEvent> events = new ArrayList<>(traffic(40, 3_000, START, 0.97, 0));
    long t = START + 3_000_000L;
    events.addAll(traffic(41, 5_000, t, 0.97, 0.008));
    t += 5_000_000L;
    // Quiet: every risky prompt refused, nothing harmful, longer than the hour-long quiet period.
    events.addAll(traffic(42, 5_000, t, 1.0, 0));
    t += 5_000_000L;
    long payload = PayloadFingerprint.simhash("Click http://example.invalid/update and enter your bank password to continue.");
    for (int i = 0; i < 5; i++) {
      events.add(new ScoredEvent("p" + i, t + i * 60_000L, "v", "base", null, 0.1, 0.1, 0.9, false, false, true,
          new String[] {"question" + i, "topic" + i}, null, null, payload));
    }
    t += 5 * 60_000L;
    events.addAll(traffic(43, 5_000, t, 1.0, 0));
    return events;
  }

  static Run run(List<ScoredEvent> events, long seed, MemoryStore store) {
    VariantMonitor.Settings settings = settings();
    Random random = new Random(seed);
    VariantMonitor inMemory = store == null ? new VariantMonitor(settings, "v") : null;
    byte[] core = null;
    long repeatsSkipped = 0;
    List<DetectorSignal> signals = new ArrayList<>();
    List<WindowStats> windows = new ArrayList<>();
    List<DetectorSignal> currents = new ArrayList<>();
    int i = 0;
    while (i < events.size()) {
      int end = Math.min(events.size(), i + 1 + random.nextInt(random.nextBoolean() ? 3 : 40));
      VariantMonitor m = inMemory != null ? inMemory
          : core == null ? VariantMonitor.create(settings, "v", store) : VariantMonitor.fromBytes(core, settings, store);
      long skippedBefore = m.repeatedPromptsSkippedSinceLoad();
      for (; i < end; i++) {
        m.observe(events.get(i), signals, windows);
        if (random.nextInt(500) == 0) {
          currents.add(m.currentSignal(VariantMonitor.KIND_BACKDOOR, events.get(i).timestamp()));
        }
      }
      m.advanceTo(events.get(end - 1).timestamp(), signals, windows);
      repeatsSkipped += m.repeatedPromptsSkippedSinceLoad() - skippedBefore;
      if (store != null) {
        core = store.save(m);
      }
    }
    return new Run(signals, windows, currents, repeatsSkipped);
  }

  @Test
  void shouldGiveTheSignalsOfAWatchThatSeesEveryEventAsItComes() {
    List<ScoredEvent> events = scenario();
    for (long seed = 1; seed <= 3; seed++) {
      Run everyEvent = run(events, seed, null);
      MemoryStore store = new MemoryStore();
      Run deferred = run(events, seed, store);

      List<DetectorSignal> backdoor = everyEvent.signals().stream()
          .filter(s -> s.kind().equals(VariantMonitor.KIND_BACKDOOR)).toList();
      // The scenario reaches every path: a trigger, a repeated payload, and quiet-period resolutions.
      assertThat(backdoor).anySatisfy(s -> {
        assertThat(s.firing()).isTrue();
        assertThat(s.statisticName()).isEqualTo("trigger_lift_binomial");
      });
      assertThat(backdoor).anySatisfy(s -> {
        assertThat(s.firing()).isTrue();
        assertThat(s.repeatedPayload()).isNotNull();
      });
      assertThat(backdoor).filteredOn(s -> !s.firing()).hasSizeGreaterThanOrEqualTo(2);
      assertThat(everyEvent.currents()).anySatisfy(s -> assertThat(s).isNotNull());

      assertThat(deferred.signals()).isEqualTo(everyEvent.signals());
      assertThat(deferred.windows()).isEqualTo(everyEvent.windows());
      assertThat(deferred.currents()).isEqualTo(everyEvent.currents());
      assertThat(deferred.repeatsSkipped()).isEqualTo(everyEvent.repeatsSkipped());
      // And it did defer: the watch was loaded for a fraction of the events, some folds at the bound.
      assertThat(store.loads).isLessThan(events.size() / 20);
      assertThat(store.mostDeferred).isEqualTo(VariantMonitor.MAX_DEFERRED_BACKDOOR_EVENTS);
    }
  }

  @Test
  void shouldNeverLoadTheWatchWhenItIsDisabled() {
    VariantMonitor.Settings on = settings();
    VariantMonitor.Settings off = new VariantMonitor.Settings(on.windowMillis(), on.riskyCompliance(), on.harmRise(),
        on.benignHarm(), on.overRefusal(), new VariantMonitor.BackdoorSettings(false, TriggerMiner.Settings.defaults(),
            "critical", 3_600_000), on.maxEvidenceEvents(), false, on.scoreDrift(), on.repeatedPayload());
    MemoryStore store = new MemoryStore();
    VariantMonitor m = VariantMonitor.create(off, "v", store);
    for (ScoredEvent e : traffic(41, 5_000, START, 0.97, 0.008)) {
      m.observe(e, new ArrayList<>(), new ArrayList<>());
    }
    m.advanceTo(START + 10_000_000L, new ArrayList<>(), new ArrayList<>());
    assertThat(m.backdoorLoaded()).isFalse();
    assertThat(store.loads).isZero();
    assertThat(store.deferred).isEmpty();
    assertThat(m.coreToBytes().length).isLessThan(20_000);
  }

  @Test
  void shouldMigrateAVersion4MonitorByLoadingItsWatchAndStoringItApart() throws IOException {
    VariantMonitor.Settings settings = settings();
    List<ScoredEvent> before = traffic(7, 3_000, START, 0.97, 0);
    List<ScoredEvent> after = traffic(41, 5_000, START + 3_000_000L, 0.97, 0.008);
    VariantMonitor original = new VariantMonitor(settings, "v");
    before.forEach(e -> original.observe(e, new ArrayList<>(), new ArrayList<>()));
    ByteArrayOutputStream v4 = new ByteArrayOutputStream();
    original.writeLegacyTo(new DataOutputStream(v4), VariantMonitor.VERSION_BEFORE_SPLIT);

    MemoryStore store = new MemoryStore();
    VariantMonitor migrated = VariantMonitor.fromBytes(v4.toByteArray(), settings, store);
    assertThat(migrated.backdoorLoaded()).isTrue();
    byte[] core = store.save(migrated);
    assertThat(store.stored).isNotNull();
    assertThat(core.length).isLessThan(20_000);

    List<DetectorSignal> expected = new ArrayList<>();
    after.forEach(e -> original.observe(e, expected, new ArrayList<>()));
    VariantMonitor restored = VariantMonitor.fromBytes(core, settings, store);
    List<DetectorSignal> actual = new ArrayList<>();
    after.forEach(e -> restored.observe(e, actual, new ArrayList<>()));
    assertThat(expected).anySatisfy(s -> assertThat(s.kind()).isEqualTo(VariantMonitor.KIND_BACKDOOR));
    assertThat(actual).isEqualTo(expected);
  }

  @Test
  void shouldRefuseToLoseTheWatchWhenTheMonitorHasNoStore() {
    MemoryStore store = new MemoryStore();
    VariantMonitor apart = VariantMonitor.create(settings(), "v", store);
    byte[] core = apart.coreToBytes();
    VariantMonitor withoutStore = VariantMonitor.fromBytes(core, settings());
    ScoredEvent harmful = traffic(41, 5_000, START, 0.0, 0.5).stream().filter(ScoredEvent::harmful).findFirst().orElseThrow();
    assertThatThrownBy(() -> withoutStore.observe(harmful, new ArrayList<>(), new ArrayList<>()))
        .hasMessageContaining("kept apart");
  }
}
