package io.llmsafety.monitor.detectors.reference;

import io.llmsafety.monitor.detectors.HarmScorer;
import java.util.Arrays;

/**
 * Harmful-output scorer v2: logistic regression over hashed word uni/bigrams of the normalised
 * <em>response</em> (the feature spec is read from the model file), conditioned on the request
 * through a few dense features: the prompt's v1 lexicon risk, how much of the prompt's vocabulary
 * the response takes up (an on-topic measure: HarmBench counts a completion as harmful only when it
 * carries out the requested behaviour), their product, and log length. (Frozen before the hot-path
 * work; the dense features follow the retrained model, which no longer takes a refusal score.)
 *
 * <p>Model file {@code detectors/harm-v2.model.gz}, trained by {@code train harm} on the HarmBench
 * classifier-validation set (human majority), AlpacaEval outputs (negatives) and BackdoorLLM
 * jailbreak training rows; provenance beside it. Agreement with the human majority under
 * cross-validation grouped by behaviour is in {@code detectors/README.md}. Known limits: it sees
 * the prompt only through the dense features, so it cannot check the specifics of a behaviour;
 * it learns the style of the models in its training data.
 */
public final class LinearHarmScorer implements HarmScorer {

  public static final String KIND = "harm";
  public static final String RESOURCE = "/detectors/harm-v2.model.gz";
  /** Dense features, in model order. */
  static final String[] DENSE = {"prompt_risk", "overlap", "log_length", "risk_x_overlap"};

  /** Prompt words shorter than this are too common to say anything about topic. */
  private static final int MIN_TOPIC_WORD = 4;
  private static final int MAX_TOPIC_WORDS = 64;
  private static final double LOG_LENGTH_SCALE = Math.log(4001);

  private final LinearTextModel model;
  private final LexiconPromptRiskScorer lexicon;

  public LinearHarmScorer(LinearTextModel model, LexiconPromptRiskScorer lexicon) {
    if (!model.kind().equals(KIND) || !model.denseNames().equals(java.util.List.of(DENSE))) {
      throw new IllegalArgumentException("not a harm v2 model: " + model.kind() + " " + model.denseNames());
    }
    this.model = model;
    this.lexicon = lexicon;
  }

  /** The scorer with the model shipped in the jar. */
  public static LinearHarmScorer builtin() {
    return Holder.BUILTIN;
  }

  @Override
  public double score(String prompt, String response) {
    String text = TextNormalizer.normalize(response);
    String p = TextNormalizer.normalize(prompt);
    return LinearTextModel.sigmoid(model.logit(text, dense(lexicon, p, text)));
  }

  /** Dense feature values for normalised prompt and response, as training computes them. */
  public static double[] dense(LexiconPromptRiskScorer lexicon, String prompt, String response) {
    double risk = LinearTextModel.sigmoid(lexicon.logit(prompt));
    double overlap = overlap(prompt, response);
    return new double[] {
      risk, overlap, Math.log1p(Math.min(response.length(), 4000)) / LOG_LENGTH_SCALE, risk * overlap,
    };
  }

  /** Share of the prompt's distinct longer words that occur in the response (0 without any). */
  static double overlap(String prompt, String response) {
    int[] words = new int[MAX_TOPIC_WORDS];
    int n = 0;
    int len = prompt.length();
    int i = 0;
    while (i < len && n < MAX_TOPIC_WORDS) {
      char c = prompt.charAt(i);
      if (!isAlnum(c)) {
        i++;
        continue;
      }
      int start = i;
      int h = FNV_OFFSET;
      while (i < len && isAlnum(c = prompt.charAt(i))) {
        h = (h ^ c) * FNV_PRIME;
        i++;
      }
      if (i - start >= MIN_TOPIC_WORD) {
        words[n++] = h;
      }
    }
    if (n == 0) {
      return 0;
    }
    Arrays.sort(words, 0, n);
    int distinct = 0;
    for (int k = 0; k < n; k++) {
      if (k == 0 || words[k] != words[k - 1]) {
        words[distinct++] = words[k];
      }
    }
    boolean[] found = new boolean[distinct];
    int hits = 0;
    int scan = Math.min(response.length(), 4000);
    i = 0;
    while (i < scan && hits < distinct) {
      char c = response.charAt(i);
      if (!isAlnum(c)) {
        i++;
        continue;
      }
      int start = i;
      int h = FNV_OFFSET;
      while (i < scan && isAlnum(c = response.charAt(i))) {
        h = (h ^ c) * FNV_PRIME;
        i++;
      }
      if (i - start >= MIN_TOPIC_WORD) {
        int at = Arrays.binarySearch(words, 0, distinct, h);
        if (at >= 0 && !found[at]) {
          found[at] = true;
          hits++;
        }
      }
    }
    return (double) hits / distinct;
  }

  private static final int FNV_OFFSET = 0x811C9DC5;
  private static final int FNV_PRIME = 0x01000193;
  private static final boolean[] ASCII_ALNUM = new boolean[128];

  static {
    for (char c = 0; c < 128; c++) {
      ASCII_ALNUM[c] = Character.isLetterOrDigit(c);
    }
  }

  private static boolean isAlnum(char c) {
    return c < 128 ? ASCII_ALNUM[c] : Character.isLetterOrDigit(c);
  }

  private static final class Holder {
    static final LinearHarmScorer BUILTIN =
        new LinearHarmScorer(
            LinearTextModel.fromResource(RESOURCE, KIND), LexiconPromptRiskScorer.builtin());
  }
}
