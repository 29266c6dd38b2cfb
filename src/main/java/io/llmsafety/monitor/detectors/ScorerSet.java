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
        new LexiconRefusalFeatureHarm(LinearHarmScorer.builtin(), LinearRefusalScorer.builtin()));
  }

  /** The hand-written v1 scorers, kept as a fallback and for comparison. */
  public static ScorerSet v1() {
    return new ScorerSet(
        LexiconRefusalScorer.builtin(), LexiconPromptRiskScorer.builtin(), HeuristicHarmScorer.builtin());
  }

  /**
   * The harm v2 model with the refusal feature it was trained on, the v1 lexicon score: the
   * pipeline's refusal score now comes from refusal v2, whose scores are distributed differently,
   * so it is not passed through. The lexicon score is taken from refusal v2, which computes it
   * anyway, so the response is scanned for cues once. (Retraining harm with refusal v2 as its
   * feature would remove this adapter.)
   */
  public record LexiconRefusalFeatureHarm(LinearHarmScorer harm, LinearRefusalScorer refusal)
      implements HarmScorer {

    @Override
    public double score(String prompt, String response) {
      return harm.score(prompt, response);
    }

    @Override
    public double score(String prompt, String response, double refusalScore) {
      return harm.score(prompt, response, refusal.lexiconScore(response));
    }

    @Override
    public double threshold() {
      return harm.threshold();
    }
  }
}
