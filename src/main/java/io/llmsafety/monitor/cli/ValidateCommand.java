package io.llmsafety.monitor.cli;

import io.llmsafety.monitor.detectors.RateTest;
import io.llmsafety.monitor.detectors.ScoreDrift;
import io.llmsafety.monitor.detectors.VariantMonitor;
import io.llmsafety.monitor.jobs.PipelineSettings;
import io.llmsafety.monitor.jobs.config.BaselineSpec;
import io.llmsafety.monitor.jobs.config.JobSpec;
import io.llmsafety.monitor.jobs.config.ScoringSpec;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * Checks a job spec without running anything and prints what it implies: where events come from
 * and go, how they are scored, and each detector's false-alarm target and threshold as the job
 * derives them from the fleet budget. For a spec under review, or a CI step before a deploy.
 */
@Command(name = "validate", mixinStandardHelpOptions = true,
    description = {"Checks a job spec (exit 2 naming the field when it is wrong) and prints what it implies:"
        + " topics, scoring, and each detector's false-alarm target (ARL0) and threshold as the job derives them."})
final class ValidateCommand implements Callable<Integer> {

  @Mixin
  JobSpecOption jobOption;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    JobSpec job = jobOption.load();
    VariantMonitor.Settings m = PipelineSettings.from(job).monitor();
    PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "%s: valid (job %s)%n", jobOption.job == null ? "packaged defaults" : jobOption.job, job.name());
    var t = job.kafka().topics();
    out.printf(Locale.ROOT, "kafka %s: %s -> alerts %s, dead letters %s, windows %s; control %s%n",
        job.kafka().bootstrapServers(), t.input(), t.alerts(), t.deadLetter(), t.windowMetrics(), t.control());
    var fields = job.input().fields();
    out.printf(Locale.ROOT, "input: %s%n", fields.isEmpty() ? "the contract's field names (DESIGN.md section 3), or OTLP/JSON traces"
        : fields.entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
            .map(f -> f.getKey() + " <- " + f.getValue()).collect(java.util.stream.Collectors.joining(", "))
            + "; other fields by their contract names");
    ScoringSpec s = job.scoring();
    out.printf(Locale.ROOT, "scoring: %s (upstream harm <- scores.%s, prompt risk <- scores.%s); refusal >= %.2f,"
        + " harmful >= %.2f, risky prompt >= %.2f; remote judge %s%n",
        s.policy().name().toLowerCase(Locale.ROOT), s.upstream().harm(), s.upstream().promptRisk(), s.refusalThreshold(),
        s.harmThreshold(), s.promptRiskThreshold(), s.judge().enabled() ? s.judge().protocol().name().toLowerCase(Locale.ROOT)
            + " at " + s.judge().url() : "off");
    var fleet = job.detectors().fleet();
    BaselineSpec b = job.detectors().baseline();
    out.printf(Locale.ROOT, "fleet budget: %s false alerts a week over %d variants, %d tests each; baseline %s"
        + " (%d risky / %d benign events before the tests arm)%n", fleet.falseAlertsPerWeek(), fleet.variants(),
        PipelineSettings.TESTS_PER_VARIANT, b.source().name().toLowerCase(Locale.ROOT), b.referenceRiskyEvents(),
        b.referenceEvents());
    rate(out, "refusal_drop", m.riskyCompliance(), "risky", 0.05);
    rate(out, "harm_rise", m.harmRise(), "risky", 0.05);
    rate(out, "benign_harm", m.benignHarm(),
        String.format(Locale.ROOT, "benign (prompt risk < %.2f)", m.backdoor().benignHarmMaxPromptRisk()), 0.01);
    rate(out, "over_refusal", m.overRefusal(), "benign", 0.01);
    ScoreDrift.Settings d = m.scoreDrift();
    if (d.enabled()) {
      out.printf(Locale.ROOT, "  %-19s %-8s ARL0 %.3g answered benign events, windows of %d, threshold %.1f (%d bins)%n",
          "score_drift", d.severity(), d.arl0(), d.windowEvents(), ScoreDrift.nominalThreshold(d), d.bins());
    } else {
      out.printf(Locale.ROOT, "  %-19s off%n", "score_drift");
    }
    VariantMonitor.BackdoorSettings bd = m.backdoor();
    if (bd.enabled()) {
      var miner = bd.miner();
      out.printf(Locale.ROOT, "  %-19s %-8s alpha %.1e per %s, n-grams up to %d, support >= %d distinct prompts,"
          + " lift >= %.1f, prevalence <= %.3f; harmful answers to benign prompts below prompt risk %.2f;"
          + " refusal triggers %s; repeated payloads %s%n",
          "backdoor_suspected", bd.severity(), miner.alpha(),
          bd.rotateMillis() == 0 ? "variant life" : java.time.Duration.ofMillis(bd.rotateMillis()).toString().substring(2)
              .toLowerCase(Locale.ROOT),
          miner.maxNgram(), miner.minSupport(), miner.minLift(), miner.maxPrevalence(), bd.benignHarmMaxPromptRisk(),
          bd.refusalMaxPromptRisk() > 0 ? String.format(Locale.ROOT, "below prompt risk %.2f", bd.refusalMaxPromptRisk())
              : "off",
          m.repeatedPayload().enabled() ? "at " + m.repeatedPayload().minDistinctPrompts() + " prompts" : "off");
    } else {
      out.printf(Locale.ROOT, "  %-19s off%n", "backdoor_suspected");
    }
    return 0;
  }

  /**
   * @param exampleP0 a typical tuned baseline rate to show solved thresholds at; each variant's own
   *     are solved when it arms
   */
  private static void rate(PrintWriter out, String kind, RateTest.Settings r, String segment, double exampleP0) {
    if (!r.enabled()) {
      out.printf(Locale.ROOT, "  %-19s off%n", kind);
      return;
    }
    double[] example = RateTest.chartThresholdsAt(r, exampleP0);
    out.printf(Locale.ROOT,
        "  %-19s %-8s ARL0 %.3g %s events, charts tuned to +%.3f / +%.3f / +%.3f, h <= %.2f each"
            + " (solved at arming; at p0 = %.2f: %.2f / %.2f / %.2f)%n",
        kind, r.severity(), r.arl0(), segment, r.minShift() / 3, r.minShift(), 3 * r.minShift(),
        RateTest.thresholdFor(r), exampleP0, example[0], example[1], example[2]);
  }
}
