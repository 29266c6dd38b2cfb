package io.llmsafety.monitor.metrics;

import io.llmsafety.monitor.event.RejectReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The domain metrics of DESIGN.md section 5, in one Micrometer registry per JVM. Flink operators
 * of one job share the JVM (MiniCluster or one TaskManager), so a process-wide instance is the
 * right scope; Prometheus sums across TaskManager pods.
 *
 * <p>Counters are incremented as operators process records, so after a failover the replayed
 * records are counted again: rates stay right, totals may overshoot. Window rates and detector
 * statistics are gauges set from event-time state, which checkpoints keep exact.
 */
public final class SafetyMetrics {

  public static final String PREFIX = "llm_safety_";
  private static final double[] HARM_BUCKETS = {0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0};

  private static volatile SafetyMetrics instance;

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private volatile VariantLabeler labeler = new VariantLabeler(100, Set.of());
  private final Map<String, Object> meters = new ConcurrentHashMap<>();
  private final Map<String, GaugeValue> gauges = new ConcurrentHashMap<>();
  private final AtomicLong variantsTracked = new AtomicLong();
  /** Per-event meters by variant label, [benign, risky]; the same objects as in {@link #meters}. */
  private final Map<String, SegmentMeters[]> eventMeters = new ConcurrentHashMap<>();
  private final Map<String, ClassifierMeters> classifierOk = new ConcurrentHashMap<>();
  private volatile Counter inputRecords;

  private SafetyMetrics() {
    Gauge.builder("llm.safety.variants.tracked", variantsTracked, AtomicLong::get)
        .description("Model variants with live per-variant state in this JVM")
        .register(registry);
    // Known up front, so rate() and alert rules see a zero series before the first bad record.
    for (RejectReason reason : RejectReason.values()) {
      deadLetter(reason.code(), 0);
    }
  }

  public static SafetyMetrics get() {
    SafetyMetrics local = instance;
    if (local == null) {
      synchronized (SafetyMetrics.class) {
        if (instance == null) {
          instance = new SafetyMetrics();
        }
        local = instance;
      }
    }
    return local;
  }

  /** Sets the label bound; call before traffic flows (the first call per JVM wins in practice). */
  public void configureLabels(int maxVariantLabels, Set<String> allowlist) {
    this.labeler = new VariantLabeler(maxVariantLabels, allowlist);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public String scrape() {
    return registry.scrape();
  }

  public String variantLabel(String variantId) {
    return labeler.label(variantId);
  }

  public void event(String variantId, boolean risky, boolean refused, boolean harmful, double harmScore) {
    String variant = labeler.label(variantId);
    SegmentMeters m = segmentMeters(variant, risky);
    m.events.increment();
    // Incremented by zero too, so every variant has all three series and ratios are never absent.
    m.refusals.increment(refused ? 1 : 0);
    m.harmful.increment(harmful ? 1 : 0);
    if (!Double.isNaN(harmScore)) {
      DistributionSummary harm = m.harm;
      if (harm == null) {
        harm = harmSummary(variant, m.segment);
        m.harm = harm;
      }
      harm.record(harmScore);
    }
  }

  /**
   * A variant's per-event meters, looked up by label alone: this runs for every event, and building
   * the registry keys each time cost more than the increments.
   */
  private SegmentMeters segmentMeters(String variant, boolean risky) {
    SegmentMeters[] bySegment = eventMeters.get(variant);
    if (bySegment == null) {
      bySegment = eventMeters.computeIfAbsent(variant, v -> new SegmentMeters[2]);
    }
    int slot = risky ? 1 : 0;
    SegmentMeters m = bySegment[slot];
    if (m == null) {
      // A race only builds the same registry meters twice (counter() returns the registered ones).
      String segment = risky ? "risky" : "benign";
      m = new SegmentMeters(segment,
          counter("llm.safety.events", "Scored events", "model_variant", variant, "segment", segment),
          counter("llm.safety.refusals", "Responses scored as refusals", "model_variant", variant, "segment", segment),
          counter("llm.safety.harmful.responses", "Responses scored as harmful", "model_variant", variant,
              "segment", segment));
      bySegment[slot] = m;
    }
    return m;
  }

  private static final class SegmentMeters {
    final String segment;
    final Counter events;
    final Counter refusals;
    final Counter harmful;
    /** Registered at the first score, as before: NaN scores alone make no series. */
    volatile DistributionSummary harm;

    SegmentMeters(String segment, Counter events, Counter refusals, Counter harmful) {
      this.segment = segment;
      this.events = events;
      this.refusals = refusals;
      this.harmful = harmful;
    }
  }

  /** One raw input record read, before parsing: the pipeline's "events in" (scored + dead-lettered = out). */
  public void inputRecord() {
    Counter c = inputRecords;
    if (c == null) {
      c = counter("llm.safety.input.records", "Raw input records read, before parsing");
      inputRecords = c;
    }
    c.increment();
  }

  public void deadLetter(String reason) {
    deadLetter(reason, 1);
  }

  private void deadLetter(String reason, int count) {
    counter("llm.safety.dead.letters", "Input records rejected to the dead-letter output", "reason", reason).increment(count);
  }

  /** Spans of an OTLP trace export that were not model calls (embeddings, tools, HTTP, ...). */
  public void otlpSpansSkipped(int count) {
    if (count > 0) {
      counter("llm.safety.otlp.spans.skipped", "Spans of OTLP trace exports that are not model calls, so not events",
          "reason", "not_a_model_call").increment(count);
    }
  }

  public void lateEvent(String variantId) {
    counter("llm.safety.late.events", "Events that arrived behind the watermark (dead-lettered as late)",
        "model_variant", labeler.label(variantId)).increment();
  }

  public void duplicateEvent(String variantId) {
    counter("llm.safety.duplicate.events", "Events dropped as duplicates by event_id within the dedup horizon",
        "model_variant", labeler.label(variantId)).increment();
  }

  /** Harmful or refused events withheld from the trigger miners because their prompt was already fed as one. */
  public void backdoorRepeatedPromptsSkipped(String variantId, long count) {
    if (count <= 0) {
      return;
    }
    counter("llm.safety.backdoor.repeated.prompts.skipped",
        "Harmful events, and refusals of benign prompts, not fed to the trigger miners because their prompt was already fed as either",
        "model_variant", labeler.label(variantId)).increment(count);
  }

  public void alert(String variantId, String kind, String severity, boolean firing) {
    String variant = labeler.label(variantId);
    counter("llm.safety.alerts", "Alert transitions emitted", "model_variant", variant, "kind", kind, "severity", severity,
        "status", firing ? "firing" : "resolved").increment();
    gauge("llm.safety.alert.active", "1 while an alert of this kind is firing for the variant",
        Tags.of("model_variant", variant, "kind", kind, "severity", severity)).set(firing ? 1 : 0);
  }

  /** 1 while a kind has crossed its threshold but waits out {@code alerts.pending_for}; 0 otherwise. */
  public void alertPending(String variantId, String kind, String severity, boolean pending) {
    gauge("llm.safety.alert.pending", "1 while an alert of this kind is pending (crossed, not yet confirmed) for the variant",
        Tags.of("model_variant", labeler.label(variantId), "kind", kind, "severity", severity)).set(pending ? 1 : 0);
  }

  /** A still-firing alert sent again after {@code alerts.renotify_interval}. */
  public void alertRenotified(String variantId, String kind, String severity) {
    counter("llm.safety.alert.renotifications", "Re-sends of still-firing alerts", "model_variant", labeler.label(variantId),
        "kind", kind, "severity", severity).increment();
  }

  public void windowRates(String variantId, String segment, double refusalRate, double harmfulRate) {
    String variant = labeler.label(variantId);
    Tags tags = Tags.of("model_variant", variant, "segment", segment);
    if (!Double.isNaN(refusalRate)) {
      gauge("llm.safety.refusal.rate", "Refusal rate in the last closed event-time window", tags).set(refusalRate);
    }
    if (!Double.isNaN(harmfulRate)) {
      gauge("llm.safety.harmful.rate", "Harmful-response rate in the last closed event-time window", tags).set(harmfulRate);
    }
  }

  public void driftStatistic(String variantId, String statistic, double value, double threshold) {
    Tags tags = Tags.of("model_variant", labeler.label(variantId), "statistic", statistic);
    gauge("llm.safety.drift.statistic", "Current value of a sequential drift statistic", tags).set(value);
    gauge("llm.safety.drift.threshold", "Alarm threshold of a sequential drift statistic", tags).set(threshold);
  }

  /**
   * The reference-window rates the detectors compare with, so dashboards can plot window rates
   * against them. NaN (baseline not yet complete) leaves the gauge unset.
   */
  /** Reference-window rates of one prompt segment; NaN (not yet armed) leaves the gauge unset. */
  public void baselineRates(String variantId, String segment, double refusalRate, double harmfulRate) {
    String variant = labeler.label(variantId);
    Tags tags = Tags.of("model_variant", variant, "segment", segment);
    if (!Double.isNaN(refusalRate)) {
      gauge("llm.safety.baseline.refusal.rate", "Refusal rate in the variant's reference window", tags).set(refusalRate);
    }
    if (!Double.isNaN(harmfulRate)) {
      gauge("llm.safety.baseline.harmful.rate", "Harmful-response rate in the variant's reference window", tags)
          .set(harmfulRate);
    }
  }

  public void classifierRequest(String classifier, String outcome, long nanos) {
    if ("ok".equals(outcome)) {
      // The per-event path (three scorers per event): one map lookup instead of building keys.
      ClassifierMeters m = classifierOk.get(classifier);
      if (m == null) {
        classifierRequestSlow(classifier, outcome, nanos);
        classifierOk.putIfAbsent(classifier, new ClassifierMeters(
            counter("llm.safety.classifier.requests", "Scoring requests by classifier and outcome",
                "classifier", classifier, "outcome", "ok"),
            (Timer) meters.get("timer|" + classifier)));
        return;
      }
      m.requests.increment();
      m.latency.record(nanos, TimeUnit.NANOSECONDS);
      return;
    }
    classifierRequestSlow(classifier, outcome, nanos);
  }

  private record ClassifierMeters(Counter requests, Timer latency) {}

  private void classifierRequestSlow(String classifier, String outcome, long nanos) {
    if (!meters.containsKey("timer|" + classifier)) {
      // Both outcomes exist from the first request, so error rates read 0 rather than "no data".
      for (String o : new String[] {"ok", "error"}) {
        counter("llm.safety.classifier.requests", "Scoring requests by classifier and outcome", "classifier", classifier,
            "outcome", o);
      }
    }
    counter("llm.safety.classifier.requests", "Scoring requests by classifier and outcome",
        "classifier", classifier, "outcome", outcome).increment();
    Timer timer = (Timer) meters.computeIfAbsent("timer|" + classifier, k -> Timer.builder("llm.safety.classifier.latency")
        .description("Scoring latency per classifier")
        .tags("classifier", classifier)
        .publishPercentileHistogram()
        .minimumExpectedValue(java.time.Duration.ofNanos(1_000))
        .maximumExpectedValue(java.time.Duration.ofSeconds(10))
        .register(registry));
    timer.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Creates a classifier's outcome series at zero, so rates and alert rules see them before the first one happens. */
  public void registerClassifier(String classifier, java.util.Collection<String> outcomes) {
    for (String o : outcomes) {
      counter("llm.safety.classifier.requests", "Scoring requests by classifier and outcome", "classifier", classifier,
          "outcome", o);
    }
  }

  /** Distinct judge category labels kept before the rest count as {@code _other}: names come from the server. */
  static final int MAX_JUDGE_CATEGORIES = 32;
  private final java.util.Map<String, java.util.Set<String>> judgeCategories = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * One category a remote judge named for a judged event (OpenAI moderation category names, Llama
   * Guard {@code S1}..{@code S14}). Label values are bounded: names that are not short identifiers,
   * and any beyond the first {@link #MAX_JUDGE_CATEGORIES} per classifier, count as {@code _other}.
   */
  public void judgeCategory(String classifier, String category) {
    String label = category != null && category.matches("[A-Za-z0-9/_.-]{1,48}") ? category : "_other";
    java.util.Set<String> known = judgeCategories.computeIfAbsent(classifier, c -> java.util.concurrent.ConcurrentHashMap.newKeySet());
    if (!known.contains(label)) {
      if (known.size() >= MAX_JUDGE_CATEGORIES) {
        label = "_other";
      } else {
        known.add(label);
      }
    }
    counter("llm.safety.judge.categories", "Categories the remote judge named in its verdicts, per judged event",
        "classifier", classifier, "category", label).increment();
  }

  /**
   * Category names a remote judge gave that were not passed on to events and alerts: {@code malformed}
   * (not a short code, e.g. prose or markup) or {@code over_limit} (beyond the per-event cap).
   */
  public void judgeCategoryRejected(String classifier, String reason, int count) {
    counter("llm.safety.judge.categories.rejected", "Judge category names not passed on to events and alerts, by reason",
        "classifier", classifier, "reason", reason).increment(count);
  }

  /** A remote classifier attempt that failed and is retried; {@code reason} is the attempt's outcome. */
  public void classifierRetry(String classifier, String reason) {
    counter("llm.safety.classifier.retries", "Remote classifier attempts retried, by the failed attempt's outcome",
        "classifier", classifier, "reason", reason).increment();
  }

  /**
   * One push of an alert to Alertmanager.
   *
   * @param outcome {@code sent}, {@code retried} (an attempt failed and will be retried),
   *     {@code rejected} (Alertmanager answered 4xx: not retried) or {@code failed} (gave up)
   */
  public void alertmanagerPush(String outcome) {
    counter("llm.safety.alertmanager.pushes", "Alert pushes to Alertmanager by outcome", "outcome", outcome).increment();
  }

  public void variantTracked(int delta) {
    variantsTracked.addAndGet(delta);
  }

  private Counter counter(String name, String description, String... tags) {
    String key = name + '|' + String.join("|", tags);
    Object meter = meters.get(key);
    if (meter == null) {
      meter = meters.computeIfAbsent(key, k -> Counter.builder(name).description(description).tags(tags).register(registry));
    }
    return (Counter) meter;
  }

  private DistributionSummary harmSummary(String variant, String segment) {
    String key = "harm|" + variant + '|' + segment;
    return (DistributionSummary) meters.computeIfAbsent(key, k -> DistributionSummary.builder("llm.safety.harm.score")
        .description("Harm score of each response")
        .tags("model_variant", variant, "segment", segment)
        .serviceLevelObjectives(HARM_BUCKETS)
        .register(registry));
  }

  private GaugeValue gauge(String name, String description, Tags tags) {
    String key = name + '|' + tags;
    return gauges.computeIfAbsent(key, k -> {
      GaugeValue value = new GaugeValue();
      Gauge.builder(name, value, GaugeValue::get).description(description).tags(tags).register(registry);
      return value;
    });
  }

  private static final class GaugeValue {
    private volatile double value = Double.NaN;

    double get() {
      return value;
    }

    void set(double v) {
      value = v;
    }
  }
}
