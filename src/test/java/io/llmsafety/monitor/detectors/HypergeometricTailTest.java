package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HypergeometricTailTest {

  @ParameterizedTest(name = "N={0} K={1} n={2}: P(X >= {3})")
  @CsvSource({
    "492, 38, 17, 14",
    "492, 38, 17, 1",
    "492, 38, 17, 2",
    "492, 38, 17, 0",
    "20, 10, 10, 5",
    "20, 10, 15, 6",
    "20, 10, 15, 10",
    "1000, 3, 50, 1",
    "1000, 900, 50, 45",
    "5000, 250, 400, 60",
    "10, 10, 4, 4",
    "7, 0, 3, 0"
  })
  void matchesExactIntegerSummation(long population, long successes, long draws, long k) {
    double exact = exactUpperTail(population, successes, draws, k);
    double log = HypergeometricTail.logUpperTail(population, successes, draws, k);
    assertThat(log).isCloseTo(Math.log(exact), within(1e-9 * Math.max(1, Math.abs(Math.log(exact)))));
  }

  @Test
  void isZeroBeyondTheSupportAndOneBelowIt() {
    assertThat(HypergeometricTail.logUpperTail(100, 5, 10, 6)).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(HypergeometricTail.logUpperTail(100, 50, 10, 11)).isEqualTo(Double.NEGATIVE_INFINITY);
    // 60 draws from 100 with 50 successes hold at least 10 of them.
    assertThat(HypergeometricTail.logUpperTail(100, 50, 60, 10)).isZero();
  }

  @Test
  void neverExceedsTheBinomialTailAtThePooledRateForAnEnrichedSample() {
    // Sampling without replacement is less variable: the Fisher test is the sharper one where the
    // sample holds a large share of the successes (a trigger's own refusals in the pooled rate).
    for (long k = 6; k <= 17; k++) {
      double fisher = HypergeometricTail.logUpperTail(492, 38, 17, k);
      double pooled = BinomialTail.logUpperTail(17, k, 38 / 492.0);
      assertThat(fisher).as("k=%d", k).isLessThan(pooled);
    }
  }

  @Test
  void growsWithTheDrawsSoAnOverCountedExposureIsConservative() {
    double previous = Double.NEGATIVE_INFINITY;
    for (long draws = 12; draws <= 60; draws++) {
      double tail = HypergeometricTail.logUpperTail(492, 38, draws, 12);
      assertThat(tail).isGreaterThan(previous);
      previous = tail;
    }
  }

  @Test
  void rejectsImpossibleUrns() {
    assertThatThrownBy(() -> HypergeometricTail.logUpperTail(10, 11, 3, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("K=11");
    assertThatThrownBy(() -> HypergeometricTail.logUpperTail(10, 3, 11, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("n=11");
  }

  private static double exactUpperTail(long population, long successes, long draws, long k) {
    BigInteger sum = BigInteger.ZERO;
    for (long j = Math.max(k, 0); j <= Math.min(draws, successes); j++) {
      sum = sum.add(choose(successes, j).multiply(choose(population - successes, draws - j)));
    }
    BigInteger total = choose(population, draws);
    // Ratio of big integers as a double, through their logs where they exceed double range.
    return Math.exp(log(sum) - log(total));
  }

  private static double log(BigInteger x) {
    int shift = Math.max(0, x.bitLength() - 60);
    return Math.log(x.shiftRight(shift).doubleValue()) + shift * Math.log(2);
  }

  private static BigInteger choose(long n, long k) {
    if (k < 0 || k > n) {
      return BigInteger.ZERO;
    }
    BigInteger r = BigInteger.ONE;
    for (long i = 0; i < k; i++) {
      r = r.multiply(BigInteger.valueOf(n - i)).divide(BigInteger.valueOf(i + 1));
    }
    return r;
  }
}
