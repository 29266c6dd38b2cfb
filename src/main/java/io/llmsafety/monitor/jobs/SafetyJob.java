package io.llmsafety.monitor.jobs;

import io.llmsafety.monitor.alerts.Alert;
import io.llmsafety.monitor.detectors.WindowStats;
import io.llmsafety.monitor.event.DeadLetter;
import io.llmsafety.monitor.event.ScoredEvent;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * The job graph, independent of where records come from and go to: Kafka in production, a file in
 * replay, the simulator in the demo. Callers pass the raw input and wire the three outputs.
 */
public final class SafetyJob {

  private SafetyJob() {}

  /** The three outputs of the job. */
  public record Outputs(DataStream<Alert> alerts, DataStream<DeadLetter> deadLetters, DataStream<WindowStats> windows) {}

  public static Outputs defineWorkflow(DataStream<String> rawRecords, PipelineSettings settings) {
    SingleOutputStreamOperator<ScoredEvent> scored = rawRecords
        .process(new ParseAndScoreFunction(settings.scoring()))
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

    SingleOutputStreamOperator<Alert> alerts = timed
        .keyBy(ScoredEvent::variantId)
        .process(new VariantMonitorFunction(settings.monitor(), settings.alerts(), settings.dedupHorizonMillis(),
            settings.variantTtlMillis()))
        .name("variant-monitor")
        .uid("variant-monitor");

    DataStream<DeadLetter> deadLetters = scored.getSideOutput(ParseAndScoreFunction.DEAD_LETTERS)
        .union(alerts.getSideOutput(VariantMonitorFunction.LATE));
    return new Outputs(alerts, deadLetters, alerts.getSideOutput(VariantMonitorFunction.WINDOWS));
  }
}
