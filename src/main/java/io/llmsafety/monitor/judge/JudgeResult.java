package io.llmsafety.monitor.judge;

/**
 * One judge call's result.
 *
 * @param verdict the judge's verdict, or null when {@code outcome} is a failure and the caller falls back
 * @param nanos time from the call to its result, retries and waits included
 */
public record JudgeResult(JudgeOutcome outcome, JudgeVerdict verdict, long nanos) {

  public JudgeResult {
    if (outcome.answered() != (verdict != null)) {
      throw new IllegalArgumentException("a verdict comes with ok or cache_hit only, got " + outcome);
    }
  }

  public static JudgeResult failed(JudgeOutcome outcome, long nanos) {
    return new JudgeResult(outcome, null, nanos);
  }
}
