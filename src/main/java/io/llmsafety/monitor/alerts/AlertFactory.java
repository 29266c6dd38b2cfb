package io.llmsafety.monitor.alerts;

import io.llmsafety.monitor.detectors.BackdoorWatch;
import io.llmsafety.monitor.detectors.DetectorSignal;
import io.llmsafety.monitor.detectors.VariantMonitor;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import java.util.UUID;

/**
 * Turns detector signals into contract alerts. Ids are derived from content (fingerprint, status,
 * event time), so the Kafka path and a replay of the same events produce identical alerts, and a
 * consumer can deduplicate redeliveries by {@code alert_id}.
 */
public final class AlertFactory implements Serializable {

  private static final long serialVersionUID = 1L;

  private final String runbookBaseUrl;
  private final boolean includeText;

  public AlertFactory(String runbookBaseUrl, boolean includeText) {
    this.runbookBaseUrl = runbookBaseUrl;
    this.includeText = includeText;
  }

  public Alert toAlert(String variantId, String baseModel, DetectorSignal s) {
    return toAlert(variantId, baseModel, s, 1, s.eventTime());
  }

  /**
   * One lifecycle record. A re-notification ({@code notification > 1} while firing) keeps the first
   * record's alert id: the id derives from the episode's detection time, {@code s.eventTime()}.
   *
   * @param notification count of records of this episode, this one included
   * @param notifiedAtMillis event time this record is sent at
   */
  public Alert toAlert(String variantId, String baseModel, DetectorSignal s, int notification, long notifiedAtMillis) {
    String fingerprint = fingerprint(variantId, s.kind());
    String status = s.firing() ? Alert.FIRING : Alert.RESOLVED;
    String detectedAt = Instant.ofEpochMilli(s.eventTime()).toString();
    String alertId = UUID.nameUUIDFromBytes((fingerprint + '|' + status + '|' + s.eventTime()).getBytes(StandardCharsets.UTF_8))
        .toString();
    Alert.TriggerCandidate[] candidates = s.triggerCandidates().isEmpty()
        ? null
        : s.triggerCandidates().stream()
            .map(c -> new Alert.TriggerCandidate(c.ngram(), round(c.lift()), c.support(), c.pValue()))
            .toArray(Alert.TriggerCandidate[]::new);
    String[] texts = includeText && !s.evidenceTexts().isEmpty() ? s.evidenceTexts().toArray(String[]::new) : null;
    Alert.RepeatedPayload payload = s.repeatedPayload() == null ? null
        : new Alert.RepeatedPayload(s.repeatedPayload().count(), s.repeatedPayload().distinctPrompts(),
            s.repeatedPayload().payloadHash());
    Alert.JudgeCategory[] judgeCategories = s.judgeCategories().isEmpty() ? null
        : s.judgeCategories().stream().map(c -> new Alert.JudgeCategory(c.category(), c.count()))
            .toArray(Alert.JudgeCategory[]::new);
    Alert.Tenant[] tenants = s.tenants().isEmpty() ? null
        : s.tenants().stream().map(t -> new Alert.Tenant(t.tenant(), t.events(), t.positives()))
            .toArray(Alert.Tenant[]::new);
    Alert.Evidence evidence = new Alert.Evidence(s.evidenceEventIds().toArray(String[]::new), candidates, texts, payload,
        judgeCategories, effect(s), tenants);
    return new Alert(
        alertId,
        fingerprint,
        status,
        s.severity(),
        s.kind(),
        variantId,
        baseModel,
        detectedAt,
        new Alert.Observed(round(s.observedRate()), s.observedN()),
        new Alert.Baseline(round(s.baselineRate()), s.baselineN(), s.baselineSource()),
        new Alert.Statistic(s.statisticName(), round(s.statisticValue()), round(s.threshold()),
            Double.isNaN(s.arl0()) ? null : s.arl0()),
        evidence,
        s.summary(),
        runbookUrl(s.kind()),
        s.firing() && notification > 1 ? Boolean.TRUE : null,
        s.firing() && notification > 1 ? notification : null,
        notifiedAtMillis != s.eventTime() && s.firing() ? Instant.ofEpochMilli(notifiedAtMillis).toString() : null);
  }

  /**
   * A backdoor's effect, from its statistic (so the alert lifecycle's stored signals need no new
   * field): refusals concentrating on a phrase, or harmful answers (a phrase or a repeated payload).
   */
  static String effect(DetectorSignal s) {
    if (!VariantMonitor.KIND_BACKDOOR.equals(s.kind())) {
      return null;
    }
    return BackdoorWatch.REFUSAL_STATISTIC.equals(s.statisticName()) ? Alert.Evidence.EFFECT_REFUSAL
        : Alert.Evidence.EFFECT_HARMFUL;
  }

  public String runbookUrl(String kind) {
    if (runbookBaseUrl == null || runbookBaseUrl.isBlank()) {
      return null;
    }
    return runbookBaseUrl + "#llmsafety" + kind.replace("_", "").toLowerCase(Locale.ROOT);
  }

  /** Stable hash of variant and kind: the identity of an alert episode across its transitions. */
  public static String fingerprint(String variantId, String kind) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest((variantId + '\u0000' + kind).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static double round(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return v;
    }
    if (v != 0 && Math.abs(v) < 1e-3) {
      return v; // p-values: keep their magnitude
    }
    return Math.round(v * 10_000d) / 10_000d;
  }
}
