package io.llmsafety.monitor.detectors;

/** The three per-event scorers the pipeline uses. */
public record ScorerSet(RefusalScorer refusal, PromptRiskScorer promptRisk, HarmScorer harm) {

  /**
   * The built-in in-process scorers with their packaged resources under {@code detectors/}: the
   * trained v2 refusal, prompt-risk and harm models, which beat v1 under cross-validation
   * (figures in {@code detectors/README.md}).
   */
  public static ScorerSet builtin() {
    return new ScorerSet(
        LinearRefusalScorer.builtin(), LinearPromptRiskScorer.builtin(), LinearHarmScorer.builtin());
  }

  /** The hand-written v1 scorers, kept as a fallback and for comparison. */
  public static ScorerSet v1() {
    return new ScorerSet(
        LexiconRefusalScorer.builtin(), LexiconPromptRiskScorer.builtin(), HeuristicHarmScorer.builtin());
  }
}
