package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.junit.jupiter.api.Test;

class WindowAccumulatorTest {

  private static final long MINUTE = 60_000;
  private static final long START = 1_793_577_600_000L;

  private static byte[] stateOf(WindowAccumulator w) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      w.writeTo(new DataOutputStream(bytes));
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static WindowAccumulator read(byte[] state) throws IOException {
    return WindowAccumulator.readFrom(new DataInputStream(new ByteArrayInputStream(state)));
  }

  /** Harm-score-like: a block of exact zeros, most mass near 0, a tail to 1. */
  private static double score(SplittableRandom r) {
    if (r.nextDouble() < 0.2) {
      return 0.0;
    }
    double u = r.nextDouble();
    return u * u * u;
  }

  private static double[] scores(long seed, int n) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] s = new double[n];
    for (int i = 0; i < n; i++) {
      s[i] = score(r);
    }
    return s;
  }

  private static WindowStats window(double[] scores) {
    WindowAccumulator w = new WindowAccumulator(MINUTE);
    for (int i = 0; i < scores.length; i++) {
      w.add("v", "base", START + i % 1000, i % 3 == 0, false, false, scores[i]);
    }
    return w.closeIfComplete("v", "base", START + MINUTE);
  }

  /** The smallest score with at least a share q of scores at or below it. */
  private static double exactQuantile(double[] scores, double q) {
    double[] sorted = scores.clone();
    Arrays.sort(sorted);
    return sorted[(int) Math.max(1, Math.ceil(q * sorted.length)) - 1];
  }

  @Test
  void shouldGiveExactQuantilesWhileTheWindowHoldsFewScores() {
    double[] few = scores(3, WindowAccumulator.EXACT_SCORES);
    WindowStats stats = window(few);
    assertThat(stats.harmP50()).isEqualTo(exactQuantile(few, 0.5));
    assertThat(stats.harmP90()).isEqualTo(exactQuantile(few, 0.9));
    assertThat(stats.harmP99()).isEqualTo(exactQuantile(few, 0.99));
    assertThat(window(new double[] {0.4}).harmP99()).isEqualTo(0.4);
    assertThat(window(new double[] {Double.NaN}).harmP50()).isNaN();
  }

  @Test
  void shouldGiveQuantilesWithinHalfABinOfTheExactOnesForManyScores() {
    for (long seed = 1; seed <= 5; seed++) {
      double[] many = scores(seed, 20_000);
      WindowStats stats = window(many);
      double halfBin = 0.5 / WindowAccumulator.BINS;
      assertThat(stats.harmP50()).isCloseTo(exactQuantile(many, 0.5), within(halfBin + 1e-12));
      assertThat(stats.harmP90()).isCloseTo(exactQuantile(many, 0.9), within(halfBin + 1e-12));
      assertThat(stats.harmP99()).isCloseTo(exactQuantile(many, 0.99), within(halfBin + 1e-12));
    }
    double[] zeros = new double[500];
    assertThat(window(zeros).harmP99()).isZero(); // bounded by the largest score, not the bin's midpoint
  }

  private static List<Object> run(double[] scores) {
    WindowAccumulator w = new WindowAccumulator(MINUTE);
    List<Object> out = new ArrayList<>();
    for (int i = 0; i < scores.length; i++) {
      WindowStats closed = w.add("v", "base", START + i * 20L, i % 3 == 0, false, false, scores[i]);
      if (closed != null) {
        out.add(closed);
      }
      if (i % 997 == 0) {
        out.add(stateOf(w));
      }
    }
    return out;
  }

  @Test
  void shouldGiveTheSameQuantilesAndStateForTheSameScoresInOneJvmAndAcrossThreads() throws Exception {
    double[] scores = scores(11, 30_000); // 3,000 scores a window: past any sketch's exact range
    List<Object> first = run(scores);
    assertThat(first).hasSizeGreaterThan(30);
    assertThat(run(scores)).usingRecursiveFieldByFieldElementComparator().isEqualTo(first);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<List<Object>>> runs = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        runs.add(pool.submit(() -> run(scores)));
      }
      for (Future<List<Object>> r : runs) {
        assertThat(r.get()).usingRecursiveFieldByFieldElementComparator().isEqualTo(first);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void shouldCloseTheSameWindowAfterAStateRoundTripAndStaySmall() throws IOException {
    for (int n : new int[] {10, WindowAccumulator.EXACT_SCORES, 5_000}) {
      double[] s = scores(n, n);
      WindowAccumulator straight = new WindowAccumulator(MINUTE);
      WindowAccumulator restored = new WindowAccumulator(MINUTE);
      for (int i = 0; i < n; i++) {
        straight.add("v", "base", START + i % 1000, false, false, false, s[i]);
        restored.add("v", "base", START + i % 1000, false, false, false, s[i]);
        if (i % 37 == 0) {
          restored = read(stateOf(restored));
        }
      }
      assertThat(stateOf(restored)).isEqualTo(stateOf(straight));
      assertThat(stateOf(straight).length).isLessThan(1_000);
      assertThat(restored.closeIfComplete("v", "base", START + MINUTE))
          .isEqualTo(straight.closeIfComplete("v", "base", START + MINUTE));
    }
  }

  @Test
  void shouldReadAWindowOfTheSketchFormat() throws IOException {
    double[] s = scores(7, 150);
    KllDoublesSketch sketch = KllDoublesSketch.newHeapInstance(200);
    for (double x : s) {
      sketch.update(x);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeByte(1);
    out.writeLong(MINUTE);
    out.writeLong(START);
    for (long count : new long[] {50, 10, 5, 100, 2, 1}) {
      out.writeLong(count);
    }
    byte[] b = sketch.toByteArray();
    out.writeInt(b.length);
    out.write(b);
    WindowStats stats = read(bytes.toByteArray()).closeIfComplete("v", "base", START + MINUTE);
    assertThat(stats.riskyEvents()).isEqualTo(50);
    assertThat(stats.benignHarmful()).isEqualTo(1);
    // 150 scores did not compact the k=200 sketch: its items are the scores themselves.
    assertThat(stats.harmP50()).isCloseTo(exactQuantile(s, 0.5), within(0.5 / WindowAccumulator.BINS));
    assertThat(stats.harmP99()).isCloseTo(exactQuantile(s, 0.99), within(0.5 / WindowAccumulator.BINS));
  }
}
