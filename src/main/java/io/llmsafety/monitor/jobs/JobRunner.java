package io.llmsafety.monitor.jobs;

import io.llmsafety.monitor.alerts.AlertJson;
import io.llmsafety.monitor.alerts.AlertmanagerSink;
import io.llmsafety.monitor.alerts.OutputJson;
import io.llmsafety.monitor.jobs.config.FlinkSpec;
import io.llmsafety.monitor.jobs.config.JobSpec;
import io.llmsafety.monitor.jobs.config.KafkaSpec;
import io.llmsafety.monitor.metrics.SafetyMetrics;
import io.llmsafety.monitor.metrics.WorkerMetrics;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.reader.TextLineInputFormat;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

/** Builds execution environments and wires the job graph to Kafka or to files. */
public final class JobRunner {

  private JobRunner() {}

  /**
   * Flink configuration from the job spec. On a cluster ({@code flink run}) the cluster's own
   * configuration applies underneath; locally this starts a MiniCluster.
   *
   * @param local true for an in-process MiniCluster (REST on a free port, no restarts)
   */
  public static Configuration flinkConfiguration(JobSpec spec, boolean local) {
    FlinkSpec f = spec.flink();
    Configuration conf = new Configuration();
    conf.set(PipelineOptions.NAME, spec.name());
    // Every record type crossing operators must have a Flink serializer; Kryo would hide mistakes.
    conf.set(PipelineOptions.GENERIC_TYPES, false);
    conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, f.checkpointInterval());
    conf.set(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE, CheckpointingMode.EXACTLY_ONCE);
    conf.set(StateBackendOptions.STATE_BACKEND, f.stateBackend().code());
    if (f.checkpointDir() != null) {
      conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, f.checkpointDir());
    }
    if (local) {
      conf.set(RestOptions.BIND_PORT, "0");
    }
    return conf;
  }

  public static StreamExecutionEnvironment environment(JobSpec spec, boolean local, boolean restarts) {
    return environment(flinkConfiguration(spec, local), spec, restarts);
  }

  private static StreamExecutionEnvironment environment(Configuration conf, JobSpec spec, boolean restarts) {
    if (!restarts) {
      conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    if (env.getClass() == LocalStreamEnvironment.class) {
      // No cluster or test context: our own local environment, whose MiniCluster Main can wait for.
      env = LocalClusters.environment(conf);
    }
    env.setParallelism(spec.flink().parallelism());
    return env;
  }

  public static void configureMetrics(JobSpec spec) {
    SafetyMetrics.get().configureLabels(spec.metrics().maxVariantLabels(), new HashSet<>(spec.metrics().variantAllowlist()));
  }

  public static KafkaIo.Endpoints endpoints(JobSpec spec) {
    KafkaSpec k = spec.kafka();
    Properties props = new Properties();
    props.putAll(k.properties());
    return new KafkaIo.Endpoints(k.bootstrapServers(), k.groupId(), k.startingOffsets().code(), k.transactionalIdPrefix(),
        k.topics().input(), k.topics().alerts(), k.topics().deadLetter(), k.topics().windowMetrics(), k.topics().control(),
        props);
  }

  /** The production graph: Kafka in, Kafka out (exactly once). */
  public static void defineKafkaJob(StreamExecutionEnvironment env, JobSpec spec) {
    KafkaIo.Endpoints e = endpoints(spec);
    DataStream<String> raw = env.fromSource(KafkaIo.source(e), WatermarkStrategy.noWatermarks(), "kafka-interactions")
        .uid("kafka-interactions");
    DataStream<String> control = env.fromSource(KafkaIo.controlSource(e), WatermarkStrategy.noWatermarks(), "kafka-control")
        .uid("kafka-control")
        .setParallelism(1);
    SafetyJob.Outputs out = SafetyJob.defineWorkflow(raw, control, PipelineSettings.from(spec));
    out.alerts().sinkTo(KafkaIo.alertSink(e)).name("kafka-alerts").uid("kafka-alerts");
    out.deadLetters().sinkTo(KafkaIo.deadLetterSink(e)).name("kafka-dead-letters").uid("kafka-dead-letters");
    out.windows().sinkTo(KafkaIo.windowSink(e)).name("kafka-window-metrics").uid("kafka-window-metrics");
    if (spec.alertmanager().enabled()) {
      // Best effort beside the exactly-once topic. Its own task, so network buffers absorb short
      // stalls; AlertmanagerClient's one-attempt mode during outages bounds the back pressure.
      out.alerts().sinkTo(new AlertmanagerSink(spec.alertmanager())).name("alertmanager").uid("alertmanager")
          .disableChaining();
    }
  }

  /**
   * Runs the production job until cancelled (locally), or submits it (on a cluster, where execute
   * returns at once in detached mode). /metrics is served by every JVM that runs operators: the
   * MiniCluster's, or each TaskManager's; not by a JobManager or client that only submits.
   */
  public static void runKafkaJob(JobSpec spec) throws Exception {
    StreamExecutionEnvironment env = environment(spec, false, true);
    Configuration params = new Configuration();
    params.set(PipelineOptions.GLOBAL_JOB_PARAMETERS,
        WorkerMetrics.parameters(spec.metrics().port(), spec.metrics().maxVariantLabels(), spec.metrics().variantAllowlist()));
    env.configure(params);
    defineKafkaJob(env, spec);
    env.execute(spec.name());
  }

  /** One output record of a replay, tagged with the output it belongs to. */
  public record TaggedOutput(String output, String sortKey, String json) implements Serializable {}

  /** What a replay produced, each list in a deterministic order. */
  public record ReplayResult(List<String> alerts, List<String> deadLetters, List<String> windows) {}

  /**
   * Replays a bounded JSONL file (optionally .gz) through the same graph in event time. At the end
   * of the file the final watermark flushes every buffered event and open window.
   */
  public static ReplayResult replay(JobSpec spec, Path input) throws Exception {
    return replay(spec, input, "hashmap");
  }

  /**
   * As {@link #replay(JobSpec, Path)} on the given state backend ({@code hashmap} or {@code
   * rocksdb}). Heap state is faster; RocksDB holds many thousands of variants (~0.5 MB each) off the heap.
   */
  public static ReplayResult replay(JobSpec spec, Path input, String stateBackend) throws Exception {
    if (!stateBackend.equals("hashmap") && !stateBackend.equals("rocksdb")) {
      throw new IllegalArgumentException("state backend must be hashmap or rocksdb, was " + stateBackend);
    }
    configureMetrics(spec);
    Configuration conf = flinkConfiguration(spec, true);
    // A bounded replay has nothing to recover and writes no transactions; with checkpoints on, the
    // finished job would wait up to one interval for a final checkpoint.
    conf.removeConfig(CheckpointingOptions.CHECKPOINTING_INTERVAL);
    // Heap state by default: a local, bounded run rarely needs RocksDB's spill-to-disk, and heap
    // access is ~4x faster here. Detection settings are the same on either.
    conf.set(StateBackendOptions.STATE_BACKEND, stateBackend);
    StreamExecutionEnvironment env = environment(conf, spec, false);
    env.setRuntimeMode(RuntimeExecutionMode.STREAMING);
    FileSource<String> source = FileSource.forRecordStreamFormat(new TextLineInputFormat(),
        new org.apache.flink.core.fs.Path(input.toAbsolutePath().toUri())).build();
    // One reader keeps the file's order, so its out-of-orderness is what the spec allows for.
    DataStream<String> raw = env.fromSource(source, WatermarkStrategy.noWatermarks(), "replay-file").setParallelism(1);
    SafetyJob.Outputs out = SafetyJob.defineWorkflow(raw, PipelineSettings.from(spec));
    DataStream<TaggedOutput> all = out.alerts().map(new AlertToOutput()).returns(TaggedOutput.class)
        .union(out.deadLetters().map(new DeadLetterToOutput()).returns(TaggedOutput.class),
            out.windows().map(new WindowToOutput()).returns(TaggedOutput.class));
    List<TaggedOutput> collected = new ArrayList<>();
    try (CloseableIterator<TaggedOutput> it = all.executeAndCollect(spec.name() + "-replay")) {
      it.forEachRemaining(collected::add);
    }
    collected.sort((a, b) -> a.sortKey().compareTo(b.sortKey()));
    List<String> alerts = new ArrayList<>();
    List<String> deadLetters = new ArrayList<>();
    List<String> windows = new ArrayList<>();
    for (TaggedOutput o : collected) {
      switch (o.output()) {
        case "alert" -> alerts.add(o.json());
        case "dead-letter" -> deadLetters.add(o.json());
        default -> windows.add(o.json());
      }
    }
    return new ReplayResult(alerts, deadLetters, windows);
  }

  static final class AlertToOutput implements MapFunction<io.llmsafety.monitor.alerts.Alert, TaggedOutput> {
    @Override
    public TaggedOutput map(io.llmsafety.monitor.alerts.Alert a) {
      // Re-notifications share detected_at with their first record; notified_at orders them.
      return new TaggedOutput("alert", a.detectedAt() + '|' + a.variantId() + '|' + a.kind() + '|' + a.status() + '|'
          + (a.notifiedAt() == null ? "" : a.notifiedAt()),
          AlertJson.toJson(a));
    }
  }

  static final class DeadLetterToOutput implements MapFunction<io.llmsafety.monitor.event.DeadLetter, TaggedOutput> {
    @Override
    public TaggedOutput map(io.llmsafety.monitor.event.DeadLetter d) {
      String json = OutputJson.deadLetterJson(d);
      return new TaggedOutput("dead-letter", d.reason() + '|' + d.eventId() + '|' + json, json);
    }
  }

  static final class WindowToOutput implements MapFunction<io.llmsafety.monitor.detectors.WindowStats, TaggedOutput> {
    @Override
    public TaggedOutput map(io.llmsafety.monitor.detectors.WindowStats w) {
      return new TaggedOutput("window", String.format("%020d|%s", w.windowStart(), w.variantId()), OutputJson.windowJson(w));
    }
  }

  static {
    // Referenced so that ExecutionOptions stays a documented knob for batch replays later.
    ExecutionOptions.RUNTIME_MODE.key();
  }
}
