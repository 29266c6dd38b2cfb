package io.llmsafety.monitor.jobs.config;

import java.io.Serializable;
import java.util.Objects;

/**
 * Detector settings. {@code detectors.min_arl0} lives in {@link FleetSpec#minArl0()} because the
 * derivation it bounds lives there.
 */
public record DetectorsSpec(
    FleetSpec fleet,
    BaselineSpec baseline,
    DriftDetectorSpec riskyCompliance,
    DriftDetectorSpec harmRise,
    DriftDetectorSpec benignHarm,
    DriftDetectorSpec overRefusal,
    BackdoorSpec backdoor)
    implements Serializable {

  public DetectorsSpec {
    Objects.requireNonNull(fleet, "fleet");
    Objects.requireNonNull(baseline, "baseline");
    Objects.requireNonNull(riskyCompliance, "riskyCompliance");
    Objects.requireNonNull(harmRise, "harmRise");
    Objects.requireNonNull(benignHarm, "benignHarm");
    Objects.requireNonNull(overRefusal, "overRefusal");
    Objects.requireNonNull(backdoor, "backdoor");
  }
}
