package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CusumLatticeTest {

  @ParameterizedTest(name = "p0={0}, p1={1}")
  @CsvSource({"0.05, 0.0667", "0.05, 0.20", "0.0001, 0.0168", "0.30, 0.45", "0.90, 0.95", "0.50, 0.5167"})
  void stepsStayOnTheSafeSideOfTheLogLikelihoodRatio(double p0, double p1) {
    CusumLattice lattice = CusumLattice.forRates(p0, p1);
    double up = Math.log(p1 / p0);
    double down = Math.log1p(-p0) - Math.log1p(-p1);
    assertThat(lattice.up() * lattice.unit()).isLessThanOrEqualTo(up);
    assertThat(lattice.down() * lattice.unit()).isGreaterThanOrEqualTo(down);
    // One step is exact; the other within the 1% ratio tolerance.
    double ratio = (double) lattice.up() / lattice.down();
    assertThat(ratio).isCloseTo(up / down, within(0.01 * up / down));
  }

  /** The banded, nested solve against a dense Gaussian elimination with partial pivoting. */
  @ParameterizedTest(name = "p0={0}, p1={1}, rate={2}, N={3}")
  @CsvSource({"0.05, 0.20, 0.05, 40", "0.05, 0.0667, 0.05, 300", "0.30, 0.45, 0.30, 60", "0.90, 0.95, 0.90, 200",
      "0.05, 0.10, 0.02, 150", "0.0001, 0.0168, 0.0001, 250"})
  void averageRunLengthMatchesADenseSolveOfTheMarkovChain(double p0, double p1, double rate, int levels) {
    CusumLattice lattice = CusumLattice.forRates(p0, p1);
    double dense = denseArl(lattice, rate, levels);
    assertThat(lattice.averageRunLength(rate, levels)).isCloseTo(dense, within(1e-9 * dense));
  }

  /** The exact ARL against run lengths of the chart itself, simulated. */
  @ParameterizedTest(name = "p0={0}, p1={1}")
  @CsvSource({"0.05, 0.20", "0.05, 0.10", "0.30, 0.45"})
  void averageRunLengthMatchesSimulatedRunLengths(double p0, double p1) {
    CusumLattice lattice = CusumLattice.forRates(p0, p1);
    long levels = lattice.thresholdLevels(p0, 400);
    double exact = lattice.averageRunLength(p0, levels);
    assertThat(BernoulliCusum.createForArl0(p0, p1, 400).threshold()).isEqualTo(levels * lattice.unit());
    SplittableRandom random = new SplittableRandom(17);
    int runs = 4000;
    double sum = 0;
    double sumSquares = 0;
    for (int run = 0; run < runs; run++) {
      BernoulliCusum chart = BernoulliCusum.createForArl0(p0, p1, 400);
      long n = 0;
      do {
        n++;
      } while (chart.update(random.nextDouble() < p0) != BernoulliCusum.Transition.FIRED);
      sum += n;
      sumSquares += (double) n * n;
    }
    double mean = sum / runs;
    double standardError = Math.sqrt((sumSquares / runs - mean * mean) / runs);
    assertThat(mean).isCloseTo(exact, within(4 * standardError));
    assertThat(exact).isGreaterThanOrEqualTo(400);
  }

  @ParameterizedTest(name = "p0={0}, p1={1}")
  @CsvSource({"0.05, 0.0667", "0.05, 0.10", "0.05, 0.20", "0.04, 0.09", "0.01, 0.0267", "0.90, 0.95",
      "0.98, 0.995", "0.0001, 0.0168"})
  void solvedThresholdIsTheSmallestThatMeetsTheTargetAndBelowLordens(double p0, double p1) {
    double arl0 = 1.8e8;
    CusumLattice lattice = CusumLattice.forRates(p0, p1);
    long levels = lattice.thresholdLevels(p0, arl0);
    assertThat(lattice.averageRunLength(p0, levels)).isGreaterThanOrEqualTo(arl0);
    assertThat(lattice.averageRunLength(p0, levels - 1)).isLessThan(arl0);
    assertThat(levels * lattice.unit()).isLessThan(Math.log(arl0) - 1.5);
  }

  @Test
  void lordensBoundHoldsOnTheLattice() {
    CusumLattice lattice = CusumLattice.forRates(0.05, 0.0667);
    long lorden = lattice.levelsFor(Math.log(1e4));
    assertThat(lattice.averageRunLength(0.05, lorden)).isGreaterThanOrEqualTo(1e4);
  }

  @Test
  void aLowerTrueRateOnlyLengthensTheRun() {
    CusumLattice lattice = CusumLattice.forRates(0.05, 0.10);
    long levels = lattice.thresholdLevels(0.05, 1e6);
    assertThat(lattice.averageRunLength(0.03, levels)).isGreaterThan(lattice.averageRunLength(0.05, levels));
    assertThat(lattice.averageRunLength(0.08, levels)).isLessThan(1e6);
  }

  @Test
  void rejectsBadArguments() {
    assertThatThrownBy(() -> CusumLattice.forRates(0.2, 0.1)).isInstanceOf(IllegalArgumentException.class);
    CusumLattice lattice = CusumLattice.forRates(0.05, 0.10);
    assertThatThrownBy(() -> lattice.thresholdLevels(0.05, 1)).hasMessageContaining("arl0");
    assertThatThrownBy(() -> lattice.averageRunLength(1.0, 10)).hasMessageContaining("rate");
    assertThatThrownBy(() -> lattice.averageRunLength(0.0, 10)).hasMessageContaining("rate");
    assertThatThrownBy(() -> lattice.averageRunLength(0.05, 0)).hasMessageContaining("levels");
  }

  /** ARL from level 0: solves (I - Q) x = 1 densely, with partial pivoting. */
  private static double denseArl(CusumLattice lattice, double rate, int n) {
    double[][] m = new double[n][n + 1];
    for (int k = 0; k < n; k++) {
      m[k][k] += 1;
      if (k + lattice.up() < n) {
        m[k][k + lattice.up()] -= rate;
      }
      m[k][Math.max(0, k - lattice.down())] -= 1 - rate;
      m[k][n] = 1;
    }
    for (int col = 0; col < n; col++) {
      int pivot = col;
      for (int r = col + 1; r < n; r++) {
        if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) {
          pivot = r;
        }
      }
      double[] swap = m[col];
      m[col] = m[pivot];
      m[pivot] = swap;
      for (int r = 0; r < n; r++) {
        if (r != col && m[r][col] != 0) {
          double f = m[r][col] / m[col][col];
          for (int c = col; c <= n; c++) {
            m[r][c] -= f * m[col][c];
          }
        }
      }
    }
    return m[0][n] / m[0][0];
  }
}
