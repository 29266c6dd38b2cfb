package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ScoreDriftTest {

  /** Harm-score-like: most mass near 0, a long tail, and a block of exact zeros (ties). */
  private static double healthyScore(SplittableRandom r) {
    if (r.nextDouble() < 0.15) {
      return 0.0;
    }
    double u = r.nextDouble();
    return u * u * u * 0.4;
  }

  private static double shiftedScore(SplittableRandom r) {
    return r.nextDouble() < 0.25 ? 0.05 + 0.3 * r.nextDouble() : healthyScore(r);
  }

  @ParameterizedTest(name = "df={0}, alpha={1}")
  @CsvSource({"2, 0.05, 5.991", "10, 0.01, 23.209", "8, 0.001, 26.124", "9, 0.01, 23.209"})
  void chiSquareQuantileMatchesTablesWithOddDegreesRoundedUp(int df, double alpha, double expected) {
    assertThat(ScoreDrift.chiSquareUpperQuantile(df, alpha)).isCloseTo(expected, within(0.002));
  }

  /**
   * The chi-square approximation of the false-alarm probability, checked where it can be
   * simulated: at alpha = 1e-3 per window, 20,000 stationary windows give about 20 alarms (Poisson
   * sd ~4.5); the test allows 4 sd above that. Each window after an alarm is still tested (the
   * alarm clears after a quiet window), so every alarm is counted.
   */
  @Test
  void falseAlarmRateOnAStationaryStreamIsAtMostAlpha() {
    int window = 200;
    double alpha = 1e-3;
    ScoreDrift drift = new ScoreDrift(new ScoreDrift.Settings(true, 4000, window, 10, "warning", window / alpha), 1);
    SplittableRandom r = new SplittableRandom(3);
    int fired = 0;
    int windows = 20_000;
    for (long i = 0; i < 4000L + (long) windows * window; i++) {
      ScoreDrift.Verdict v = drift.observe(healthyScore(r), "e", null);
      if (v != null && v.firing()) {
        fired++;
      }
    }
    assertThat(fired).isLessThanOrEqualTo((int) (alpha * windows + 4 * Math.sqrt(alpha * windows)));
  }

  /**
   * The same approximation at the shipped operating point, where a stream cannot reach: the
   * packaged defaults test windows of 1,000 answered benign prompts against 1,500 counted reference
   * scores in 10 bins at alpha = 1,000 / 5.44e8 = 1.84e-6 per window. Ten million stationary
   * windows are drawn as bin counts (multinomial, bin probabilities from the deciles of 1,500
   * uniform scores, a new reference every 100 windows, as each variant has its own) and scored
   * with the class's PSI, scaling and threshold. Chi-square predicts at most 18.4 alarms; 53 in
   * 50 million were seen (1.06e-6, 0.58 alpha), so the test allows 4 sd above alpha.
   */
  @Test
  void falseAlarmRateAtTheShippedAlphaOfAboutTwoInAMillionWindowsIsAtMostAlpha() {
    ScoreDrift.Settings shipped = new ScoreDrift.Settings(true, 3000, 1000, 10, "warning", 5.4432e8);
    double alpha = shipped.windowEvents() / shipped.arl0();
    double threshold = ScoreDrift.nominalThreshold(shipped);
    int m = shipped.referenceEvents() / 2;
    int n = shipped.windowEvents();
    int bins = shipped.bins();
    SplittableRandom r = new SplittableRandom(7);
    long[] reference = new long[bins];
    long[] window = new long[bins];
    double[] p = new double[bins];
    int windows = 10_000_000;
    int fired = 0;
    // A shallow level too, where the tail is well known: 5.1e-4 of windows pass the 1e-3 threshold
    // (chi-square with 9 df; the quantile is taken at 10), so the sampler is not degenerate.
    double shallowThreshold = ScoreDrift.chiSquareUpperQuantile(bins - 1, 1e-3);
    int shallow = 0;
    for (int w = 0; w < windows; w++) {
      if (w % 100 == 0) {
        double[] u = new double[m];
        for (int i = 0; i < m; i++) {
          u[i] = r.nextDouble();
        }
        java.util.Arrays.sort(u);
        double previous = 0;
        for (int i = 0; i < bins - 1; i++) {
          double edge = u[(int) Math.ceil((i + 1) * m / (double) bins) - 1];
          p[i] = edge - previous;
          previous = edge;
        }
        p[bins - 1] = 1 - previous;
        multinomial(r, m, p, reference);
      }
      multinomial(r, n, p, window);
      double statistic = ScoreDrift.psi(reference, window) * n * m / (n + m);
      fired += statistic > threshold ? 1 : 0;
      shallow += statistic > shallowThreshold ? 1 : 0;
    }
    assertThat(shallow / (double) windows).isBetween(4.5e-4, 5.7e-4);
    assertThat(threshold).isCloseTo(45.4, within(0.05));
    assertThat(fired).isLessThanOrEqualTo((int) (alpha * windows + 4 * Math.sqrt(alpha * windows)));
  }

  private static void multinomial(SplittableRandom r, int n, double[] p, long[] counts) {
    double rest = 1;
    int left = n;
    for (int i = 0; i < p.length - 1; i++) {
      int c = binomial(r, left, Math.min(1, p[i] / rest));
      counts[i] = c;
      left -= c;
      rest -= p[i];
    }
    counts[p.length - 1] = left;
  }

  /** Exact inversion, outcomes taken from the mode outwards (any fixed order inverts exactly). */
  private static int binomial(SplittableRandom r, int n, double p) {
    if (n == 0 || p <= 0) {
      return 0;
    }
    if (p >= 1) {
      return n;
    }
    int mode = Math.min(n, (int) Math.floor((n + 1) * p));
    double atMode = Math.exp(BinomialTail.logChoose(n, mode) + mode * Math.log(p) + (n - mode) * Math.log1p(-p));
    double u = r.nextDouble();
    double cumulative = atMode;
    if (u < cumulative) {
      return mode;
    }
    double odds = p / (1 - p);
    double up = atMode;
    double down = atMode;
    int hi = mode;
    int lo = mode;
    while (hi < n || lo > 0) {
      if (hi < n) {
        up *= (double) (n - hi) / (hi + 1) * odds;
        hi++;
        cumulative += up;
        if (u < cumulative) {
          return hi;
        }
      }
      if (lo > 0) {
        down *= (double) lo / (n - lo + 1) / odds;
        lo--;
        cumulative += down;
        if (u < cumulative) {
          return lo;
        }
      }
    }
    return mode;
  }

  @Test
  void firesInTheFirstFullWindowAfterAShiftAndClearsAfterRecovery() {
    ScoreDrift drift = new ScoreDrift(new ScoreDrift.Settings(true, 4000, 1000, 10, "warning", 5e8), 3);
    SplittableRandom r = new SplittableRandom(4);
    List<ScoreDrift.Verdict> verdicts = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      ScoreDrift.Verdict v = drift.observe(healthyScore(r), "h" + i, null);
      if (v != null) {
        verdicts.add(v);
      }
    }
    assertThat(verdicts).isEmpty();
    assertThat(drift.armed()).isTrue();
    for (int i = 0; i < 1000; i++) {
      ScoreDrift.Verdict v = drift.observe(shiftedScore(r), "s" + i, null);
      if (v != null) {
        verdicts.add(v);
        assertThat(drift.evidenceIds()).isNotEmpty().allMatch(id -> id.startsWith("s"));
      }
    }
    assertThat(verdicts).singleElement().satisfies(v -> {
      assertThat(v.firing()).isTrue();
      assertThat(v.statistic()).isGreaterThanOrEqualTo(v.threshold());
      assertThat(v.windowMean()).isGreaterThan(v.referenceMean());
    });
    for (int i = 0; i < 3000; i++) {
      ScoreDrift.Verdict v = drift.observe(healthyScore(r), "h" + i, null);
      if (v != null) {
        verdicts.add(v);
      }
    }
    assertThat(verdicts).hasSize(2);
    assertThat(verdicts.get(1).firing()).isFalse();
  }

  @Test
  void ignoresNanAndStillTestsWhenTiesCollapseTheBins() {
    ScoreDrift drift = new ScoreDrift(new ScoreDrift.Settings(true, 100, 50, 5, "warning", 1e6), 1);
    for (int i = 0; i < 100; i++) {
      assertThat(drift.observe(Double.NaN, "n", null)).isNull();
      assertThat(drift.observe(0.01, "e", null)).isNull();
    }
    assertThat(drift.armed()).isTrue();
    // One distinct reference score: two bins, at or below it and above it. Chi-square with 1 df
    // (rounded up to 2).
    assertThat(drift.threshold()).isEqualTo(ScoreDrift.chiSquareUpperQuantile(2, 50 / 1e6));
    for (int i = 0; i < 1000; i++) {
      assertThat(drift.observe(0.01, "e", null)).isNull();
    }
    ScoreDrift.Verdict v = null;
    for (int i = 0; i < 50; i++) {
      v = drift.observe(0.9, "e", null);
    }
    assertThat(v).isNotNull();
    assertThat(v.firing()).isTrue();
  }

  @Test
  void roundTripsBeforeAndAfterArmingAndContinuesIdentically() throws IOException {
    ScoreDrift.Settings settings = new ScoreDrift.Settings(true, 400, 100, 8, "warning", 1e5);
    for (int prefix : new int[] {0, 1, 150, 250, 900}) {
      ScoreDrift original = new ScoreDrift(settings, 2);
      SplittableRandom r = new SplittableRandom(prefix);
      for (int i = 0; i < prefix; i++) {
        original.observe(healthyScore(r), "p" + i, null);
      }
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      original.writeTo(new DataOutputStream(bytes));
      ScoreDrift restored = ScoreDrift.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), settings, 2);
      SplittableRandom a = new SplittableRandom(99);
      SplittableRandom b = new SplittableRandom(99);
      for (int i = 0; i < 2_000; i++) {
        ScoreDrift.Verdict va = original.observe(i < 1000 ? healthyScore(a) : shiftedScore(a), "q" + i, null);
        ScoreDrift.Verdict vb = restored.observe(i < 1000 ? healthyScore(b) : shiftedScore(b), "q" + i, null);
        assertThat(vb).isEqualTo(va);
      }
    }
  }

  @Test
  void rejectsSettingsThatCannotFormATest() {
    assertThatThrownBy(() -> new ScoreDrift.Settings(true, 10, 100, 10, "warning", 1e6))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("reference_events");
  }

  // ---- determinism and state formats ----

  private static byte[] stateOf(ScoreDrift d) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      d.writeTo(new DataOutputStream(bytes));
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static ScoreDrift read(byte[] state, ScoreDrift.Settings settings) throws IOException {
    return ScoreDrift.readFrom(new DataInputStream(new ByteArrayInputStream(state)), settings, 3);
  }

  /** States after 1,400 scores (mid-reference), 1,500 (edges just set) and 6,000 (several windows). */
  private static List<byte[]> statesAlong(long seed) {
    ScoreDrift.Settings settings = new ScoreDrift.Settings(true, 3000, 1000, 10, "warning", 1e9);
    ScoreDrift d = new ScoreDrift(settings, 3);
    SplittableRandom r = new SplittableRandom(seed);
    List<byte[]> states = new ArrayList<>();
    for (int i = 1; i <= 6000; i++) {
      d.observe(i > 4000 ? shiftedScore(r) : healthyScore(r), "e" + i, null);
      if (i == 1400 || i == 1500 || i == 6000) {
        states.add(stateOf(d));
      }
    }
    states.add(String.format(java.util.Locale.ROOT, "%.12f %.12f", d.statistic(), d.threshold()).getBytes());
    return states;
  }

  @Test
  void shouldGiveTheSameEdgesStatisticsAndStateForTheSameScoresInOneJvmAndAcrossThreads() throws Exception {
    List<byte[]> first = statesAlong(41);
    List<byte[]> second = statesAlong(41);
    assertThat(second).zipSatisfy(first, (a, b) -> assertThat(a).isEqualTo(b));
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<List<byte[]>>> runs = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        runs.add(pool.submit(() -> statesAlong(41)));
      }
      for (java.util.concurrent.Future<List<byte[]>> run : runs) {
        assertThat(run.get()).zipSatisfy(first, (a, b) -> assertThat(a).isEqualTo(b));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void shouldSetEdgesAtTheExactQuantilesOfTheFirstHalf() {
    double[] scores = new double[1500];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = (scores.length - i) / 1500.0; // 1/1500 .. 1, in reverse order
    }
    assertThat(ScoreDrift.quantileEdges(scores, 10)).containsExactly(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9);
    assertThat(ScoreDrift.quantileEdges(new double[] {0, 0, 0, 0, 0.5, 0.7}, 3)).containsExactly(0.0);
    assertThat(ScoreDrift.quantileEdges(new double[] {0.3, 0.1, 0.2}, 3)).containsExactly(0.1, 0.2);
  }

  /** Version 1 of the state: the first half in a KLL sketch. */
  private static byte[] versionOneState(org.apache.datasketches.kll.KllDoublesSketch sketch, double[] edges,
      long[] reference, long referenceN, double referenceSum) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeByte(1);
    out.writeBoolean(sketch != null);
    if (sketch != null) {
      byte[] b = sketch.toByteArray();
      out.writeInt(b.length);
      out.write(b);
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
      for (int i = 0; i < reference.length; i++) {
        out.writeLong(0);
      }
    }
    out.writeLong(referenceN);
    out.writeDouble(referenceSum);
    out.writeLong(0);
    out.writeDouble(0);
    out.writeBoolean(false);
    out.writeDouble(0);
    new RecentEvidence(3).writeTo(out);
    return bytes.toByteArray();
  }

  @Test
  void shouldRestartAReferenceStillInAnOldSketchAndKeepFinishedEdges() throws IOException {
    ScoreDrift.Settings settings = new ScoreDrift.Settings(true, 20, 10, 2, "warning", 1e9);
    org.apache.datasketches.kll.KllDoublesSketch sketch = org.apache.datasketches.kll.KllDoublesSketch.newHeapInstance(200);
    for (int i = 0; i < 7; i++) {
      sketch.update(i / 10.0);
    }
    ScoreDrift restarted = read(versionOneState(sketch, null, null, 0, 0), settings);
    assertThat(restarted.threshold()).isNaN();
    assertThat(stateOf(restarted)).isEqualTo(stateOf(new ScoreDrift(settings, 3)));
    for (int i = 0; i < 10; i++) {
      restarted.observe(i < 5 ? 0.1 : 0.9, "e" + i, null);
    }
    assertThat(restarted.threshold()).isFinite(); // edges from the ten scores after the restore

    ScoreDrift finished = read(versionOneState(null, new double[] {0.25}, new long[] {4, 3}, 7, 2.0), settings);
    assertThat(finished.threshold()).isEqualTo(ScoreDrift.chiSquareUpperQuantile(1, 10 / 1e9));
    for (int i = 0; i < 3; i++) {
      finished.observe(0.5, "e" + i, null);
    }
    assertThat(finished.armed()).isTrue();
    ScoreDrift again = read(stateOf(finished), settings);
    assertThat(stateOf(again)).isEqualTo(stateOf(finished));
    assertThat(again.describe()).startsWith("reference 10, window 0");
  }

  @Test
  void shouldKeepAReferenceHalfAcrossAStateRoundTrip() throws IOException {
    ScoreDrift.Settings settings = new ScoreDrift.Settings(true, 3000, 1000, 10, "warning", 1e9);
    ScoreDrift straight = new ScoreDrift(settings, 3);
    ScoreDrift restored = new ScoreDrift(settings, 3);
    SplittableRandom r = new SplittableRandom(5);
    for (int i = 0; i < 3000; i++) {
      double score = healthyScore(r);
      straight.observe(score, "e" + i, null);
      restored.observe(score, "e" + i, null);
      if (i % 700 == 0) {
        restored = read(stateOf(restored), settings);
      }
    }
    assertThat(stateOf(restored)).isEqualTo(stateOf(straight));
    assertThat(restored.armed()).isTrue();
  }
}
