package io.llmsafety.monitor.detectors;

/**
 * Likelihood that a prompt asks for harmful help, from weighted general vocabulary of harm
 * domains (weapons, explosives, cybercrime, fraud, drug synthesis, violence, self-harm, hate,
 * harassment, deception), intent cues (evading detection, a specific victim) and request framing
 * ("how do I", "write a", "step-by-step"), minus contexts that make harm words benign (technical
 * "kill a process", games, cooking, history and definitions, protection). File: {@code
 * detectors/prompt-risk-cues.txt}.
 *
 * <p>The score is {@code sigmoid(bias + capped harm + intent + framing + benign)}, where intent
 * and framing only count when a harm cue is present, so "how do I bake bread" stays low.
 * Measured at threshold 0.5: AdvBench recall 92.9%, HarmBench standard+contextual recall 63.3%
 * (copyright 2%), AlpacaEval false-positive rate 2.5%, XSTest unsafe-vs-safe accuracy 69.1%
 * (recall 42.0%, FPR 9.2%); see {@code detectors/README.md} and {@code
 * LexiconPromptRiskScorerDataTest}. Known limits: lexical, so it misses harmful requests in
 * neutral words (copyright "lyrics of ..." behaviours, paraphrase attacks) and flags benign
 * questions about harm topics (XSTest homonyms and safe contexts).
 */
public final class LexiconPromptRiskScorer implements PromptRiskScorer {

  /** Prompts are scored on their first characters; jailbreak wrappers rarely hide the goal later. */
  static final int SCAN_CHARS = 4000;

  private static final double BIAS = -2.8;
  private static final double HARM_CAP = 5.0;
  private static final double INTENT_CAP = 3.0;
  private static final double REQUEST_CAP = 2.0;
  private static final double BENIGN_CAP = -4.0;

  private final WeightedLexicon lexicon;
  private final int harm;
  private final int intent;
  private final int request;
  private final int benign;

  private LexiconPromptRiskScorer(WeightedLexicon lexicon) {
    this.lexicon = lexicon;
    this.harm = lexicon.section("harm");
    this.intent = lexicon.section("intent");
    this.request = lexicon.section("request");
    this.benign = lexicon.section("benign");
  }

  /** The scorer with the lexicon shipped in the jar ({@code /detectors/prompt-risk-cues.txt}). */
  public static LexiconPromptRiskScorer builtin() {
    return Holder.BUILTIN;
  }

  /** A scorer with another lexicon on the classpath, in the same format. */
  public static LexiconPromptRiskScorer fromResource(String resource) {
    return new LexiconPromptRiskScorer(WeightedLexicon.load(resource));
  }

  @Override
  public double score(String prompt) {
    return sigmoid(logit(TextNormalizer.normalize(prompt)));
  }

  /** Log-odds for already normalised text; shared with {@link HeuristicHarmScorer}. */
  double logit(String normalized) {
    return logit(NormalizedText.of(normalized));
  }

  /** Memoised on the text: prompt risk v2 and harm v2 both need it for the same prompt. */
  double logit(NormalizedText normalized) {
    if (normalized.hasMemo(this)) {
      return normalized.memo();
    }
    Tally tally = tallies.get();
    tally.start();
    lexicon.scan(normalized, SCAN_CHARS, tally);
    double[] sums = tally.sums;
    double harmSum = Math.min(sums[0], HARM_CAP);
    double logit = harmSum <= 0
        ? BIAS
        : BIAS
            + harmSum
            + Math.min(sums[1], INTENT_CAP)
            + Math.min(sums[2], REQUEST_CAP)
            + Math.max(sums[3], BENIGN_CAP);
    normalized.memo(this, logit);
    return logit;
  }

  /** Per-thread sums of the first match of each phrase, reused across calls. */
  private final ThreadLocal<Tally> tallies = ThreadLocal.withInitial(Tally::new);

  private final class Tally implements PhraseMatcher.Visitor {
    final double[] sums = new double[4];
    /** Phrase p was seen in this call when seen[p] == call; no clearing between calls. */
    private final int[] seen = new int[lexicon.size()];
    private int call;

    void start() {
      java.util.Arrays.fill(sums, 0);
      if (++call == 0) {
        java.util.Arrays.fill(seen, 0);
        call = 1;
      }
    }

    @Override
    public void match(int p, int start) {
      if (seen[p] != call) {
        seen[p] = call;
        int s = lexicon.sectionOf(p);
        sums[s == harm ? 0 : s == intent ? 1 : s == request ? 2 : s == benign ? 3 : -1] +=
            lexicon.weight(p);
      }
    }
  }

  static double sigmoid(double x) {
    return 1.0 / (1.0 + Math.exp(-x));
  }

  private static final class Holder {
    static final LexiconPromptRiskScorer BUILTIN = fromResource("/detectors/prompt-risk-cues.txt");
  }
}
