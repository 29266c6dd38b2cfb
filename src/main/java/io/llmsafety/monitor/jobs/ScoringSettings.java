package io.llmsafety.monitor.jobs;

import java.io.Serializable;

/**
 * How events are scored: which upstream {@code scores.*} names to reuse and how to combine them
 * with the built-in scorers, the decision thresholds, and whether text travels on for evidence.
 */
public record ScoringSettings(
    Policy policy,
    String upstreamHarm,
    String upstreamPromptRisk,
    double refusalThreshold,
    double harmThreshold,
    double promptRiskThreshold,
    int maxNgram,
    boolean includeText,
    java.util.Map<String, String> inputFields) implements Serializable {

  public ScoringSettings {
    inputFields = java.util.Map.copyOf(inputFields);
  }

  public ScoringSettings(Policy policy, String upstreamHarm, String upstreamPromptRisk, double refusalThreshold,
      double harmThreshold, double promptRiskThreshold, int maxNgram, boolean includeText) {
    this(policy, upstreamHarm, upstreamPromptRisk, refusalThreshold, harmThreshold, promptRiskThreshold, maxNgram,
        includeText, java.util.Map.of());
  }

  /** prefer_upstream: upstream when present, else built-in; max: the larger; builtin: ignore upstream. */
  public enum Policy {
    PREFER_UPSTREAM,
    MAX,
    BUILTIN
  }

  /** The same scoring with text kept on the scored events, for an operator downstream that needs it. */
  public ScoringSettings keepingText() {
    return new ScoringSettings(policy, upstreamHarm, upstreamPromptRisk, refusalThreshold, harmThreshold, promptRiskThreshold,
        maxNgram, true, inputFields);
  }

  public static ScoringSettings defaults() {
    return new ScoringSettings(Policy.PREFER_UPSTREAM, "harm", "prompt_risk", 0.5, 0.5, 0.5, 3, false);
  }
}
