package io.llmsafety.monitor.jobs.config;

import java.io.Serializable;
import java.util.Objects;

/**
 * @param runbookBaseUrl alerts link to {@code runbookBaseUrl#<kind>}
 * @param includeText opt-in for raw prompt/response text in alert evidence (DESIGN.md section 4)
 * @param maxEvidenceEvents cap on event ids listed as evidence in one alert
 */
public record AlertsSpec(String runbookBaseUrl, boolean includeText, int maxEvidenceEvents) implements Serializable {

  public AlertsSpec {
    Objects.requireNonNull(runbookBaseUrl, "runbookBaseUrl");
  }
}
