package io.llmsafety.monitor.detectors;

/** The three per-event scorers the pipeline uses. */
public record ScorerSet(RefusalScorer refusal, PromptRiskScorer promptRisk, HarmScorer harm) {

  /** The built-in in-process scorers with their packaged resources under {@code detectors/}. */
  public static ScorerSet builtin() {
    return new ScorerSet(LexiconRefusalScorer.builtin(), LexiconPromptRiskScorer.builtin(), HeuristicHarmScorer.builtin());
  }
}
