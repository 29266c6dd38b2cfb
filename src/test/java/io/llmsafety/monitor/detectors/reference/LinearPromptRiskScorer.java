package io.llmsafety.monitor.detectors.reference;

import io.llmsafety.monitor.detectors.PromptRiskScorer;

/**
 * Prompt risk v2: logistic regression over hashed word uni/bigrams and character n-grams of the
 * normalised prompt, plus the v1 lexicon's log-odds as one dense feature (so the hand-written
 * benign contexts and harm vocabulary are a prior the n-grams correct). Model file {@code
 * detectors/prompt-risk-v2.model.gz}, trained by {@code train prompt-risk}; provenance with the
 * data hashes and cross-validated figures beside it. Figures and CV protocol: {@code
 * detectors/README.md}. Known limits: it learns the wording of its training sets (AdvBench,
 * HarmBench, XSTest, AlpacaEval), so paraphrases far from them and non-English prompts fall back
 * on the lexicon prior.
 */
public final class LinearPromptRiskScorer implements PromptRiskScorer {

  public static final String KIND = "prompt-risk";
  public static final String RESOURCE = "/detectors/prompt-risk-v2.model.gz";
  /** Dense features, in model order. */
  static final String[] DENSE = {"lexicon_logit"};
  /** The v1 log-odds are divided by this so the dense feature is on the scale of the n-grams. */
  private static final double LEXICON_SCALE = 5.0;

  private final LinearTextModel model;
  private final LexiconPromptRiskScorer lexicon;

  public LinearPromptRiskScorer(LinearTextModel model, LexiconPromptRiskScorer lexicon) {
    if (!model.kind().equals(KIND) || !model.denseNames().equals(java.util.List.of(DENSE))) {
      throw new IllegalArgumentException("not a prompt-risk v2 model: " + model.kind() + " " + model.denseNames());
    }
    this.model = model;
    this.lexicon = lexicon;
  }

  /** The scorer with the model shipped in the jar. */
  public static LinearPromptRiskScorer builtin() {
    return Holder.BUILTIN;
  }

  @Override
  public double score(String prompt) {
    String text = TextNormalizer.normalize(prompt);
    return LinearTextModel.sigmoid(model.logit(text, dense(lexicon, text)));
  }

  /** Dense feature values for normalised prompt text; shared with training. */
  public static double[] dense(LexiconPromptRiskScorer lexicon, String normalized) {
    return new double[] {lexicon.logit(normalized) / LEXICON_SCALE};
  }

  private static final class Holder {
    static final LinearPromptRiskScorer BUILTIN =
        new LinearPromptRiskScorer(
            LinearTextModel.fromResource(RESOURCE, KIND), LexiconPromptRiskScorer.builtin());
  }
}
