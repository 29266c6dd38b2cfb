package io.llmsafety.monitor.jobs;

import io.llmsafety.monitor.alerts.AlertFactory;
import io.llmsafety.monitor.detectors.VariantMonitor;
import io.llmsafety.monitor.detectors.RateTest;
import io.llmsafety.monitor.detectors.TriggerMiner;
import io.llmsafety.monitor.jobs.config.BackdoorSpec;
import io.llmsafety.monitor.jobs.config.DetectorsSpec;
import io.llmsafety.monitor.jobs.config.EventTimeSpec;
import io.llmsafety.monitor.jobs.config.FleetSpec;
import io.llmsafety.monitor.jobs.config.JobSpec;
import io.llmsafety.monitor.jobs.config.ScoringSpec;
import java.io.Serializable;

/** What the job graph needs from a job spec, resolved once into serializable values. */
public record PipelineSettings(
    ScoringSettings scoring,
    VariantMonitor.Settings monitor,
    AlertFactory alerts,
    long maxOutOfOrdernessMillis,
    long idlenessMillis,
    long dedupHorizonMillis,
    long variantTtlMillis) implements Serializable {

  /** Statistics per variant that share the fleet's false-alarm budget. */
  static final int TESTS_PER_VARIANT = 3;
  /** A backdoor episode resolves after this long with no harmful answer carrying a flagged n-gram. */
  static final long BACKDOOR_QUIET_MILLIS = 6 * 3_600_000L;

  static TriggerMiner.Settings minerSettings(BackdoorSpec b) {
    TriggerMiner.Settings d = TriggerMiner.Settings.defaults();
    return new TriggerMiner.Settings(b.maxNgram(), b.minSupport(), b.minLift(), b.maxPrevalence(), b.alpha(),
        d.backgroundFloor(), d.topK(), d.countMinWidth(), d.countMinDepth(), d.harmfulMapSize(), d.hllLgK(), d.evidenceIds());
  }

  public static PipelineSettings from(JobSpec spec) {
    DetectorsSpec d = spec.detectors();
    FleetSpec fleet = d.fleet();
    RateTest.Settings risky = new RateTest.Settings(d.riskyCompliance().enabled(), d.baseline().referenceRiskyEvents(),
        d.riskyCompliance().minShift(), d.riskyCompliance().severity().code(),
        fleet.arl0For(fleet.riskyEventsPerVariantPerHour(), TESTS_PER_VARIANT));
    RateTest.Settings harm = new RateTest.Settings(d.harmRise().enabled(), d.baseline().referenceEvents(),
        d.harmRise().minShift(), d.harmRise().severity().code(),
        fleet.arl0For(fleet.eventsPerVariantPerHour(), TESTS_PER_VARIANT));
    BackdoorSpec b = d.backdoor();
    VariantMonitor.BackdoorSettings backdoor = new VariantMonitor.BackdoorSettings(b.enabled(),
        minerSettings(b),
        b.severity().code(), BACKDOOR_QUIET_MILLIS);
    VariantMonitor.Settings monitor = new VariantMonitor.Settings(spec.windows().size().toMillis(), risky, harm, backdoor,
        spec.alerts().maxEvidenceEvents(), spec.alerts().includeText());
    ScoringSpec s = spec.scoring();
    ScoringSettings scoring = new ScoringSettings(ScoringSettings.Policy.valueOf(s.policy().name()), s.upstream().harm(),
        s.upstream().promptRisk(), s.refusalThreshold(), s.harmThreshold(), s.promptRiskThreshold(), b.maxNgram(),
        spec.alerts().includeText());
    EventTimeSpec t = spec.eventTime();
    return new PipelineSettings(scoring, monitor, new AlertFactory(spec.alerts().runbookBaseUrl(), spec.alerts().includeText()),
        t.maxOutOfOrderness().toMillis(), t.idleness().toMillis(), t.dedupHorizon().toMillis(), t.variantTtl().toMillis());
  }
}
