package io.llmsafety.monitor.jobs;

import static io.llmsafety.monitor.jobs.StateFixtures.ADAPTER;
import static io.llmsafety.monitor.jobs.StateFixtures.ADAPTER_OFFER;
import static io.llmsafety.monitor.jobs.StateFixtures.ARMED;
import static io.llmsafety.monitor.jobs.StateFixtures.BASE;
import static io.llmsafety.monitor.jobs.StateFixtures.BASE_COUNTED;
import static io.llmsafety.monitor.jobs.StateFixtures.BASE_COUNTED_COMPLIED;
import static io.llmsafety.monitor.jobs.StateFixtures.BUFFERED;
import static io.llmsafety.monitor.jobs.StateFixtures.BUFFERED_AT;
import static io.llmsafety.monitor.jobs.StateFixtures.DEDUP;
import static io.llmsafety.monitor.jobs.StateFixtures.DEDUP_SEEN_ID;
import static io.llmsafety.monitor.jobs.StateFixtures.FIRING;
import static io.llmsafety.monitor.jobs.StateFixtures.MINUTE;
import static io.llmsafety.monitor.jobs.StateFixtures.REFERENCE_RISKY_EVENTS;
import static io.llmsafety.monitor.jobs.StateFixtures.SAVEPOINT_WATERMARK;
import static io.llmsafety.monitor.jobs.StateFixtures.SECOND;
import static io.llmsafety.monitor.jobs.StateFixtures.benign;
import static io.llmsafety.monitor.jobs.StateFixtures.risky;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmsafety.monitor.alerts.Alert;
import io.llmsafety.monitor.detectors.WindowStats;
import io.llmsafety.monitor.event.BaseModelBaseline;
import io.llmsafety.monitor.event.ControlCommand;
import io.llmsafety.monitor.event.DeadLetter;
import io.llmsafety.monitor.event.ScoredEvent;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.StateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Restores savepoints written by earlier builds ({@code src/test/resources/state-fixtures/}, made by
 * {@link StateFixtures}) into this build's operators, on both state backends, and checks that each
 * scenario carries on where the savepoint left it. A fixture that stops restoring means a savepoint
 * of that build can no longer be upgraded from: bump the state version and read the old one, or say
 * in the README that the upgrade needs a fresh start.
 */
class SavepointCompatibilityTest {

  private static final long AFTER = SAVEPOINT_WATERMARK;
  private static final long END = SAVEPOINT_WATERMARK + 10 * MINUTE;

  enum Backend {
    HASHMAP, ROCKSDB;

    StateBackend create() {
      return this == HASHMAP ? new HashMapStateBackend() : new EmbeddedRocksDBStateBackend();
    }
  }

  /** What the restored variant monitor produced after the savepoint. */
  record MonitorRun(List<Alert> alerts, List<WindowStats> windows, List<DeadLetter> late) {
    List<Alert> alertsOf(String variant) {
      return alerts.stream().filter(a -> a.variantId().equals(variant)).toList();
    }

    List<WindowStats> windowsOf(String variant) {
      return windows.stream().filter(w -> w.variantId().equals(variant)).toList();
    }
  }

  /** One restore per fixture and backend; the tests below read different parts of its output. */
  private static final Map<String, MonitorRun> RUNS = new ConcurrentHashMap<>();

  static Stream<Arguments> variantMonitorFixtures() throws Exception {
    return fixtures(StateFixtures.VARIANT_MONITOR + "-");
  }

  static Stream<Arguments> baseModelFixtures() throws Exception {
    return fixtures(StateFixtures.BASE_MODEL_BASELINES + "_");
  }

  private static Stream<Arguments> fixtures(String prefix) throws Exception {
    List<Arguments> cases = new ArrayList<>();
    for (Path p : fixtureFiles(fixtureDir(), prefix)) {
      for (Backend b : Backend.values()) {
        cases.add(Arguments.of(p.getFileName().toString(), b));
      }
    }
    return cases.stream();
  }

  private static Path fixtureDir() throws URISyntaxException {
    return Paths.get(SavepointCompatibilityTest.class.getResource("/state-fixtures").toURI());
  }

  private static List<Path> fixtureFiles(Path dir, String prefix) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().startsWith(prefix) && p.toString().endsWith(".snapshot"))
          .sorted().toList();
    }
  }

  @Test
  void shouldHaveAFixtureOfTheCurrentStateFormats() throws Exception {
    // Fails when a state format changed without a fixture of it: run StateFixtures (README, Development).
    assertThat(fixtureDir().resolve(StateFixtures.variantMonitorFixture())).exists();
    assertThat(fixtureDir().resolve(StateFixtures.baseModelFixture())).exists();
    assertThat(fixtureDir().resolve(StateFixtures.judgeFixture())).exists();
  }

  @Test
  void shouldKeepFixturesOfEarlierStateFormats() throws Exception {
    assertThat(fixtureFiles(fixtureDir(), StateFixtures.VARIANT_MONITOR + "-")).extracting(p -> p.getFileName().toString())
        .contains("variant-monitor-v3_backdoor-v5_lifecycle-v1_scored-event-15.snapshot",
            "variant-monitor-v4_backdoor-v5_lifecycle-v2_scored-event-16.snapshot",
            "variant-monitor-v4_backdoor-v6_lifecycle-v2_scored-event-16.snapshot",
            "variant-monitor-v5_backdoor-v6_lifecycle-v2_scored-event-16.snapshot",
            "variant-monitor-v6_backdoor-v6_lifecycle-v2_scored-event-16.snapshot",
            "variant-monitor-v6_backdoor-v7_lifecycle-v2_scored-event-16.snapshot");
  }

  static Stream<Arguments> splitVariantMonitorFixtures() throws Exception {
    // From VariantMonitor version 5 the backdoor watch is kept apart, with the events it has not seen yet.
    return variantMonitorFixtures().filter(a -> !((String) a.get()[0]).startsWith(StateFixtures.VARIANT_MONITOR + "-v3_")
        && !((String) a.get()[0]).startsWith(StateFixtures.VARIANT_MONITOR + "-v4_"));
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("splitVariantMonitorFixtures")
  void shouldRestoreTheEventsDeferredForTheBackdoorWatch(String fixture, Backend backend) throws Exception {
    List<ScoredEvent> armedDeferred = new ArrayList<>();
    List<ScoredEvent> firingDeferred = new ArrayList<>();
    byte[] firingWatch;
    try (KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, Alert> h =
        StateFixtures.variantMonitorHarness()) {
      restore(h, fixture, backend);
      ListStateDescriptor<ScoredEvent> deferred = new ListStateDescriptor<>("backdoor-deferred",
          TypeInformation.of(ScoredEvent.class));
      ValueStateDescriptor<byte[]> watch = new ValueStateDescriptor<>("backdoor",
          PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
      h.getOperator().setCurrentKey(ARMED);
      h.getOperator().getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, deferred).get()
          .forEach(armedDeferred::add);
      h.getOperator().setCurrentKey(FIRING);
      Iterable<ScoredEvent> left = h.getOperator().getPartitionedState(VoidNamespace.INSTANCE,
          VoidNamespaceSerializer.INSTANCE, deferred).get();
      if (left != null) { // an empty list state reads as null
        left.forEach(firingDeferred::add);
      }
      firingWatch = h.getOperator().getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, watch)
          .value();
    }
    // Refused prompts only: the watch was never needed, every event waits in order.
    assertThat(armedDeferred).extracting(ScoredEvent::eventId)
        .containsExactlyElementsOf(java.util.stream.IntStream.range(0, REFERENCE_RISKY_EVENTS).mapToObj(i -> ARMED + "-" + i).toList());
    // Harmful answers made the watch fold: it is stored, and no harmful event is left waiting.
    assertThat(firingWatch).isNotNull();
    assertThat(firingDeferred).noneMatch(ScoredEvent::harmful);
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("variantMonitorFixtures")
  void shouldKeepAVariantArmedWhoseReferenceWindowCompletedBeforeTheSavepoint(String fixture, Backend backend)
      throws Exception {
    // Were the reference window lost, these complied prompts would become the new baseline: no alert.
    List<Alert> alerts = run(fixture, backend).alertsOf(ARMED);
    assertThat(alerts).singleElement().satisfies(a -> {
      assertThat(a.kind()).isEqualTo("refusal_drop");
      assertThat(a.status()).isEqualTo(Alert.FIRING);
      assertThat(a.baseline().rate()).isEqualTo(1.0);
      assertThat(a.baseline().n()).isEqualTo(REFERENCE_RISKY_EVENTS);
    });
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("variantMonitorFixtures")
  void shouldResolveAnEpisodeFiringAtTheSavepointWithoutFiringItAgain(String fixture, Backend backend) throws Exception {
    // The lifecycle drops a clear with no open episode: a resolved record needs the restored episode.
    List<Alert> alerts = run(fixture, backend).alertsOf(FIRING);
    assertThat(alerts).singleElement().satisfies(a -> {
      assertThat(a.kind()).isEqualTo("refusal_drop");
      assertThat(a.status()).isEqualTo(Alert.RESOLVED);
      assertThat(Instant.parse(a.detectedAt()).toEpochMilli()).isGreaterThan(SAVEPOINT_WATERMARK);
    });
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("variantMonitorFixtures")
  void shouldProcessEventsBufferedAtTheSavepoint(String fixture, Backend backend) throws Exception {
    // In fixtures of older builds these are ScoredEvents of the older record shape.
    assertThat(run(fixture, backend).windowsOf(BUFFERED)).singleElement().satisfies(w -> {
      assertThat(w.windowStart()).isEqualTo(BUFFERED_AT - BUFFERED_AT % MINUTE);
      assertThat(w.riskyEvents()).isEqualTo(1);
      assertThat(w.riskyRefusals()).isEqualTo(1);
      assertThat(w.benignEvents()).isEqualTo(1);
    });
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("variantMonitorFixtures")
  void shouldReadBufferedEventsFieldForFieldWhateverTheirRecordShape(String fixture, Backend backend) throws Exception {
    // Fixtures with 15-field events predate judge_categories: it must come back null, the rest intact.
    List<ScoredEvent> buffered = new ArrayList<>();
    try (KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, Alert> h =
        StateFixtures.variantMonitorHarness()) {
      restore(h, fixture, backend);
      h.getOperator().setCurrentKey(BUFFERED);
      MapState<Long, List<ScoredEvent>> buffer = h.getOperator().getPartitionedState(VoidNamespace.INSTANCE,
          VoidNamespaceSerializer.INSTANCE,
          new MapStateDescriptor<>("buffer", Types.LONG, Types.LIST(TypeInformation.of(ScoredEvent.class))));
      for (List<ScoredEvent> sameTime : buffer.values()) {
        buffered.addAll(sameTime);
      }
    }
    assertThat(buffered).containsExactlyInAnyOrder(risky(BUFFERED, BUFFERED + "-r", BUFFERED_AT, true),
        benign(BUFFERED, BUFFERED + "-b", BUFFERED_AT + SECOND));
    assertThat(buffered).allSatisfy(e -> assertThat(e.judgeCategories()).isNull());
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("variantMonitorFixtures")
  void shouldStillRejectAnEventIdSeenBeforeTheSavepoint(String fixture, Backend backend) throws Exception {
    MonitorRun run = run(fixture, backend);
    assertThat(run.windowsOf(DEDUP)).filteredOn(w -> w.windowStart() >= SAVEPOINT_WATERMARK).singleElement()
        .satisfies(w -> assertThat(w.benignEvents()).as("only the new id is counted").isEqualTo(1));
    assertThat(run.late()).isEmpty();
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("variantMonitorFixtures")
  void shouldArmAnAdapterFromABaseModelOfferReceivedBeforeTheSavepoint(String fixture, Backend backend) throws Exception {
    // Without the offer the adapter would learn its complying traffic as its own baseline: no alert.
    assertThat(run(fixture, backend).alertsOf(ADAPTER)).singleElement().satisfies(a -> {
      assertThat(a.kind()).isEqualTo("refusal_drop");
      assertThat(a.status()).isEqualTo(Alert.FIRING);
      assertThat(a.baseline().source()).isEqualTo("base_model");
      assertThat(a.baseline().n()).isEqualTo(ADAPTER_OFFER.n());
    });
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("baseModelFixtures")
  void shouldCompleteABaseModelWindowStartedBeforeTheSavepointAndOfferItToKnownAdapters(String fixture, Backend backend)
      throws Exception {
    List<ControlCommand> offers;
    try (KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, ControlCommand> h =
        StateFixtures.baseModelHarness()) {
      restore(h, fixture, backend);
      // The window's last event is the one buffered at the savepoint; the 12th, 15th and 18th comply.
      long t = AFTER;
      for (int i = BASE_COUNTED + 1; i < REFERENCE_RISKY_EVENTS; i++) {
        h.processElement1(risky(BASE, BASE + "-" + i, t += SECOND, i % 3 != 0), t);
      }
      h.processBothWatermarks(new Watermark(END));
      offers = h.extractOutputValues();
    }
    long complied = BASE_COUNTED_COMPLIED + 3;
    assertThat(offers).extracting(ControlCommand::variantId).containsOnly(ADAPTER);
    assertThat(offers).extracting(ControlCommand::baseline).containsExactlyInAnyOrder(
        new BaseModelBaseline(BASE, "refusal_drop", BUFFERED_AT, REFERENCE_RISKY_EVENTS, complied),
        new BaseModelBaseline(BASE, "harm_rise", BUFFERED_AT, REFERENCE_RISKY_EVENTS, complied));
  }

  static Stream<String> judgeFixtures() throws Exception {
    return fixtureFiles(fixtureDir(), StateFixtures.REMOTE_JUDGE + "_").stream().map(p -> p.getFileName().toString());
  }

  /** Events waiting for the judge at the savepoint are asked again after it; here the judge is down, so they pass as scored. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("judgeFixtures")
  void shouldEmitEveryEventInFlightToTheJudgeAtTheSavepoint(String fixture) throws Exception {
    List<ScoredEvent> out;
    try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String refusing = "http://127.0.0.1:" + closed.getLocalPort();
      closed.close();
      try (OneInputStreamOperatorTestHarness<ScoredEvent, ScoredEvent> h = StateFixtures.judgeHarness(refusing)) {
        h.initializeState(OperatorSnapshotUtil.readStateHandle(fixtureDir().resolve(fixture).toString()));
        h.open();
        h.endInput();
        out = h.extractOutputValues();
      }
    }
    List<ScoredEvent> expected = new ArrayList<>();
    for (int i = 0; i < StateFixtures.JUDGE_IN_FLIGHT; i++) {
      ScoredEvent e = StateFixtures.judged(i);
      expected.add(new ScoredEvent(e.eventId(), e.timestamp(), e.variantId(), e.baseModel(), e.tenant(), e.promptRisk(),
          e.refusal(), e.harm(), e.risky(), e.refused(), e.harmful(), e.promptNgrams(), null, null, e.responseSimhash()));
    }
    assertThat(out).containsExactlyInAnyOrderElementsOf(expected);
  }

  /** State of a build whose BackdoorWatch format this build does not read: the job stops, saying what to do. */
  @Test
  void shouldFailWithAClearMessageOnAStateVersionItCannotRead() throws Exception {
    try (KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, Alert> h =
        StateFixtures.variantMonitorHarness()) {
      h.setStateBackend(Backend.HASHMAP.create());
      h.initializeState(OperatorSnapshotUtil.readStateHandle(
          fixtureDir().resolve("unreadable/variant-monitor-v3_backdoor-v4_lifecycle-v1_scored-event-15.snapshot").toString()));
      h.open();
      h.processElement1(risky(ARMED, "after-0", AFTER + SECOND, true), AFTER + SECOND);
      assertThatThrownBy(() -> h.processBothWatermarks(new Watermark(END)))
          .rootCause()
          .hasMessageContaining("unknown BackdoorWatch version 4")
          .hasMessageContaining("fresh savepoint");
    }
  }

  private static MonitorRun run(String fixture, Backend backend) {
    return RUNS.computeIfAbsent(fixture + "@" + backend, k -> {
      try {
        return restoreAndContinue(fixture, backend);
      } catch (Exception e) {
        throw new IllegalStateException("restoring " + fixture + " on " + backend + " failed", e);
      }
    });
  }

  /** After the savepoint: each variant's scenario gets the traffic that shows whether its state survived. */
  private static MonitorRun restoreAndContinue(String fixture, Backend backend) throws Exception {
    try (KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, Alert> h =
        StateFixtures.variantMonitorHarness()) {
      restore(h, fixture, backend);
      long t = AFTER;
      for (int i = 0; i < 30; i++) {
        t += SECOND;
        send(h, risky(ARMED, "after-" + i, t, false));
        send(h, risky(ADAPTER, "after-" + i, t, false));
      }
      t = AFTER;
      for (int i = 0; i < 200; i++) {
        send(h, risky(FIRING, "after-" + i, t += SECOND, true));
      }
      send(h, benign(DEDUP, DEDUP_SEEN_ID, AFTER + 10 * SECOND));
      send(h, benign(DEDUP, "dedup-new", AFTER + 11 * SECOND));
      h.processBothWatermarks(new Watermark(END));
      return new MonitorRun(h.extractOutputValues(), values(h.getSideOutput(VariantMonitorFunction.WINDOWS)),
          values(h.getSideOutput(VariantMonitorFunction.LATE)));
    }
  }

  private static void restore(KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, ?> h, String fixture,
      Backend backend) throws Exception {
    h.setStateBackend(backend.create());
    h.initializeState(OperatorSnapshotUtil.readStateHandle(fixtureDir().resolve(fixture).toString()));
    h.open();
  }

  private static void send(KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, Alert> h, ScoredEvent e)
      throws Exception {
    h.processElement1(e, e.timestamp());
  }

  private static <T> List<T> values(java.util.Queue<StreamRecord<T>> records) {
    List<T> out = new ArrayList<>();
    if (records != null) {
      records.forEach(r -> out.add(r.getValue()));
    }
    return out;
  }
}
