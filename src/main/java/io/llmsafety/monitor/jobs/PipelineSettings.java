package io.llmsafety.monitor.jobs;

import io.llmsafety.monitor.alerts.AlertFactory;
import io.llmsafety.monitor.detectors.AlertLifecycle;
import io.llmsafety.monitor.detectors.VariantMonitor;
import io.llmsafety.monitor.detectors.RateTest;
import io.llmsafety.monitor.detectors.RepeatedPayloads;
import io.llmsafety.monitor.detectors.ScoreDrift;
import io.llmsafety.monitor.detectors.TriggerMiner;
import io.llmsafety.monitor.jobs.config.BackdoorSpec;
import io.llmsafety.monitor.jobs.config.BaselineSpec;
import io.llmsafety.monitor.jobs.config.DriftDetectorSpec;
import io.llmsafety.monitor.jobs.config.DetectorsSpec;
import io.llmsafety.monitor.jobs.config.EventTimeSpec;
import io.llmsafety.monitor.jobs.config.FleetSpec;
import io.llmsafety.monitor.jobs.config.JobSpec;
import io.llmsafety.monitor.jobs.config.JudgeSpec;
import io.llmsafety.monitor.jobs.config.ScoreDriftSpec;
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
    long variantTtlMillis,
    JudgeSpec judge,
    AlertLifecycle.Settings lifecycle,
    BaselineSpec baselines) implements Serializable {

  /**
   * Statistics per variant that share the fleet's false-alarm budget: the four rate tests (each a
   * family of three CUSUMs that split their share inside, see RateTest), the trigger miner and
   * score drift. The repeated-payload check shares the miner's alarm and has no rate-based budget
   * (its false-alarm bound is a hash-collision probability, see RepeatedPayloads).
   */
  public static final int TESTS_PER_VARIANT = 6;

  private static RateTest.Settings rate(DriftDetectorSpec d, int referenceEvents, double arl0) {
    return new RateTest.Settings(d.enabled(), referenceEvents, d.minShift(), d.severity().code(), arl0);
  }

  static TriggerMiner.Settings minerSettings(BackdoorSpec b) {
    TriggerMiner.Settings d = TriggerMiner.Settings.defaults();
    return new TriggerMiner.Settings(b.maxNgram(), b.minSupport(), b.minLift(), b.maxPrevalence(), b.alpha(),
        d.backgroundFloor(), d.topK(), d.countMinWidth(), d.countMinDepth(), d.harmfulMapSize(), d.hllLgK(), d.evidenceIds());
  }

  public static PipelineSettings from(JobSpec spec) {
    DetectorsSpec d = spec.detectors();
    FleetSpec fleet = d.fleet();
    BaselineSpec baseline = d.baseline();
    double riskyArl0 = fleet.arl0For(fleet.riskyEventsPerVariantPerHour(), TESTS_PER_VARIANT);
    double benignPerHour = Math.max(fleet.eventsPerVariantPerHour() - fleet.riskyEventsPerVariantPerHour(),
        fleet.eventsPerVariantPerHour() / 2);
    double benignArl0 = fleet.arl0For(benignPerHour, TESTS_PER_VARIANT);
    RateTest.Settings risky = rate(d.riskyCompliance(), baseline.referenceRiskyEvents(), riskyArl0);
    RateTest.Settings harm = rate(d.harmRise(), baseline.referenceRiskyEvents(), riskyArl0);
    RateTest.Settings benignHarm = rate(d.benignHarm(), baseline.referenceEvents(), benignArl0);
    RateTest.Settings overRefusal = rate(d.overRefusal(), baseline.referenceEvents(), benignArl0);
    BackdoorSpec b = d.backdoor();
    VariantMonitor.BackdoorSettings backdoor = new VariantMonitor.BackdoorSettings(b.enabled(),
        minerSettings(b),
        b.severity().code(), b.quietPeriod().toMillis(), b.rotateEvery().toMillis(),
        b.refusalTriggers().enabled() ? b.refusalTriggers().maxPromptRisk() : 0.0, b.benignHarmMaxPromptRisk());
    ScoreDriftSpec sd = d.scoreDrift();
    // Score drift sees answered benign prompts, about the benign rate; the ARL0 is in those scores.
    ScoreDrift.Settings scoreDrift = new ScoreDrift.Settings(sd.enabled(), sd.referenceEvents(), sd.windowEvents(),
        sd.bins(), sd.severity().code(), benignArl0);
    RepeatedPayloads.Settings payloads = new RepeatedPayloads.Settings(d.repeatedPayload().enabled() && b.enabled(),
        d.repeatedPayload().minPrompts(), baseline.referenceEvents());
    VariantMonitor.Settings monitor = new VariantMonitor.Settings(spec.windows().size().toMillis(), risky, harm, benignHarm,
        overRefusal, backdoor,
        spec.alerts().maxEvidenceEvents(), spec.alerts().includeText(), scoreDrift, payloads);
    ScoringSpec s = spec.scoring();
    ScoringSettings scoring = new ScoringSettings(ScoringSettings.Policy.valueOf(s.policy().name()), s.upstream().harm(),
        s.upstream().promptRisk(), s.refusalThreshold(), s.harmThreshold(), s.promptRiskThreshold(), b.maxNgram(),
        spec.alerts().includeText(), spec.input().fields());
    EventTimeSpec t = spec.eventTime();
    return new PipelineSettings(scoring, monitor, new AlertFactory(spec.alerts().runbookBaseUrl(), spec.alerts().includeText()),
        t.maxOutOfOrderness().toMillis(), t.idleness().toMillis(), t.dedupHorizon().toMillis(), t.variantTtl().toMillis(),
        s.judge(),
        new AlertLifecycle.Settings(spec.alerts().pendingFor().toMillis(), spec.alerts().renotifyInterval().toMillis()),
        baseline);
  }
}
