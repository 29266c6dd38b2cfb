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
        LinearRefusalScorer.builtin(),
        LinearPromptRiskScorer.builtin(),
        new LexiconRefusalFeatureHarm(LinearHarmScorer.builtin()));
  }

  /** The hand-written v1 scorers, kept as a fallback and for comparison. */
  public static ScorerSet v1() {
    return new ScorerSet(
        LexiconRefusalScorer.builtin(), LexiconPromptRiskScorer.builtin(), HeuristicHarmScorer.builtin());
  }

  /**
   * The harm v2 model with the refusal feature it was trained on (the v1 lexicon score): the
   * pipeline's refusal score now comes from refusal v2, whose scores are distributed differently,
   * so it is not passed through. Retraining harm with refusal v2 as its feature would save this
   * second scan.
   */
  public record LexiconRefusalFeatureHarm(LinearHarmScorer harm) implements HarmScorer {

    @Override
    public double score(String prompt, String response) {
      return harm.score(prompt, response);
    }

    @Override
    public double score(String prompt, String response, double refusalScore) {
      return harm.score(prompt, response);
    }

    @Override
    public double threshold() {
      return harm.threshold();
    }
  }
}
