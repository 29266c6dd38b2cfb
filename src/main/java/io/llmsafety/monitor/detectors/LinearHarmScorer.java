package io.llmsafety.monitor.detectors;

import java.util.Arrays;

/**
 * Harmful-output scorer v2: logistic regression over hashed word uni/bigrams of the normalised
 * <em>response</em> (the feature spec is read from the model file), conditioned on the request
 * through a few dense features: the v1 refusal lexicon's score of the response's opening (first
 * 200 characters, {@link LexiconRefusalScorer#openingLogit}; refusal v2 scans the same opening,
 * so the pipeline scans it once), the prompt's v1 lexicon risk, how much of the prompt's
 * vocabulary the response takes up (an on-topic measure: HarmBench counts a completion as harmful
 * only when it carries out the requested behaviour), log length, and crosses of these with
 * compliance ({@code 1 - refusal}). Until Dec 2026 the refusal feature was the v1 score of the
 * whole response, which needed a scan of up to 4,000 characters per event.
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
  static final String[] DENSE = {
    "opening_refusal", "prompt_risk", "risk_x_compliance", "overlap", "overlap_x_compliance",
    "log_length", "refusal_x_risk"
  };

  /** Prompt words shorter than this are too common to say anything about topic. */
  private static final int MIN_TOPIC_WORD = 4;
  private static final int MAX_TOPIC_WORDS = 64;
  /** Prompt words for the overlap start in this many leading characters. */
  static final int PROMPT_TOPIC_CHARS = 1000;
  /** Response words for the overlap start in this many leading characters. */
  static final int RESPONSE_TOPIC_CHARS = 2000;
  private static final double LOG_LENGTH_SCALE = Math.log(4001);

  private final LinearTextModel model;
  private final LexiconRefusalScorer refusalLexicon;
  private final LexiconPromptRiskScorer lexicon;

  public LinearHarmScorer(
      LinearTextModel model, LexiconRefusalScorer refusalLexicon, LexiconPromptRiskScorer lexicon) {
    if (!model.kind().equals(KIND) || !model.denseNames().equals(java.util.List.of(DENSE))) {
      throw new IllegalArgumentException("not a harm v2 model: " + model.kind() + " " + model.denseNames());
    }
    this.model = model;
    this.refusalLexicon = refusalLexicon;
    this.lexicon = lexicon;
  }

  /** The scorer with the model shipped in the jar. */
  public static LinearHarmScorer builtin() {
    return Holder.BUILTIN;
  }

  @Override
  public double score(String prompt, String response) {
    NormalizedText text = TextNormalizer.normalized(response);
    NormalizedText p = TextNormalizer.normalized(prompt);
    Scratch scratch = SCRATCH.get();
    return LinearTextModel.sigmoid(
        model.logit(text, dense(refusalLexicon, lexicon, p, text, scratch, scratch.dense)));
  }

  /** Dense feature values for normalised prompt and response; shared with training. */
  static double[] dense(
      LexiconRefusalScorer refusalLexicon, LexiconPromptRiskScorer lexicon, String prompt, String response) {
    return dense(refusalLexicon, lexicon, NormalizedText.of(prompt), NormalizedText.of(response),
        SCRATCH.get(), new double[DENSE.length]);
  }

  private static double[] dense(
      LexiconRefusalScorer refusalLexicon, LexiconPromptRiskScorer lexicon, NormalizedText prompt,
      NormalizedText response, Scratch scratch, double[] out) {
    double refused = LexiconRefusalScorer.sigmoid(refusalLexicon.openingLogit(response));
    double risk = LinearTextModel.sigmoid(lexicon.logit(prompt));
    double overlap = overlap(prompt, response, scratch);
    double comply = 1 - refused;
    out[0] = refused;
    out[1] = risk;
    out[2] = risk * comply;
    out[3] = overlap;
    out[4] = overlap * comply;
    out[5] = Math.log1p(Math.min(response.length, 4000)) / LOG_LENGTH_SCALE;
    out[6] = refused * risk;
    return out;
  }

  /**
   * Share of the prompt's distinct longer words that occur in the response (0 without any). Words
   * are those of {@link WordHashes} (runs of letters, digits and apostrophes), read from the texts'
   * shared word hashes: of the prompt, those starting in its first {@link #PROMPT_TOPIC_CHARS}
   * characters (what prompt risk v2 reads); of the response, those starting in its first {@link
   * #RESPONSE_TOPIC_CHARS} (what this model's n-grams read).
   */
  private static double overlap(NormalizedText promptText, NormalizedText responseText, Scratch scratch) {
    // The prompt's first MAX_TOPIC_WORDS longer words (repeats count towards the cap) go into a
    // small open-addressing set of their hashes; each response word is then one probe.
    int[] slotWord = scratch.slotWord;
    Arrays.fill(slotWord, 0);
    int[] words = scratch.words;
    int distinct = 0;
    WordHashes prompt = promptText.words();
    int promptWords = prompt.upTo(promptText.chars, promptText.length, PROMPT_TOPIC_CHARS);
    int n = 0;
    for (int k = 0; k < promptWords && n < MAX_TOPIC_WORDS; k++) {
      if (prompt.end[k] - prompt.start[k] >= MIN_TOPIC_WORD) {
        n++;
        int h = prompt.fnv[k];
        int slot = slot(h);
        while (slotWord[slot] != 0 && words[slotWord[slot] - 1] != h) {
          slot = (slot + 1) & (TOPIC_SLOTS - 1);
        }
        if (slotWord[slot] == 0) {
          words[distinct++] = h;
          slotWord[slot] = distinct;
        }
      }
    }
    if (distinct == 0) {
      return 0;
    }
    boolean[] found = scratch.found;
    Arrays.fill(found, 0, distinct, false);
    int hits = 0;
    WordHashes response = responseText.words();
    int responseWords = response.upTo(responseText.chars, responseText.length, RESPONSE_TOPIC_CHARS);
    for (int k = 0; k < responseWords && hits < distinct; k++) {
      if (response.end[k] - response.start[k] >= MIN_TOPIC_WORD) {
        int h = response.fnv[k];
        int slot = slot(h);
        int w;
        while ((w = slotWord[slot]) != 0 && words[w - 1] != h) {
          slot = (slot + 1) & (TOPIC_SLOTS - 1);
        }
        if (w != 0 && !found[w - 1]) {
          found[w - 1] = true;
          hits++;
        }
      }
    }
    return (double) hits / distinct;
  }

  /** Twice the most words the set holds, so probe runs stay short. */
  private static final int TOPIC_SLOTS = 2 * Integer.highestOneBit(MAX_TOPIC_WORDS * 2 - 1);

  private static int slot(int hash) {
    return (hash * 0x9E3779B9) >>> (32 - Integer.numberOfTrailingZeros(TOPIC_SLOTS));
  }

  /** Per-thread working arrays, so that scoring allocates nothing. */
  private static final class Scratch {
    final int[] words = new int[MAX_TOPIC_WORDS];
    final int[] slotWord = new int[TOPIC_SLOTS]; // 1 + index into words, 0 = empty
    final boolean[] found = new boolean[MAX_TOPIC_WORDS];
    final double[] dense = new double[DENSE.length];
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private static final class Holder {
    static final LinearHarmScorer BUILTIN =
        new LinearHarmScorer(
            LinearTextModel.fromResource(RESOURCE, KIND), LexiconRefusalScorer.builtin(),
            LexiconPromptRiskScorer.builtin());
  }
}
