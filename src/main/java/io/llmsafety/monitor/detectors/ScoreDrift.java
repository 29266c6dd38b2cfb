package io.llmsafety.monitor.detectors;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.memory.Memory;

/**
 * Harm-score distribution drift for one variant: the population stability index (PSI) of each
 * window of {@code windowEvents} scores against a reference, over quantile bins of the reference.
 * Fed the harm scores of one segment only (the job feeds benign prompts that were answered, not
 * refused), so a change in the traffic mix or in refusals does not move it; what moves it is the
 * model answering ordinary requests differently, e.g. the subtle shift that identity-shifting or
 * clean-label fine-tuning leaves.
 *
 * <p>Reference, in two halves: the first half of {@code referenceEvents} scores is kept as is and
 * its exact quantiles become the bin edges (then the scores are dropped); the second half is
 * counted exactly in those bins. Exact rather than a sketch: DataSketches' KLL compacts with a
 * shared unseeded random generator, so its edges, and every statistic after them, would differ
 * between two replays of the same input; the half is small (1,500 doubles with the defaults). The edges are fixed before any counted score is
 * seen, so the counts are plain multinomial samples and the approximation below applies.
 *
 * <p>False alarms: for two independent multinomial samples of sizes {@code n} (window) and {@code
 * m} (reference) from the same distribution over {@code B} bins, {@code PSI · n·m/(n+m)} is
 * asymptotically chi-square with {@code B − 1} degrees of freedom (PSI is the symmetric KL
 * divergence, whose second-order expansion is the two-sample Pearson statistic). A window alarms
 * when that statistic exceeds the chi-square quantile at {@code α = windowEvents / arl0}, so on
 * stationary traffic the mean number of events between false alarms is at least {@code arl0}
 * (one test per window, windows disjoint). Degrees of freedom are rounded up to an even number,
 * where the tail has a closed form; the tail grows with the degrees of freedom, so this only makes
 * the threshold higher. The approximation is checked by simulation in {@code ScoreDriftTest}: at
 * α = 10^-3 on a stream, and at the shipped α = 1.84e-6 on 10^7 windows drawn as bin counts. In
 * 5·10^7 such windows the statistic passed the shipped threshold (45.4) in 1.06e-6 of them: more
 * than chi-square with 9 df gives there (7.8e-7; PSI's tail is a little heavier deep down), less
 * than α, thanks to the rounding up.
 *
 * <p>Detection delay: one window after the shift has filled it, plus the windows in which the
 * shifted share is too small; a shift with PSI above the threshold's {@code (1/n + 1/m) · χ²}
 * (about 0.08 with the defaults: 45.7 × (1/1000 + 1/1500)) is found in the first full window.
 */
public final class ScoreDrift {

  private static final byte VERSION = 2;
  /** Kept the first half of the reference in a KLL sketch; read, restarting a reference still in that half. */
  private static final byte VERSION_KLL_EDGES = 1;
  /** Added to every bin count so an empty bin does not make PSI infinite. */
  private static final double PSEUDO_COUNT = 0.5;

  /**
   * @param referenceEvents scores in the reference (half for the bin edges, half counted), {@code >= 2 · bins}
   * @param windowEvents scores per tested window
   * @param bins quantile bins of the reference, {@code >= 2}
   * @param arl0 mean scores between false alarms the threshold stands for
   */
  public record Settings(boolean enabled, int referenceEvents, int windowEvents, int bins, String severity, double arl0)
      implements Serializable {

    public Settings {
      if (enabled && (bins < 2 || referenceEvents < 2 * bins || windowEvents < bins || !(arl0 > windowEvents))) {
        throw new IllegalArgumentException("score drift needs bins >= 2, reference_events >= 2 * bins, window_events"
            + " >= bins and arl0 > window_events; got bins=" + bins + ", reference_events=" + referenceEvents
            + ", window_events=" + windowEvents + ", arl0=" + arl0);
      }
    }

    /** Off; for callers that predate this detector. */
    public static Settings disabled() {
      return new Settings(false, 4000, 1000, 10, "warning", 1e9);
    }
  }

  /** A window's verdict that changed the alarm state. */
  public record Verdict(boolean firing, double psi, double statistic, double threshold, long windowEvents,
      double windowMean, double referenceMean, long referenceEvents) {}

  private final Settings settings;
  /** The first half of the reference, until the edges are computed from it; null afterwards. */
  private double[] edgeScores;
  private int edgeScoresN;
  /** Upper edges of all bins but the last, strictly increasing; null until the first half is in. */
  private double[] edges;
  private long[] reference;
  private long referenceN;
  private double referenceSum;
  private long[] window;
  private long windowN;
  private double windowSum;
  private boolean firing;
  private double lastStatistic;
  private final RecentEvidence evidence;

  public ScoreDrift(Settings settings, int maxEvidence) {
    this.settings = settings;
    this.evidence = new RecentEvidence(maxEvidence);
  }

  public Settings settings() {
    return settings;
  }

  public boolean firing() {
    return firing;
  }

  /** Whether the reference is complete and windows are being tested. */
  public boolean armed() {
    return edges != null && referenceN >= settings.referenceEvents() - settings.referenceEvents() / 2;
  }

  /** The last window's chi-square-scaled PSI (0 before the first window). */
  public double statistic() {
    return lastStatistic;
  }

  /**
   * The threshold of {@link #statistic()}: NaN until the edges are known, infinite when the
   * reference edges collapse to none (cannot happen with {@code bins >= 2}; kept as a guard).
   */
  public double threshold() {
    if (edges == null) {
      return Double.NaN;
    }
    return edges.length == 0 ? Double.POSITIVE_INFINITY : chiSquareUpperQuantile(edges.length, alpha());
  }

  private double alpha() {
    return alpha(settings);
  }

  private static double alpha(Settings settings) {
    return Math.min(0.5, settings.windowEvents() / settings.arl0());
  }

  /** The threshold with all {@code bins} distinct (lower when tied reference scores merge bins). */
  public static double nominalThreshold(Settings settings) {
    return chiSquareUpperQuantile(settings.bins() - 1, alpha(settings));
  }

  /** Forgets the reference and any episode. */
  public void reset() {
    edgeScores = null;
    edgeScoresN = 0;
    edges = null;
    reference = null;
    window = null;
    referenceN = windowN = 0;
    referenceSum = windowSum = 0;
    firing = false;
    lastStatistic = 0;
    evidence.clear();
  }

  /**
   * Adds one score; NaN is ignored. Returns a verdict when a window closes and changes the alarm
   * state (fires, or clears when a window's statistic is below half the threshold), else null.
   */
  public Verdict observe(double score, String eventId, String text) {
    if (!settings.enabled() || Double.isNaN(score)) {
      return null;
    }
    int half = settings.referenceEvents() / 2;
    if (edges == null) {
      if (edgeScores == null) {
        edgeScores = new double[half];
      }
      edgeScores[edgeScoresN++] = score;
      if (edgeScoresN >= half) {
        freezeEdges();
      }
      return null;
    }
    int bin = bin(score);
    if (!armed()) {
      reference[bin]++;
      referenceN++;
      referenceSum += score;
      return null;
    }
    window[bin]++;
    windowN++;
    windowSum += score;
    if (bin == edges.length) {
      evidence.add(eventId, text); // top bin: the highest harm scores of the window
    }
    if (windowN < settings.windowEvents()) {
      return null;
    }
    double psi = psi(reference, window);
    double statistic = psi * referenceN * windowN / (double) (referenceN + windowN);
    double threshold = threshold();
    lastStatistic = statistic;
    Verdict v = new Verdict(!firing, psi, statistic, threshold, windowN, windowSum / windowN,
        referenceSum / referenceN, referenceN);
    boolean changed = false;
    if (!firing && statistic >= threshold) {
      firing = true;
      changed = true;
    } else if (firing && statistic < threshold / 2) {
      firing = false;
      changed = true;
    }
    Arrays.fill(window, 0);
    windowN = 0;
    windowSum = 0;
    if (!changed) {
      evidence.clear();
      return null;
    }
    return v;
  }

  /** Scores in the current test window so far; 0 right after a window closed, and before arming. */
  public long windowFill() {
    return windowN;
  }

  /** Evidence of the window that changed the state (its top-bin events), cleared after each window otherwise. */
  public List<String> evidenceIds() {
    return evidence.ids();
  }

  public List<String> evidenceTexts() {
    return evidence.texts();
  }

  /** Clears evidence after the caller has reported a verdict. */
  public void clearEvidence() {
    evidence.clear();
  }

  private void freezeEdges() {
    edges = quantileEdges(Arrays.copyOf(edgeScores, edgeScoresN), settings.bins());
    reference = new long[edges.length + 1];
    window = new long[edges.length + 1];
    edgeScores = null;
    edgeScoresN = 0;
  }

  /**
   * Upper edges of {@code bins} equal-count bins of {@code scores}: the exact quantile at each rank
   * {@code i / bins}, the smallest score with at least that share of scores at or below it (the
   * inclusive rule DataSketches used). Ties collapse edges; fewer bins is still a valid test.
   */
  static double[] quantileEdges(double[] scores, int bins) {
    double[] sorted = scores.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    double[] q = new double[bins - 1];
    for (int i = 0; i < q.length; i++) {
      long atOrBelow = ((long) (i + 1) * n + bins - 1) / bins; // ceil((i + 1) n / bins), in integers
      q[i] = sorted[(int) Math.max(0, atOrBelow - 1)];
    }
    return Arrays.stream(q).distinct().toArray();
  }

  /** Bin {@code i} holds scores in {@code (edges[i-1], edges[i]]}; the last bin everything above. */
  private int bin(double score) {
    int i = Arrays.binarySearch(edges, score);
    return i >= 0 ? i : -i - 1;
  }

  /** PSI {@code Σ (a_i − e_i) ln(a_i / e_i)} of two count vectors, each count plus {@link #PSEUDO_COUNT}. */
  static double psi(long[] expected, long[] actual) {
    double te = 0;
    double ta = 0;
    for (int i = 0; i < expected.length; i++) {
      te += expected[i] + PSEUDO_COUNT;
      ta += actual[i] + PSEUDO_COUNT;
    }
    double sum = 0;
    for (int i = 0; i < expected.length; i++) {
      double e = (expected[i] + PSEUDO_COUNT) / te;
      double a = (actual[i] + PSEUDO_COUNT) / ta;
      sum += (a - e) * Math.log(a / e);
    }
    return sum;
  }

  /**
   * Upper {@code alpha} quantile of chi-square with {@code df} degrees of freedom, {@code df}
   * rounded up to even: {@code P(χ²_2k > x) = e^(−x/2) Σ_{j<k} (x/2)^j / j!}, solved by bisection.
   */
  static double chiSquareUpperQuantile(int df, double alpha) {
    if (df < 1 || !(alpha > 0 && alpha < 1)) {
      throw new IllegalArgumentException("need df >= 1 and 0 < alpha < 1, got " + df + ", " + alpha);
    }
    int k = (df + 1) / 2;
    double lo = 0;
    double hi = 1;
    while (chiSquareEvenTail(k, hi) > alpha) {
      hi *= 2;
    }
    for (int i = 0; i < 100; i++) {
      double mid = (lo + hi) / 2;
      if (chiSquareEvenTail(k, mid) > alpha) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return hi;
  }

  /** {@code P(χ²_2k > x)}. */
  static double chiSquareEvenTail(int k, double x) {
    double half = x / 2;
    double term = 1;
    double sum = 1;
    for (int j = 1; j < k; j++) {
      term *= half / j;
      sum += term;
    }
    return Math.min(1, Math.exp(-half) * sum);
  }

  public String describe() {
    return String.format(Locale.ROOT, "reference %d, window %d, statistic %.2f / %.2f", referenceN, windowN,
        lastStatistic, threshold());
  }

  public void writeTo(DataOutput out) throws IOException {
    out.writeByte(VERSION);
    out.writeInt(edgeScoresN);
    for (int i = 0; i < edgeScoresN; i++) {
      out.writeDouble(edgeScores[i]);
    }
    out.writeBoolean(edges != null);
    if (edges != null) {
      out.writeInt(edges.length);
      for (double e : edges) {
        out.writeDouble(e);
      }
      for (long c : reference) {
        out.writeLong(c);
      }
      for (long c : window) {
        out.writeLong(c);
      }
    }
    out.writeLong(referenceN);
    out.writeDouble(referenceSum);
    out.writeLong(windowN);
    out.writeDouble(windowSum);
    out.writeBoolean(firing);
    out.writeDouble(lastStatistic);
    evidence.writeTo(out);
  }

  /**
   * Restores kept first-half scores; if the job now asks for fewer, the edges are computed at once
   * from the first {@code referenceEvents / 2}.
   */
  private void restoreEdgeScores(double[] scores) {
    if (scores.length == 0) {
      return;
    }
    int half = settings.referenceEvents() / 2;
    edgeScores = Arrays.copyOf(scores, Math.max(half, scores.length));
    edgeScoresN = scores.length;
    if (settings.enabled() && edgeScoresN >= half) {
      edgeScoresN = half;
      freezeEdges();
    }
  }

  public static ScoreDrift readFrom(DataInput in, Settings settings, int maxEvidence) throws IOException {
    byte version = in.readByte();
    if (version != VERSION && version != VERSION_KLL_EDGES) {
      throw new IOException("unknown ScoreDrift version " + version);
    }
    ScoreDrift d = new ScoreDrift(settings, maxEvidence);
    if (version == VERSION) {
      int n = in.readInt();
      int half = settings.referenceEvents() / 2;
      if (n < 0 || n > Math.max(half, 1_000_000)) {
        throw new IOException("corrupt ScoreDrift state: " + n + " reference scores");
      }
      double[] scores = new double[n];
      for (int i = 0; i < n; i++) {
        scores[i] = in.readDouble();
      }
      d.restoreEdgeScores(scores);
    } else if (in.readBoolean()) {
      // A KLL sketch of a reference still in its first half: its items are not all kept, so that
      // half starts again (at most reference_events / 2 answered benign scores later than before).
      byte[] sketch = new byte[in.readInt()];
      in.readFully(sketch);
      KllDoublesSketch.heapify(Memory.wrap(sketch)); // still checked, so corrupt state fails here
    }
    if (in.readBoolean()) {
      int n = in.readInt();
      if (n < 0 || n > 10_000) {
        throw new IOException("corrupt ScoreDrift state: " + n + " edges");
      }
      d.edges = new double[n];
      for (int i = 0; i < n; i++) {
        d.edges[i] = in.readDouble();
      }
      d.reference = new long[n + 1];
      d.window = new long[n + 1];
      for (int i = 0; i <= n; i++) {
        d.reference[i] = in.readLong();
      }
      for (int i = 0; i <= n; i++) {
        d.window[i] = in.readLong();
      }
    }
    d.referenceN = in.readLong();
    d.referenceSum = in.readDouble();
    d.windowN = in.readLong();
    d.windowSum = in.readDouble();
    d.firing = in.readBoolean();
    d.lastStatistic = in.readDouble();
    d.evidence.readFrom(in);
    return d;
  }
}
