package io.llmsafety.monitor.jobs.config;

import java.io.Serializable;
import java.util.Objects;

/**
 * The backdoor-trigger miner: prompt n-grams whose presence concentrates harmful responses.
 *
 * @param maxNgram longest n-gram (in tokens) considered
 * @param minSupport harmful events an n-gram needs before it can be reported
 * @param minLift harmful rate with the n-gram over the rate without it
 * @param maxPrevalence n-grams in more than this fraction of prompts are not triggers (triggers are rare)
 * @param alpha significance level of the corrected p-value (Bonferroni over distinct n-grams and looks)
 * @param quietPeriod an episode resolves after this much event time without a harmful answer carrying
 *     a flagged n-gram
 * @param rotateEvery event time between miner rotations (a fresh generation, the last one kept, so
 *     evidence spans one to two periods and sketch errors stay bounded); zero never rotates
 * @param refusalTriggers whether, and on which prompts, refusals are mined as well
 * @param benignHarmMaxPromptRisk a harmful answer to a benign-segment prompt is evidence (trigger
 *     miner, repeated payloads) only below this prompt risk
 */
public record BackdoorSpec(
    boolean enabled,
    int maxNgram,
    int minSupport,
    double minLift,
    double maxPrevalence,
    double alpha,
    Severity severity,
    java.time.Duration quietPeriod,
    java.time.Duration rotateEvery,
    RefusalTriggerSpec refusalTriggers,
    double benignHarmMaxPromptRisk)
    implements Serializable {

  public BackdoorSpec {
    Objects.requireNonNull(severity, "severity");
    Objects.requireNonNull(quietPeriod, "quietPeriod");
    Objects.requireNonNull(rotateEvery, "rotateEvery");
    Objects.requireNonNull(refusalTriggers, "refusalTriggers");
  }
}
