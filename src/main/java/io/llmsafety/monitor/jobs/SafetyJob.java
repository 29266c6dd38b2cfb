package io.llmsafety.monitor.jobs;

import io.llmsafety.monitor.alerts.Alert;
import io.llmsafety.monitor.detectors.WindowStats;
import io.llmsafety.monitor.event.ControlCommand;
import io.llmsafety.monitor.event.DeadLetter;
import io.llmsafety.monitor.event.ScoredEvent;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * The job graph, independent of where records come from and go to: Kafka in production, a file in
 * replay, the simulator in the demo. Callers pass the raw input and wire the three outputs.
 */
public final class SafetyJob {

  /** Bounds the sighting filter's cache; an evicted adapter costs one extra forwarded event. */
  static final int MAX_TRACKED_ADAPTERS_PER_SUBTASK = 100_000;

  private SafetyJob() {}

  /** The three outputs of the job. */
  public record Outputs(DataStream<Alert> alerts, DataStream<DeadLetter> deadLetters, DataStream<WindowStats> windows) {}

  /** The graph without a control stream (replays, tests): nothing can rebaseline a variant. */
  public static Outputs defineWorkflow(DataStream<String> rawRecords, PipelineSettings settings) {
    return defineWorkflow(rawRecords, null, settings);
  }

  /**
   * @param controlRecords raw control-topic messages ({@code llm.safety.control}), or null
   */
  public static Outputs defineWorkflow(DataStream<String> rawRecords, DataStream<String> controlRecords,
      PipelineSettings settings) {
    boolean judge = settings.judge().enabled();
    SingleOutputStreamOperator<ScoredEvent> scored = rawRecords
        // The judge needs the text; it drops it again unless alerts.include_text.
        .process(new ParseAndScoreFunction(judge ? settings.scoring().keepingText() : settings.scoring()))
        .name("parse-and-score")
        .uid("parse-and-score");

    // Watermarks come after parsing because event time lives inside the JSON. Per-partition
    // alignment is lost, so max_out_of_orderness must also cover skew between the partitions
    // one subtask reads; idleness keeps an empty subtask from holding the watermark back.
    SingleOutputStreamOperator<ScoredEvent> timed = scored
        .assignTimestampsAndWatermarks(WatermarkStrategy
            .<ScoredEvent>forBoundedOutOfOrderness(Duration.ofMillis(settings.maxOutOfOrdernessMillis()))
            .withTimestampAssigner((event, previous) -> event.timestamp())
            .withIdleness(Duration.ofMillis(settings.idlenessMillis())))
        .name("event-time")
        .uid("event-time");

    // After the watermarks: unordered results never cross a watermark, so event time stays exact.
    DataStream<ScoredEvent> judged = !judge ? timed
        : JudgeFunction.wire(timed, settings.judge(), settings.scoring().harmThreshold(), settings.scoring().includeText())
            .name("remote-judge")
            .uid("remote-judge");

    DataStream<String> controlInput = controlRecords != null
        ? controlRecords
        // No control topic: an always-empty branch of the input keeps one graph shape.
        : rawRecords.filter(record -> false).name("no-control").uid("no-control");
    SingleOutputStreamOperator<ControlCommand> parsedControl = controlInput
        .process(new ParseControlFunction())
        .name("parse-control")
        .uid("parse-control");
    SingleOutputStreamOperator<ControlCommand> control = parsedControl
        // Commands act in processing order, so this input takes no part in event time: it stays
        // idle. (A MAX watermark instead would let event time jump to the end whenever the event
        // input goes idle, expiring every variant's state.)
        .assignTimestampsAndWatermarks(WatermarkStrategy.forGenerator(ctx -> new AlwaysIdle<>()))
        .name("control-watermarks")
        .uid("control-watermarks");

    DataStream<ControlCommand> monitorControl = control;
    if (settings.baselines() != null && settings.baselines().usesBaseModel()) {
      // Base models' reference windows, offered to the variants fine-tuned from them. Only in jobs
      // that use base_model baselines: it costs every event one more keyed hop.
      SingleOutputStreamOperator<ControlCommand> baseOffers = judged
          // Chained, no shuffle: of each adapter only the sightings the keyed operator acts on go on.
          .process(new DependentSightingFilter(settings.variantTtlMillis(), MAX_TRACKED_ADAPTERS_PER_SUBTASK))
          .name("base-model-sightings")
          .uid("base-model-sightings")
          .keyBy(BaseModelBaselineFunction::lineageKey)
          .connect(control.keyBy(ControlCommand::variantId))
          .process(new BaseModelBaselineFunction(settings.monitor().riskyCompliance().referenceEvents(),
              settings.monitor().benignHarm().referenceEvents(), settings.variantTtlMillis()))
          .name("base-model-baselines")
          .uid("base-model-baselines");
      monitorControl = control.union(baseOffers);
    }

    SingleOutputStreamOperator<Alert> alerts = judged
        .keyBy(ScoredEvent::variantId)
        .connect(monitorControl.keyBy(ControlCommand::variantId))
        .process(new VariantMonitorFunction(settings.monitor(), settings.alerts(), settings.dedupHorizonMillis(),
            settings.variantTtlMillis(), settings.lifecycle(), settings.baselines()))
        .name("variant-monitor")
        .uid("variant-monitor");

    DataStream<DeadLetter> deadLetters = scored.getSideOutput(ParseAndScoreFunction.DEAD_LETTERS)
        .union(alerts.getSideOutput(VariantMonitorFunction.LATE), parsedControl.getSideOutput(ParseAndScoreFunction.DEAD_LETTERS));
    return new Outputs(alerts, deadLetters, alerts.getSideOutput(VariantMonitorFunction.WINDOWS));
  }

  /** Marks its stream idle, so the operator's event time is the other input's alone. */
  static final class AlwaysIdle<T> implements WatermarkGenerator<T> {
    @Override
    public void onEvent(T event, long eventTimestamp, WatermarkOutput output) {
      output.markIdle();
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
      output.markIdle();
    }
  }
}
