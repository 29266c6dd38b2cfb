package io.llmsafety.monitor.jobs;

import io.llmsafety.monitor.detectors.ScorerSet;
import io.llmsafety.monitor.detectors.PayloadFingerprint;
import io.llmsafety.monitor.detectors.TriggerMiner;
import io.llmsafety.monitor.event.DeadLetter;
import io.llmsafety.monitor.event.EventParser;
import io.llmsafety.monitor.event.InteractionEvent;
import io.llmsafety.monitor.event.ParseResult;
import io.llmsafety.monitor.event.ScoredEvent;
import io.llmsafety.monitor.metrics.SafetyMetrics;
import io.llmsafety.monitor.metrics.WorkerMetrics;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Parses raw records, sends rejects to the dead-letter side output, and scores the rest. Stateless,
 * so it runs at full parallelism before the keyBy. Text leaves this operator only when the job
 * opts in to text evidence.
 */
public final class ParseAndScoreFunction extends ProcessFunction<String, ScoredEvent> {

  private static final long serialVersionUID = 1L;

  public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

  private final ScoringSettings settings;
  private transient EventParser parser;
  private transient ScorerSet scorers;
  private transient SafetyMetrics metrics;

  public ParseAndScoreFunction(ScoringSettings settings) {
    this.settings = settings;
  }

  @Override
  public void open(OpenContext openContext) {
    parser = EventParser.withDefaults().withFields(settings.inputFields());
    scorers = ScorerSet.builtin();
    metrics = SafetyMetrics.get();
    // On a cluster: label bounds and this TaskManager's /metrics endpoint (see WorkerMetrics).
    WorkerMetrics.ensureConfigured(getRuntimeContext().getGlobalJobParameters());
  }

  @Override
  public void processElement(String record, Context ctx, Collector<ScoredEvent> out) {
    metrics.inputRecord();
    ParseResult result = parser.parse(record);
    if (result instanceof ParseResult.Batch batch) {
      metrics.otlpSpansSkipped(batch.skippedSpans());
      for (ParseResult r : batch.results()) {
        emit(r, ctx, out);
      }
      return;
    }
    emit(result, ctx, out);
  }

  private void emit(ParseResult result, Context ctx, Collector<ScoredEvent> out) {
    if (result instanceof ParseResult.Rejected rejected) {
      metrics.deadLetter(rejected.deadLetter().reason());
      ctx.output(DEAD_LETTERS, rejected.deadLetter());
      return;
    }
    out.collect(score(((ParseResult.Accepted) result).event()));
  }

  ScoredEvent score(InteractionEvent e) {
    Double upstreamRisk = e.scores().get(settings.upstreamPromptRisk());
    Double upstreamHarm = e.scores().get(settings.upstreamHarm());
    double promptRisk = combine(upstreamRisk, () -> timed("builtin_prompt_risk", () -> scorers.promptRisk().score(e.prompt())));
    double refusal = timed("builtin_refusal", () -> scorers.refusal().score(e.response()));
    double harm = combine(upstreamHarm, () -> timed("builtin_harm", () -> scorers.harm().score(e.prompt(), e.response(), refusal)));
    if (upstreamRisk != null || upstreamHarm != null) {
      metrics.classifierRequest("upstream", "ok", 0);
    }
    boolean harmful = harm >= settings.harmThreshold();
    return new ScoredEvent(
        e.eventId(),
        e.timestampMillis(),
        e.variantId(),
        e.baseModel(),
        e.tenant(),
        promptRisk,
        refusal,
        harm,
        promptRisk >= settings.promptRiskThreshold(),
        refusal >= settings.refusalThreshold(),
        harmful,
        TriggerMiner.ngrams(e.prompt(), settings.maxNgram()),
        settings.includeText() ? e.prompt() : null,
        settings.includeText() ? e.response() : null,
        // Only harmful answers are compared for repeated payloads; the hash costs a pass over the text.
        harmful ? PayloadFingerprint.simhash(e.response()) : PayloadFingerprint.NONE);
  }

  private double combine(Double upstream, java.util.function.DoubleSupplier builtin) {
    return switch (settings.policy()) {
      case BUILTIN -> builtin.getAsDouble();
      case PREFER_UPSTREAM -> upstream != null ? upstream : builtin.getAsDouble();
      case MAX -> upstream != null ? Math.max(upstream, builtin.getAsDouble()) : builtin.getAsDouble();
    };
  }

  private double timed(String classifier, java.util.function.DoubleSupplier scorer) {
    long start = System.nanoTime();
    try {
      double s = scorer.getAsDouble();
      metrics.classifierRequest(classifier, "ok", System.nanoTime() - start);
      return s;
    } catch (RuntimeException e) {
      // A scorer bug must not stop the stream: count it and score neutrally.
      metrics.classifierRequest(classifier, "error", System.nanoTime() - start);
      return 0.0;
    }
  }
}
