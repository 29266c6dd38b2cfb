package io.llmsafety.monitor.jobs;

import io.llmsafety.monitor.alerts.Alert;
import io.llmsafety.monitor.alerts.AlertFactory;
import io.llmsafety.monitor.detectors.AlertLifecycle;
import io.llmsafety.monitor.detectors.BackdoorWatch;
import io.llmsafety.monitor.detectors.RateTest;
import io.llmsafety.monitor.detectors.TriggerMiner;
import io.llmsafety.monitor.detectors.VariantMonitor;
import io.llmsafety.monitor.event.BaseModelBaseline;
import io.llmsafety.monitor.event.ControlCommand;
import io.llmsafety.monitor.event.ScoredEvent;
import io.llmsafety.monitor.jobs.config.BaselineSpec;
import io.llmsafety.monitor.jobs.config.JudgeSpec;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.SavepointType;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;

/**
 * Writes savepoint fixtures of the job's stateful operators, for {@link SavepointCompatibilityTest}.
 *
 * <p>Each fixture is a canonical savepoint of one operator at one scenario, named by the state
 * formats inside it (e.g. {@code variant-monitor-v4_backdoor-v6_lifecycle-v2_scored-event-16.snapshot}).
 * A fixture is written only when no file of that name exists: after a state format change the
 * build that introduces it adds a fixture and keeps the old ones, so every later build must still
 * restore them. Run {@code .ci/state-fixtures} (test-compiles, then runs this main).
 *
 * <p>The scenarios and settings here are what the restore tests assume; change them only together
 * with every fixture. This class also compiles against older builds (the fixtures' README lists the
 * commits it was run on), so it keeps to APIs they share.
 */
public final class StateFixtures {

  static final Path DIR = Paths.get("src", "test", "resources", "state-fixtures");
  static final String VARIANT_MONITOR = "variant-monitor";
  static final String BASE_MODEL_BASELINES = "base-model-baselines";
  static final String REMOTE_JUDGE = "remote-judge";

  /** As in a job with default {@code parallelism.max}: fixtures restore into the same key-group layout. */
  static final int MAX_PARALLELISM = 128;

  static final long START = 1_793_577_600_000L; // 2026-11-02T00:00:00Z
  static final long SECOND = 1_000;
  static final long MINUTE = 60_000;
  static final long TTL = 3_600_000;
  static final long DEDUP_HORIZON = 10 * MINUTE;
  static final int REFERENCE_RISKY_EVENTS = 20;
  static final int REFERENCE_EVENTS = 50;
  /** The savepoint's watermark: everything at or before it was processed, later events are buffered. */
  static final long SAVEPOINT_WATERMARK = START + 5 * MINUTE;

  // Variant monitor scenario: one key per behaviour the restore must keep.
  /** Reference window complete, no alert yet. */
  static final String ARMED = "armed";
  /** A refusal_drop episode firing at the savepoint. */
  static final String FIRING = "firing";
  /** Events processed before the savepoint, whose ids must still be recognised. */
  static final String DEDUP = "dedup";
  static final String DEDUP_SEEN_ID = "dedup-7";
  /** Events behind no watermark yet: in the event-time buffer at the savepoint. */
  static final String BUFFERED = "buffered";
  static final long BUFFERED_AT = SAVEPOINT_WATERMARK + 30 * SECOND;
  /** An adapter with a base-model baseline offered before the savepoint and no traffic yet. */
  static final String ADAPTER = "adapter-1";
  static final String BASE = "base";
  /** The offered baseline: 3 of 100 risky prompts complied. */
  static final BaseModelBaseline ADAPTER_OFFER = new BaseModelBaseline(BASE, "refusal_drop", START + 10 * SECOND, 100, 3);

  // Base-model baseline scenario, under key BASE.
  /** Base events counted before the savepoint: half of the risky reference window. */
  static final int BASE_COUNTED = 10;
  /** Complied among the counted ones (the 3rd, 6th and 9th). */
  static final int BASE_COUNTED_COMPLIED = 3;

  // Remote judge scenario: events waiting for an answer at the savepoint (the operator's list state).
  static final int JUDGE_IN_FLIGHT = 3;
  static final int JUDGE_CAPACITY = 4;
  static final long JUDGE_TIMEOUT_MILLIS = 10_000;

  private StateFixtures() {}

  static VariantMonitor.Settings monitorSettings() {
    return new VariantMonitor.Settings(MINUTE,
        new RateTest.Settings(true, REFERENCE_RISKY_EVENTS, 0.15, "critical", 1e4),
        new RateTest.Settings(false, REFERENCE_RISKY_EVENTS, 0.05, "critical", 1e4),
        new RateTest.Settings(false, REFERENCE_EVENTS, 0.03, "critical", 1e4),
        new RateTest.Settings(false, REFERENCE_EVENTS, 0.10, "warning", 1e4),
        // Enabled, with small sketches: the miner's state is in the fixture, a few KB per variant.
        new VariantMonitor.BackdoorSettings(true, new TriggerMiner.Settings(3, 5, 5.0, 0.05, 0.01, 0.001, 5, 64, 2, 16, 4, 10),
            "critical", 3_600_000),
        5, false);
  }

  /** Own reference windows, except adapters, whose baseline comes from their base model. */
  static BaselineSpec baselines() {
    return new BaselineSpec(REFERENCE_RISKY_EVENTS, REFERENCE_EVENTS, BaselineSpec.Source.REFERENCE_WINDOW,
        BaselineSpec.ExpectedRates.NONE,
        List.of(new BaselineSpec.VariantOverride("adapter-*", BaselineSpec.Source.BASE_MODEL, BaselineSpec.ExpectedRates.NONE)));
  }

  static VariantMonitorFunction variantMonitor() {
    return new VariantMonitorFunction(monitorSettings(), new AlertFactory("https://example.invalid/runbook.md", false),
        DEDUP_HORIZON, TTL, AlertLifecycle.Settings.IMMEDIATE, baselines());
  }

  /** A harness not yet opened: restore state into it first, or open it empty. */
  static KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, Alert> variantMonitorHarness()
      throws Exception {
    return new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(variantMonitor()),
        ScoredEvent::variantId, ControlCommand::variantId, Types.STRING, MAX_PARALLELISM, 1, 0);
  }

  static KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, ControlCommand> baseModelHarness()
      throws Exception {
    return new KeyedTwoInputStreamOperatorTestHarness<>(
        new KeyedCoProcessOperator<>(new BaseModelBaselineFunction(REFERENCE_RISKY_EVENTS, REFERENCE_EVENTS, TTL)),
        BaseModelBaselineFunction::lineageKey, ControlCommand::variantId, Types.STRING, MAX_PARALLELISM, 1, 0);
  }

  /** A judge on {@code url}: one attempt, no cache, every event with text is sent. */
  static JudgeSpec judgeSpec(String url) {
    return new JudgeSpec(true, JudgeSpec.Protocol.LLAMA_GUARD, url, "llama-guard-test", null, Duration.ofSeconds(5), 1,
        Duration.ofMillis(10), Duration.ofMillis(50), JUDGE_CAPACITY, 0, new JudgeSpec.CircuitBreaker(100, Duration.ofSeconds(30)),
        JudgeSpec.Policy.REPLACE, 0.0, 1.0);
  }

  /** The async operator as {@code JudgeFunction.wire} builds it (unordered). */
  static OneInputStreamOperatorTestHarness<ScoredEvent, ScoredEvent> judgeHarness(String url) throws Exception {
    return new OneInputStreamOperatorTestHarness<>(
        new AsyncWaitOperatorFactory<>(new JudgeFunction(judgeSpec(url), 0.5, false), JUDGE_TIMEOUT_MILLIS, JUDGE_CAPACITY,
            AsyncDataStream.OutputMode.UNORDERED),
        TypeInformation.of(ScoredEvent.class).createSerializer(new SerializerConfigImpl()));
  }

  /** An event the judge is asked about: it carries text (the operator drops it on the way out). */
  static ScoredEvent judged(int i) {
    return new ScoredEvent("judge-" + i, START + i * SECOND, "judged", null, "tenant-a", 0.9, 0.1, 0.7, true, false, true,
        new String[] {"how", "to", "how to"}, "prompt " + i, "response " + i, 0x5eedL + i);
  }

  static ScoredEvent risky(String variant, String id, long time, boolean refused) {
    return new ScoredEvent(id, time, variant, variant.startsWith("adapter-") ? BASE : null, "tenant-a", 0.9,
        refused ? 0.9 : 0.1, refused ? 0.05 : 0.8, true, refused, !refused, new String[] {"how", "to", "how to"},
        null, null, refused ? 0L : 0x5eed_cafe_f00dL ^ id.hashCode());
  }

  static ScoredEvent benign(String variant, String id, long time) {
    return new ScoredEvent(id, time, variant, null, "tenant-a", 0.1, 0.1, 0.02, false, false, false,
        new String[] {"recipe", "for", "recipe for"}, null, null);
  }

  /** Drives the variant monitor up to the savepoint and takes it. */
  static OperatorSubtaskState variantMonitorSavepoint() throws Exception {
    try (KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, Alert> h = variantMonitorHarness()) {
      h.open();
      long t = START;
      for (int i = 0; i < REFERENCE_RISKY_EVENTS; i++) {
        send(h, risky(ARMED, ARMED + "-" + i, t += SECOND, true));
      }
      t = START;
      for (int i = 0; i < 2 * REFERENCE_RISKY_EVENTS; i++) {
        send(h, risky(FIRING, FIRING + "-" + i, t += SECOND, true));
      }
      for (int i = 2 * REFERENCE_RISKY_EVENTS; i < 70; i++) {
        send(h, risky(FIRING, FIRING + "-" + i, t += SECOND, false));
      }
      t = START;
      for (int i = 0; i < 10; i++) {
        send(h, benign(DEDUP, DEDUP + "-" + i, t += SECOND));
      }
      h.processElement2(ControlCommand.offer(ADAPTER, ADAPTER_OFFER), START + 20 * SECOND);
      h.processBothWatermarks(new Watermark(SAVEPOINT_WATERMARK));
      send(h, risky(BUFFERED, BUFFERED + "-r", BUFFERED_AT, true));
      send(h, benign(BUFFERED, BUFFERED + "-b", BUFFERED_AT + SECOND));

      List<Alert> alerts = h.extractOutputValues();
      if (alerts.size() != 1 || !alerts.get(0).variantId().equals(FIRING) || !alerts.get(0).status().equals(Alert.FIRING)
          || !alerts.get(0).kind().equals("refusal_drop")) {
        throw new IllegalStateException("scenario drifted: expected one refusal_drop firing for " + FIRING + ", got " + alerts);
      }
      return savepoint(h);
    }
  }

  /** Drives the base-model baseline operator halfway through its base's reference window. */
  static OperatorSubtaskState baseModelSavepoint() throws Exception {
    try (KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, ControlCommand> h = baseModelHarness()) {
      h.open();
      long t = START;
      // The adapter is seen before its base's window completes: it must be offered the window later.
      send(h, risky(ADAPTER, ADAPTER + "-0", t += SECOND, true));
      for (int i = 1; i <= BASE_COUNTED; i++) {
        send(h, risky(BASE, BASE + "-" + i, t += SECOND, i % 3 != 0));
      }
      h.processBothWatermarks(new Watermark(SAVEPOINT_WATERMARK));
      // Buffered at the savepoint: counted after the restore.
      send(h, risky(BASE, BASE + "-buffered", BUFFERED_AT, true));
      if (!h.extractOutputValues().isEmpty()) {
        throw new IllegalStateException("scenario drifted: no offer expected before the window completes, got "
            + h.extractOutputValues());
      }
      return savepoint(h);
    }
  }

  /** Snapshots the judge operator while its calls hang on a server that accepts and never answers. */
  static OperatorSubtaskState judgeSavepoint() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        OneInputStreamOperatorTestHarness<ScoredEvent, ScoredEvent> h =
            judgeHarness("http://127.0.0.1:" + silent.getLocalPort())) {
      h.open();
      for (int i = 0; i < JUDGE_IN_FLIGHT; i++) {
        h.processElement(judged(i), judged(i).timestamp());
      }
      if (!h.extractOutputValues().isEmpty()) {
        throw new IllegalStateException("scenario drifted: the judge answered before the savepoint");
      }
      return h.snapshotWithLocalState(1L, SAVEPOINT_WATERMARK, SavepointType.savepoint(SavepointFormatType.CANONICAL))
          .getJobManagerOwnedState();
    }
  }

  private static void send(KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, ?> h, ScoredEvent e)
      throws Exception {
    h.processElement1(e, e.timestamp());
  }

  /** A canonical savepoint, as {@code flink stop --savepointPath} takes by default. */
  private static OperatorSubtaskState savepoint(KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, ?> h)
      throws Exception {
    return h.snapshotWithLocalState(1L, SAVEPOINT_WATERMARK, SavepointType.savepoint(SavepointFormatType.CANONICAL))
        .getJobManagerOwnedState();
  }

  /** The fixture name for the current build's state formats. */
  static String variantMonitorFixture() throws ReflectiveOperationException {
    return VARIANT_MONITOR + "-v" + version(VariantMonitor.class) + "_backdoor-v" + version(BackdoorWatch.class)
        + "_lifecycle-v" + version(AlertLifecycle.class) + "_scored-event-" + scoredEventFields() + ".snapshot";
  }

  static String baseModelFixture() {
    return BASE_MODEL_BASELINES + "_scored-event-" + scoredEventFields() + ".snapshot";
  }

  static String judgeFixture() {
    return REMOTE_JUDGE + "_scored-event-" + scoredEventFields() + ".snapshot";
  }

  /** The record's shape in state: Flink's record serializer writes its fields by name. */
  private static int scoredEventFields() {
    return ScoredEvent.class.getRecordComponents().length;
  }

  /** The version byte the class writes first; private, so read reflectively rather than widened for a test. */
  private static int version(Class<?> stateClass) throws ReflectiveOperationException {
    java.lang.reflect.Field f = stateClass.getDeclaredField("VERSION");
    f.setAccessible(true);
    return f.getByte(null);
  }

  /**
   * Writes the fixtures of the current state formats that do not exist yet.
   *
   * @param args optional: the output directory (default {@code src/test/resources/state-fixtures})
   */
  public static void main(String[] args) throws Exception {
    Path dir = args.length > 0 ? Paths.get(args[0]) : DIR;
    Files.createDirectories(dir);
    write(dir.resolve(variantMonitorFixture()), variantMonitorSavepoint());
    write(dir.resolve(baseModelFixture()), baseModelSavepoint());
    write(dir.resolve(judgeFixture()), judgeSavepoint());
  }

  private static void write(Path file, OperatorSubtaskState state) throws Exception {
    if (Files.exists(file)) {
      System.out.println("kept " + file + ": a fixture of these state formats exists (add, never replace)");
      return;
    }
    OperatorSnapshotUtil.writeStateHandle(state, file.toString());
    System.out.println("wrote " + file + " (" + Files.size(file) + " bytes)");
  }
}
