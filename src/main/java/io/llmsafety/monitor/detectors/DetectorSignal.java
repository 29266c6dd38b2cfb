package io.llmsafety.monitor.detectors;

import java.util.List;

/**
 * A detector's state change for one variant: an episode starts ({@code firing}) or ends. Carries
 * the numbers an alert reader needs to judge it; the alerts package turns it into the contract.
 *
 * @param eventTime event time of the event (or watermark) that caused the change
 * @param arl0 mean events between false alarms that {@code threshold} stands for, NaN if not known
 * @param evidenceEventIds ids of recent events that pushed the statistic, newest last
 * @param evidenceTexts prompt/response excerpts of those events; empty unless text evidence is on
 * @param repeatedPayload a harmful payload repeated across distinct prompts (backdoor evidence), or null
 * @param judgeCategories the remote judge's category codes over the episode's evidence events, most
 *     frequent first (at most 5, see {@code EpisodeJudgeCategories}); empty without a judge or for other kinds
 * @param tenants the run's events and positives by tenant, most positives first (at most 5); empty
 *     for detectors other than the rate tests
 */
public record DetectorSignal(
    String kind,
    String severity,
    boolean firing,
    long eventTime,
    double observedRate,
    long observedN,
    double baselineRate,
    long baselineN,
    String baselineSource,
    String statisticName,
    double statisticValue,
    double threshold,
    double arl0,
    List<String> evidenceEventIds,
    List<String> evidenceTexts,
    List<TriggerCandidateView> triggerCandidates,
    String summary,
    RepeatedPayloadView repeatedPayload,
    List<JudgeCategoryCount> judgeCategories,
    List<TenantShare> tenants) {

  public DetectorSignal {
    evidenceEventIds = List.copyOf(evidenceEventIds);
    evidenceTexts = List.copyOf(evidenceTexts);
    triggerCandidates = List.copyOf(triggerCandidates);
    judgeCategories = judgeCategories == null ? List.of() : List.copyOf(judgeCategories);
    tenants = tenants == null ? List.of() : List.copyOf(tenants);
  }

  /** A signal without a tenant breakdown. */
  public DetectorSignal(String kind, String severity, boolean firing, long eventTime, double observedRate,
      long observedN, double baselineRate, long baselineN, String baselineSource, String statisticName,
      double statisticValue, double threshold, double arl0, List<String> evidenceEventIds, List<String> evidenceTexts,
      List<TriggerCandidateView> triggerCandidates, String summary, RepeatedPayloadView repeatedPayload,
      List<JudgeCategoryCount> judgeCategories) {
    this(kind, severity, firing, eventTime, observedRate, observedN, baselineRate, baselineN, baselineSource,
        statisticName, statisticValue, threshold, arl0, evidenceEventIds, evidenceTexts, triggerCandidates, summary,
        repeatedPayload, judgeCategories, List.of());
  }

  /** A signal without judge categories. */
  public DetectorSignal(String kind, String severity, boolean firing, long eventTime, double observedRate,
      long observedN, double baselineRate, long baselineN, String baselineSource, String statisticName,
      double statisticValue, double threshold, double arl0, List<String> evidenceEventIds, List<String> evidenceTexts,
      List<TriggerCandidateView> triggerCandidates, String summary, RepeatedPayloadView repeatedPayload) {
    this(kind, severity, firing, eventTime, observedRate, observedN, baselineRate, baselineN, baselineSource,
        statisticName, statisticValue, threshold, arl0, evidenceEventIds, evidenceTexts, triggerCandidates, summary,
        repeatedPayload, List.of());
  }

  /** A signal without repeated-payload evidence. */
  public DetectorSignal(String kind, String severity, boolean firing, long eventTime, double observedRate,
      long observedN, double baselineRate, long baselineN, String baselineSource, String statisticName,
      double statisticValue, double threshold, double arl0, List<String> evidenceEventIds, List<String> evidenceTexts,
      List<TriggerCandidateView> triggerCandidates, String summary) {
    this(kind, severity, firing, eventTime, observedRate, observedN, baselineRate, baselineN, baselineSource,
        statisticName, statisticValue, threshold, arl0, evidenceEventIds, evidenceTexts, triggerCandidates, summary, null,
        List.of());
  }

  /** This signal with {@code categories} as its judge categories. */
  public DetectorSignal withJudgeCategories(List<JudgeCategoryCount> categories) {
    return new DetectorSignal(kind, severity, firing, eventTime, observedRate, observedN, baselineRate, baselineN,
        baselineSource, statisticName, statisticValue, threshold, arl0, evidenceEventIds, evidenceTexts,
        triggerCandidates, summary, repeatedPayload, categories, tenants);
  }

  /** This signal dated {@code time}, everything else kept. */
  public DetectorSignal withEventTime(long time) {
    return time == eventTime ? this : new DetectorSignal(kind, severity, firing, time, observedRate, observedN,
        baselineRate, baselineN, baselineSource, statisticName, statisticValue, threshold, arl0, evidenceEventIds,
        evidenceTexts, triggerCandidates, summary, repeatedPayload, judgeCategories, tenants);
  }

  /**
   * @param count harmful responses with this payload
   * @param distinctPrompts hash-distinct prompts that got it (counted up to the alarm threshold)
   * @param payloadHash its 64-bit SimHash, hex; never the text
   */
  public record RepeatedPayloadView(long count, int distinctPrompts, String payloadHash) {}

  /**
   * One tenant's share of a rate test's run: events of the run from it, and how many of them were
   * positive (refused, harmful or complied, as the test counts). {@code tenant} is null for events
   * without one.
   */
  public record TenantShare(String tenant, long events, long positives) {}

  /** A judge category code and how many of the episode's evidence events the judge gave it. */
  public record JudgeCategoryCount(String category, long count) {}

  /** A ranked trigger candidate as reported in evidence. */
  public record TriggerCandidateView(String ngram, double lift, long support, double pValue) {}
}
