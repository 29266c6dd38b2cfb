package io.llmsafety.monitor.jobs.config;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * @param runbookBaseUrl alerts link to {@code runbookBaseUrl#<kind>}
 * @param includeText opt-in for raw prompt/response text in alert evidence (DESIGN.md section 4)
 * @param maxEvidenceEvents cap on event ids listed as evidence in one alert
 * @param pendingFor event time a statistic must stay over its threshold before the alert fires
 *     (Prometheus' {@code for}); zero fires at once
 * @param renotifyInterval event time between re-sends of a still-firing alert; zero sends it once
 */
public record AlertsSpec(String runbookBaseUrl, boolean includeText, int maxEvidenceEvents, Duration pendingFor,
    Duration renotifyInterval) implements Serializable {

  public AlertsSpec {
    Objects.requireNonNull(runbookBaseUrl, "runbookBaseUrl");
    Objects.requireNonNull(pendingFor, "pendingFor");
    Objects.requireNonNull(renotifyInterval, "renotifyInterval");
  }
}
