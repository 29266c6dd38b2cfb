package io.llmsafety.monitor.alerts;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One alert on {@code llm.safety.alerts} (DESIGN.md section 4). Field names map to the contract's
 * snake_case names in {@link AlertJson}. Optional fields may be null and are then omitted.
 *
 * @param detectedAt RFC 3339 event time of the event that tripped (or cleared) it
 * @param renotify optional extension: true on a re-send of a still-firing alert (same alert_id and
 *     fingerprint as its first firing record, current statistic); absent otherwise
 * @param notificationCount optional extension: how many records this episode has sent, this one
 *     included; absent on the first firing record
 * @param notifiedAt optional extension: RFC 3339 event time at which this record was sent, when that
 *     is later than {@code detectedAt} (a re-notification, or a firing confirmed after
 *     {@code alerts.pending_for})
 */
public record Alert(
    String alertId,
    String fingerprint,
    String status,
    String severity,
    String kind,
    String variantId,
    String baseModel,
    String detectedAt,
    Observed observed,
    Baseline baseline,
    Statistic statistic,
    Evidence evidence,
    String summary,
    String runbookUrl,
    Boolean renotify,
    Integer notificationCount,
    String notifiedAt) {

  /** An alert without the optional lifecycle fields. */
  public Alert(String alertId, String fingerprint, String status, String severity, String kind, String variantId,
      String baseModel, String detectedAt, Observed observed, Baseline baseline, Statistic statistic, Evidence evidence,
      String summary, String runbookUrl) {
    this(alertId, fingerprint, status, severity, kind, variantId, baseModel, detectedAt, observed, baseline, statistic,
        evidence, summary, runbookUrl, null, null, null);
  }

  public static final String FIRING = "firing";
  public static final String RESOLVED = "resolved";

  /** @param rate observed rate over the {@code n} events the statistic has seen since the baseline */
  public record Observed(double rate, long n) {}

  /** @param source {@code reference_window}, {@code base_model} or {@code config} */
  public record Baseline(double rate, long n, String source) {}

  /**
   * @param arl0 optional extension: mean number of events between false alarms that {@code threshold}
   *     stands for on stationary traffic
   */
  public record Statistic(String name, double value, double threshold, Double arl0) {}

  /**
   * Optional extension of {@code evidence}: one harmful response repeated near-identically across
   * distinct prompts (a backdoor payload). Only its SimHash, never its text.
   */
  public record RepeatedPayload(long count, int distinctPrompts, String payloadHash) {}

  /**
   * Optional extension of {@code evidence}: a category code the remote judge gave (OpenAI moderation
   * name or Llama Guard {@code S1}..{@code S14}) and how many of the episode's evidence events got it.
   */
  public record JudgeCategory(String category, long count) {}

  /**
   * Optional extension of {@code evidence}, rate-test alerts only: one tenant's share of the events
   * the statistic has seen since it last left zero ({@code observed.n}), and how many of them were
   * what the test counts (refused, harmful, or answered for {@code refusal_drop}). A rise that comes
   * from one tenant's events is a change in traffic mix as much as in the model. {@code tenant} is
   * absent for events without one, {@code "(others)"} past the first 16 tenants of the run.
   */
  public record Tenant(String tenant, long events, long positives) {}

  /** A prompt n-gram whose presence raises the harmful-answer rate. */
  public record TriggerCandidate(String ngram, double lift, long support, double pValue) {}

  /**
   * @param texts optional extension, only with {@code evidence.include_text}: prompt/response text of
   *     the listed events
   * @param judgeCategories optional extension, only with {@code scoring.judge}: the judge's category
   *     codes over the episode's evidence events, most frequent first, at most five
   * @param tenants optional extension, rate-test firings only: the run's events by tenant, most
   *     positives first, at most 5 ({@link Tenant})
   * @param effect optional extension, {@code backdoor_suspected} only: what the suspected trigger
   *     does, {@link #EFFECT_HARMFUL} (harmful answers, or a repeated harmful payload) or
   *     {@link #EFFECT_REFUSAL} (refusals of benign prompts)
   */
  public record Evidence(String[] eventIds, TriggerCandidate[] triggerCandidates, String[] texts,
      RepeatedPayload repeatedPayload, JudgeCategory[] judgeCategories, String effect, Tenant[] tenants) {

    public static final String EFFECT_HARMFUL = "harmful";
    public static final String EFFECT_REFUSAL = "refusal";

    public Evidence(String[] eventIds, TriggerCandidate[] triggerCandidates, String[] texts,
        RepeatedPayload repeatedPayload, JudgeCategory[] judgeCategories, String effect) {
      this(eventIds, triggerCandidates, texts, repeatedPayload, judgeCategories, effect, null);
    }

    public Evidence(String[] eventIds, TriggerCandidate[] triggerCandidates, String[] texts,
        RepeatedPayload repeatedPayload, JudgeCategory[] judgeCategories) {
      this(eventIds, triggerCandidates, texts, repeatedPayload, judgeCategories, null);
    }

    public Evidence(String[] eventIds, TriggerCandidate[] triggerCandidates, String[] texts) {
      this(eventIds, triggerCandidates, texts, null, null);
    }

    public Evidence(String[] eventIds, TriggerCandidate[] triggerCandidates, String[] texts,
        RepeatedPayload repeatedPayload) {
      this(eventIds, triggerCandidates, texts, repeatedPayload, null);
    }

    public List<String> eventIdList() {
      return eventIds == null ? List.of() : Arrays.asList(eventIds);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Evidence e
          && Arrays.equals(eventIds, e.eventIds)
          && Arrays.equals(triggerCandidates, e.triggerCandidates)
          && Arrays.equals(texts, e.texts)
          && Objects.equals(repeatedPayload, e.repeatedPayload)
          && Arrays.equals(judgeCategories, e.judgeCategories)
          && Objects.equals(effect, e.effect)
          && Arrays.equals(tenants, e.tenants);
    }

    @Override
    public int hashCode() {
      return Objects.hash(Arrays.hashCode(eventIds), Arrays.hashCode(triggerCandidates), Arrays.hashCode(texts),
          repeatedPayload, Arrays.hashCode(judgeCategories), effect, Arrays.hashCode(tenants));
    }

    @Override
    public String toString() {
      return "Evidence" + Arrays.asList(eventIds) + Arrays.asList(triggerCandidates == null ? new Object[0] : triggerCandidates);
    }
  }
}
