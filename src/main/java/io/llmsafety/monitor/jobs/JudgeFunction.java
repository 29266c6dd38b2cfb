package io.llmsafety.monitor.jobs;

import io.llmsafety.monitor.detectors.PayloadFingerprint;
import io.llmsafety.monitor.event.ScoredEvent;
import io.llmsafety.monitor.jobs.config.JudgeSpec;
import io.llmsafety.monitor.judge.JudgeCategories;
import io.llmsafety.monitor.judge.JudgeClient;
import io.llmsafety.monitor.judge.JudgeOutcome;
import io.llmsafety.monitor.judge.JudgeResult;
import io.llmsafety.monitor.judge.JudgeVerdict;
import io.llmsafety.monitor.metrics.SafetyMetrics;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

/**
 * Rescores harm with the remote judge ({@code scoring.judge}) through Flink's Async I/O. Every event
 * comes out exactly once: with the judge's score when it answered, with the score it came in with
 * when it failed, timed out, was skipped by {@code min_builtin_harm} / {@code sample_rate}, or the
 * circuit is open. Prompt and response text reach this operator for the judge's sake and leave it
 * only when {@code alerts.include_text} is on.
 *
 * <p>Back pressure is the one cost the judge can put on the stream: at most {@code max_concurrency}
 * events per subtask wait for it, each for at most the client's time budget. The circuit breaker
 * turns an outage into immediate fallbacks, so a dead judge does not slow the stream.
 */
public final class JudgeFunction extends RichAsyncFunction<ScoredEvent, ScoredEvent> {

  private static final long serialVersionUID = 1L;

  /** Above the client's own budget, so the operator's timeout is a backstop, never the usual path. */
  static final Duration TIMEOUT_MARGIN = Duration.ofSeconds(5);

  private final JudgeSpec spec;
  private final double harmThreshold;
  private final boolean includeText;
  private transient JudgeClient client;
  private transient SafetyMetrics metrics;
  /** In-flight calls by their result future (identity): whoever removes an entry completes it. */
  private transient Map<ResultFuture<ScoredEvent>, ScoredEvent> pending;

  public JudgeFunction(JudgeSpec spec, double harmThreshold, boolean includeText) {
    this.spec = spec;
    this.harmThreshold = harmThreshold;
    this.includeText = includeText;
  }

  /** Adds the judge after {@code scored}; unordered, so watermarks still order it (they are barriers). */
  public static SingleOutputStreamOperator<ScoredEvent> wire(DataStream<ScoredEvent> scored, JudgeSpec spec,
      double harmThreshold, boolean includeText) {
    return AsyncDataStream.unorderedWait(scored, new JudgeFunction(spec, harmThreshold, includeText),
        spec.totalBudget().plus(TIMEOUT_MARGIN).toMillis(), TimeUnit.MILLISECONDS, spec.maxConcurrency());
  }

  @Override
  public void open(OpenContext openContext) {
    metrics = SafetyMetrics.get();
    pending = Collections.synchronizedMap(new IdentityHashMap<>());
    String classifier = spec.protocol().code();
    metrics.registerClassifier(classifier, Arrays.stream(JudgeOutcome.values()).map(JudgeOutcome::code).toList());
    // At zero from the start, like the outcomes, so a rate over them reads 0 rather than "no data".
    metrics.judgeCategoryRejected(classifier, "malformed", 0);
    metrics.judgeCategoryRejected(classifier, "over_limit", 0);
    client = JudgeClient.create(spec, System::getenv, reason -> metrics.classifierRetry(classifier, reason.code()));
  }

  @Override
  public void close() {
    if (client != null) {
      client.close();
    }
  }

  @Override
  public void asyncInvoke(ScoredEvent event, ResultFuture<ScoredEvent> resultFuture) {
    if (!selected(event)) {
      resultFuture.complete(List.of(withoutText(event)));
      return;
    }
    pending.put(resultFuture, event);
    client.judge(event.promptText(), event.responseText()).whenComplete((result, error) -> {
      if (pending.remove(resultFuture) == null) {
        return; // the operator's timeout answered already
      }
      // JudgeClient never fails its future; the guard keeps an event from being lost if it did.
      JudgeResult r = result != null ? result : JudgeResult.failed(JudgeOutcome.ERROR, 0);
      metrics.classifierRequest(client.classifier(), r.outcome().code(), r.nanos());
      ScoredEvent out = withoutText(event);
      if (r.verdict() != null) {
        JudgeCategories.Sanitized categories = JudgeCategories.sanitize(r.verdict().categories());
        countCategories(categories);
        out = combine(event, r.verdict(), categories);
      }
      resultFuture.complete(List.of(out));
    });
  }

  @Override
  public void timeout(ScoredEvent event, ResultFuture<ScoredEvent> resultFuture) {
    if (pending.remove(resultFuture) != null) {
      metrics.classifierRequest(client.classifier(), JudgeOutcome.TIMEOUT.code(),
          spec.totalBudget().plus(TIMEOUT_MARGIN).toNanos());
      resultFuture.complete(List.of(withoutText(event)));
    }
  }

  boolean selected(ScoredEvent event) {
    return event.promptText() != null && event.responseText() != null
        && event.harm() >= spec.minBuiltinHarm()
        && (spec.sampleRate() >= 1.0 || sampleFraction(event.eventId()) < spec.sampleRate());
  }

  /** Uniform in [0, 1) and fixed per event_id, so a replay judges the same events. */
  static double sampleFraction(String eventId) {
    long h = eventId.hashCode() * 0x9E3779B97F4A7C15L;
    h ^= h >>> 32;
    h *= 0xD6E8FEB86659FD93L;
    h ^= h >>> 32;
    return (h >>> 11) * 0x1.0p-53;
  }

  private void countCategories(JudgeCategories.Sanitized categories) {
    for (String category : categories.codes()) {
      metrics.judgeCategory(client.classifier(), category);
    }
    if (categories.malformed() > 0) {
      metrics.judgeCategoryRejected(client.classifier(), "malformed", categories.malformed());
    }
    if (categories.overLimit() > 0) {
      metrics.judgeCategoryRejected(client.classifier(), "over_limit", categories.overLimit());
    }
  }

  ScoredEvent combine(ScoredEvent e, JudgeVerdict v) {
    return combine(e, v, JudgeCategories.sanitize(v.categories()));
  }

  /**
   * The event with the judge's verdict applied and its checked category codes attached. The
   * response fingerprint is kept, and taken here when the judge makes an answer harmful that the
   * built-in score did not (the text is still at hand), so repeated-payload detection sees judged
   * answers too.
   */
  ScoredEvent combine(ScoredEvent e, JudgeVerdict v, JudgeCategories.Sanitized categories) {
    double harm;
    boolean harmful;
    if (spec.policy() == JudgeSpec.Policy.MAX) {
      harm = Math.max(e.harm(), v.harm());
      harmful = e.harmful() || v.flagged() || harm >= harmThreshold;
    } else {
      harm = v.harm();
      harmful = v.flagged() || harm >= harmThreshold;
    }
    long simhash = e.responseSimhash();
    if (harmful && simhash == PayloadFingerprint.NONE) {
      simhash = PayloadFingerprint.simhash(e.responseText());
    }
    return new ScoredEvent(e.eventId(), e.timestamp(), e.variantId(), e.baseModel(), e.tenant(), e.promptRisk(), e.refusal(),
        harm, e.risky(), e.refused(), harmful, e.promptNgrams(), includeText ? e.promptText() : null,
        includeText ? e.responseText() : null, harmful ? simhash : PayloadFingerprint.NONE, categories.toField());
  }

  private ScoredEvent withoutText(ScoredEvent e) {
    if (includeText || e.promptText() == null && e.responseText() == null) {
      return e;
    }
    return new ScoredEvent(e.eventId(), e.timestamp(), e.variantId(), e.baseModel(), e.tenant(), e.promptRisk(), e.refusal(),
        e.harm(), e.risky(), e.refused(), e.harmful(), e.promptNgrams(), null, null, e.responseSimhash(), e.judgeCategories());
  }
}
