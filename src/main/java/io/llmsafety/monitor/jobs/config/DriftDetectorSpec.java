package io.llmsafety.monitor.jobs.config;

import java.io.Serializable;
import java.util.Objects;

/**
 * A rate-shift detector (risky-prompt compliance, harmful-response rate).
 *
 * @param minShift smallest absolute rate shift worth detecting quickly, in (0, 1); the CUSUM is tuned
 *     for it, smaller shifts are still caught but more slowly
 */
public record DriftDetectorSpec(boolean enabled, double minShift, Severity severity) implements Serializable {

  public DriftDetectorSpec {
    Objects.requireNonNull(severity, "severity");
  }
}
