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
 * @param alpha per-candidate significance level, before any multiple-testing correction
 */
public record BackdoorSpec(
    boolean enabled, int maxNgram, int minSupport, double minLift, double maxPrevalence, double alpha, Severity severity)
    implements Serializable {

  public BackdoorSpec {
    Objects.requireNonNull(severity, "severity");
  }
}
