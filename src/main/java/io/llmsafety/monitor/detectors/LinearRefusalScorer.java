package io.llmsafety.monitor.detectors;

import java.util.List;

/**
 * Refusal scorer v2: logistic regression ({@link RefusalModel}) over hashed n-grams of the
 * response's opening and, with separate weights, of its body, plus dense features from the v1
 * cue lexicon ({@link LexiconRefusalScorer#profile}) that say <em>where</em> refusal and
 * compliance language sits: refusal cues in the opening, middle and late text, pushback,
 * compliance openings, compliance after a refusal ("refuse then help", a partial refusal) and
 * refusal after a compliant opening ("help then refuse"), and length. Text is normalised by
 * {@link RefusalText} (NFKC, case, invisible characters, homoglyphs, markdown).
 *
 * <p>Model file {@code detectors/refusal-v2.model.gz}, trained by {@code train refusal} on the
 * XSTest human labels (partial refusal counts as refusal) plus AlpacaEval, BackdoorLLM and
 * HarmBench responses; provenance beside it, with figures under cross-validation that holds out
 * one XSTest model at a time (see {@code detectors/README.md}).
 */
public final class LinearRefusalScorer implements RefusalScorer {

  public static final String KIND = "refusal";
  public static final String RESOURCE = "/detectors/refusal-v2.model.gz";
  /** Dense features, in model order. */
  static final String[] DENSE = {
    "lexicon", "refusal_opening", "refusal_middle", "refusal_late", "pushback_opening",
    "pushback_later", "comply_opening", "refuse_then_help", "help_then_refuse", "log_length",
    "short_refusal"
  };

  private static final double LOG_LENGTH_SCALE = Math.log(4001);

  private final RefusalModel model;
  private final LexiconRefusalScorer lexicon;

  public LinearRefusalScorer(RefusalModel model, LexiconRefusalScorer lexicon) {
    if (!model.kind().equals(KIND) || !model.denseNames().equals(List.of(DENSE))) {
      throw new IllegalArgumentException("not a refusal v2 model: " + model.kind() + " " + model.denseNames());
    }
    this.model = model;
    this.lexicon = lexicon;
  }

  /** The scorer with the model shipped in the jar. */
  public static LinearRefusalScorer builtin() {
    return Holder.BUILTIN;
  }

  @Override
  public double score(String response) {
    // The shared normalisation is cached for the harm scorer; the refusal form reuses it when the
    // extra steps change nothing and otherwise fills a per-thread buffer, so no strings are made.
    NormalizedText shared = TextNormalizer.normalized(response);
    NormalizedText text = RefusalText.normalized(response, shared);
    LexiconRefusalScorer.Cues cues = lexicon.cues(text.chars, text.length);
    Last last = LAST.get();
    last.response = response;
    last.lexicon = lexicon;
    last.known = text == shared || java.util.Arrays.equals(
        text.chars, 0, text.length, shared.chars, 0, shared.length);
    last.score = LexiconRefusalScorer.sigmoid(cues.logit);
    return LinearTextModel.sigmoid(model.logit(text, dense(cues, text.length, last.dense)));
  }

  /**
   * The v1 lexicon's score of a response ({@link LexiconRefusalScorer#score}), which the harm v2
   * model takes as its refusal feature. Right after {@link #score} of the same String on the same
   * thread it is reused when the refusal normalisation left the text as the shared one did (the
   * lexicon scan is a large part of scoring refusal), otherwise computed.
   */
  public double lexiconScore(String response) {
    Last last = LAST.get();
    if (response != null && last.response == response && last.lexicon == lexicon && last.known) {
      return last.score;
    }
    return lexicon.score(response);
  }

  /** The last response scored on this thread, its lexicon score, and the dense scratch vector. */
  private static final ThreadLocal<Last> LAST = ThreadLocal.withInitial(Last::new);

  private static final class Last {
    String response;
    LexiconRefusalScorer lexicon;
    /** Whether {@link #score} is the lexicon score of the shared normalisation too. */
    boolean known;
    double score;
    final double[] dense = new double[DENSE.length];
  }

  /** Dense feature values of normalised text; shared with training. */
  static double[] dense(LexiconRefusalScorer lexicon, String text) {
    NormalizedText t = NormalizedText.of(text);
    return dense(lexicon.cues(t.chars, t.length), t.length, new double[DENSE.length]);
  }

  private static double[] dense(LexiconRefusalScorer.Cues p, int length, double[] out) {
    double refusalOpening = Math.min(p.refusalOpening, 6) / 6;
    double complyOpening = Math.min(p.complyOpening, 5) / 5;
    double logLength = Math.log1p(Math.min(length, 4000)) / LOG_LENGTH_SCALE;
    boolean refusedEarly = p.firstRefusal >= 0 && p.firstRefusal < LexiconRefusalScorer.OPENING_CHARS;
    double laterRefusal = Math.min(p.refusalMiddle + p.refusalLate + p.pushbackLater, 6) / 6;
    out[0] = Math.max(-2, Math.min(2, p.logit / 5));
    out[1] = refusalOpening;
    out[2] = Math.min(p.refusalMiddle, 6) / 6;
    out[3] = Math.min(p.refusalLate, 6) / 6;
    out[4] = Math.min(p.pushbackOpening, 4) / 4;
    out[5] = Math.min(p.pushbackLater, 4) / 4;
    out[6] = complyOpening;
    out[7] = refusedEarly ? Math.min(p.complyAfterRefusal, 5) / 5 : 0;
    out[8] = complyOpening > 0 ? laterRefusal : 0;
    out[9] = logLength;
    out[10] = refusalOpening * (1 - logLength);
    return out;
  }

  private static final class Holder {
    static final LinearRefusalScorer BUILTIN =
        new LinearRefusalScorer(RefusalModel.fromResource(RESOURCE, KIND), LexiconRefusalScorer.builtin());
  }
}
