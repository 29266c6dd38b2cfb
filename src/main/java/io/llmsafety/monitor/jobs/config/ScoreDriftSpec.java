package io.llmsafety.monitor.jobs.config;

import java.io.Serializable;
import java.util.Objects;

/**
 * Harm-score distribution drift ({@code score_drift}) on answered benign prompts.
 *
 * @param referenceEvents scores in the reference: the first half sets the quantile bins, the second is counted
 * @param windowEvents scores per tested window
 * @param bins quantile bins of the reference
 */
public record ScoreDriftSpec(boolean enabled, int referenceEvents, int windowEvents, int bins, Severity severity)
    implements Serializable {

  public ScoreDriftSpec {
    Objects.requireNonNull(severity, "severity");
  }
}
