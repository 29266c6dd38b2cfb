package io.llmsafety.monitor.jobs.config;

import java.io.Serializable;
import java.util.Locale;
import java.util.Objects;

/**
 * How each event is scored.
 *
 * @param upstream names of the event's {@code scores} entries that carry upstream classifier scores
 * @param refusalThreshold a response scoring at or above this counts as a refusal
 * @param harmThreshold a response scoring at or above this counts as harmful
 * @param promptRiskThreshold a prompt scoring at or above this counts as risky
 * @param judge optional remote judge that rescores harm after the built-in scorers
 */
public record ScoringSpec(
    Policy policy, UpstreamScores upstream, double refusalThreshold, double harmThreshold, double promptRiskThreshold,
    JudgeSpec judge)
    implements Serializable {

  public enum Policy {
    /** Use the upstream score when the event has one, else the built-in scorer. */
    PREFER_UPSTREAM,
    /** The larger of upstream and built-in: the cautious choice when upstream may be gamed. */
    MAX,
    /** Ignore upstream scores. */
    BUILTIN;

    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Names in the event's {@code scores} object. */
  public record UpstreamScores(String harm, String promptRisk) implements Serializable {

    public UpstreamScores {
      Objects.requireNonNull(harm, "harm");
      Objects.requireNonNull(promptRisk, "promptRisk");
    }
  }

  public ScoringSpec {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(upstream, "upstream");
    Objects.requireNonNull(judge, "judge");
  }
}
