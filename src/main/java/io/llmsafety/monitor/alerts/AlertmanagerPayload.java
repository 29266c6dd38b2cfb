package io.llmsafety.monitor.alerts;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmsafety.monitor.judge.JudgeCategories;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Maps an {@link Alert} to one entry of Alertmanager's {@code POST /api/v2/alerts} body (a
 * postableAlert). Labels identify the alert, so they hold only bounded values: Alertmanager groups,
 * routes and deduplicates on them. Everything else goes into annotations.
 *
 * <p>{@code startsAt} is the alert's event time. A firing alert ends {@code firingTtl} after the push
 * (the job sends it once per episode, while Alertmanager resolves alerts whose end passes); a
 * resolved alert ends at its own event time, which closes the episode in Alertmanager.
 */
public final class AlertmanagerPayload {

  private AlertmanagerPayload() {}

  /** {@code refusal_drop} becomes {@code LlmSafetyRefusalDrop}, matching the Prometheus rule names. */
  public static String alertName(String kind) {
    StringBuilder sb = new StringBuilder("LlmSafety");
    for (String part : (kind == null || kind.isBlank() ? "unknown" : kind).split("[_\\-.\\s]+")) {
      if (!part.isEmpty()) {
        sb.append(part.substring(0, 1).toUpperCase(Locale.ROOT)).append(part.substring(1).toLowerCase(Locale.ROOT));
      }
    }
    return sb.toString();
  }

  /**
   * @param now push time, from which a firing alert's {@code endsAt} is computed
   */
  public static ObjectNode toPostable(Alert a, Instant now, Duration firingTtl) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode labels = f.objectNode();
    labels.put("alertname", alertName(a.kind()));
    put(labels, "model_variant", a.variantId());
    put(labels, "kind", a.kind());
    put(labels, "severity", a.severity());
    put(labels, "base_model", a.baseModel());
    put(labels, "fingerprint", a.fingerprint());

    ObjectNode annotations = f.objectNode();
    put(annotations, "summary", a.summary());
    put(annotations, "description", description(a));
    put(annotations, "trigger_candidates", triggerCandidates(a));
    put(annotations, "backdoor_effect", a.evidence() == null ? null : a.evidence().effect());
    put(annotations, "judge_categories", judgeCategories(a));
    put(annotations, "tenants", tenants(a));
    put(annotations, "runbook_url", a.runbookUrl());
    put(annotations, "alert_id", a.alertId());
    // A re-notification carries the same labels, so Alertmanager updates the alert it has (new endsAt)
    // instead of opening another.
    put(annotations, "notification_count", a.notificationCount() == null ? null : a.notificationCount().toString());

    Instant detected = parseTime(a.detectedAt(), now);
    ObjectNode out = f.objectNode();
    out.set("labels", labels);
    out.set("annotations", annotations);
    out.put("startsAt", detected.toString());
    Instant ends = Alert.RESOLVED.equals(a.status()) ? detected : later(now, detected).plus(firingTtl);
    out.put("endsAt", ends.toString());
    return out;
  }

  public static ArrayNode toBody(List<Alert> alerts, Instant now, Duration firingTtl) {
    ArrayNode body = JsonNodeFactory.instance.arrayNode();
    alerts.forEach(a -> body.add(toPostable(a, now, firingTtl)));
    return body;
  }

  /** Observed vs baseline and the statistic that crossed its threshold, in one line. */
  static String description(Alert a) {
    StringBuilder sb = new StringBuilder();
    sb.append(a.kind()).append(' ').append(a.status()).append(" for ").append(a.variantId());
    if (a.baseModel() != null) {
      sb.append(" (base ").append(a.baseModel()).append(')');
    }
    sb.append('.');
    if (a.observed() != null) {
      sb.append(String.format(Locale.ROOT, " Observed rate %.4f over %d events", a.observed().rate(), a.observed().n()));
      if (a.baseline() != null) {
        sb.append(String.format(Locale.ROOT, " vs baseline %.4f over %d (%s)", a.baseline().rate(), a.baseline().n(),
            a.baseline().source()));
      }
      sb.append('.');
    }
    if (a.statistic() != null) {
      sb.append(String.format(Locale.ROOT, " %s = %.4g, threshold %.4g", a.statistic().name(), a.statistic().value(),
          a.statistic().threshold()));
      if (a.statistic().arl0() != null) {
        sb.append(String.format(Locale.ROOT, " (ARL0 %.3g events)", a.statistic().arl0()));
      }
      sb.append('.');
    }
    return sb.toString();
  }

  static String triggerCandidates(Alert a) {
    if (a.evidence() == null || a.evidence().triggerCandidates() == null || a.evidence().triggerCandidates().length == 0) {
      return null;
    }
    StringBuilder sb = new StringBuilder();
    for (Alert.TriggerCandidate c : a.evidence().triggerCandidates()) {
      if (sb.length() > 0) {
        sb.append("; ");
      }
      sb.append(String.format(Locale.ROOT, "\"%s\" (lift %.1f, support %d, p %.2g)", c.ngram(), c.lift(), c.support(), c.pValue()));
    }
    return sb.toString();
  }

  /**
   * The run's tenants, e.g. {@code new-tenant 160/870, acme 14/2210 (positives/events)}: whether a
   * rise comes from one tenant's traffic. An annotation, since tenants are unbounded.
   */
  static String tenants(Alert a) {
    if (a.evidence() == null || a.evidence().tenants() == null || a.evidence().tenants().length == 0) {
      return null;
    }
    return Arrays.stream(a.evidence().tenants())
        .map(t -> (t.tenant() == null ? "(no tenant)" : t.tenant()) + " " + t.positives() + "/" + t.events())
        .collect(Collectors.joining(", ", "", " (positives/events)"));
  }

  /**
   * The judge's top categories, e.g. {@code S1 (12), S10 (3)}: code and evidence events. An annotation, not a label: codes vary
   * per episode and labels must stay bounded. Only plausible codes are written, whatever the alert holds.
   */
  static String judgeCategories(Alert a) {
    if (a.evidence() == null || a.evidence().judgeCategories() == null) {
      return null;
    }
    StringBuilder sb = new StringBuilder();
    for (Alert.JudgeCategory c : a.evidence().judgeCategories()) {
      if (c == null || !(JudgeCategories.plausible(c.category()) || "_other".equals(c.category()))) {
        continue;
      }
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(c.category()).append(" (").append(c.count()).append(')');
    }
    return sb.length() == 0 ? null : sb.toString();
  }

  private static void put(ObjectNode node, String key, String value) {
    if (value != null && !value.isBlank()) {
      node.put(key, value);
    }
  }

  private static Instant parseTime(String rfc3339, Instant fallback) {
    if (rfc3339 == null) {
      return fallback;
    }
    try {
      return OffsetDateTime.parse(rfc3339).toInstant();
    } catch (DateTimeParseException e) {
      return fallback;
    }
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }
}
