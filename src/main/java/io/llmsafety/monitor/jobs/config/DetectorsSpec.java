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
    BackdoorSpec backdoor,
    ScoreDriftSpec scoreDrift,
    RepeatedPayloadSpec repeatedPayload)
    implements Serializable {

  /** Without score drift and repeated payloads (both off). */
  public DetectorsSpec(FleetSpec fleet, BaselineSpec baseline, DriftDetectorSpec riskyCompliance,
      DriftDetectorSpec harmRise, DriftDetectorSpec benignHarm, DriftDetectorSpec overRefusal, BackdoorSpec backdoor) {
    this(fleet, baseline, riskyCompliance, harmRise, benignHarm, overRefusal, backdoor,
        new ScoreDriftSpec(false, 4000, 1000, 10, Severity.WARNING), new RepeatedPayloadSpec(false, 5));
  }

  public DetectorsSpec {
    Objects.requireNonNull(fleet, "fleet");
    Objects.requireNonNull(baseline, "baseline");
    Objects.requireNonNull(riskyCompliance, "riskyCompliance");
    Objects.requireNonNull(harmRise, "harmRise");
    Objects.requireNonNull(benignHarm, "benignHarm");
    Objects.requireNonNull(overRefusal, "overRefusal");
    Objects.requireNonNull(backdoor, "backdoor");
    Objects.requireNonNull(scoreDrift, "scoreDrift");
    Objects.requireNonNull(repeatedPayload, "repeatedPayload");
  }
}
