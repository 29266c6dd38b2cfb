package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BinomialTailTest {

  @ParameterizedTest(name = "P(Binom({0}, {2}) >= {1})")
  @CsvSource({
    "10, 3, 0.2",
    "10, 1, 0.2",
    "10, 10, 0.2",
    "100, 2, 0.02",
    "100, 10, 0.02",
    "500, 40, 0.02",
    "500, 5, 0.02",
    "1000, 300, 0.02",
    "60, 30, 0.5",
    "7, 7, 0.9"
  })
  void matchesExactRationalSummation(long n, long k, double p) {
    double exact = exactUpperTail(n, k, p);
    double log = BinomialTail.logUpperTail(n, k, p);
    assertThat(log).isCloseTo(Math.log(exact), within(1e-9 * Math.max(1, Math.abs(Math.log(exact)))));
  }

  @Test
  void staysFiniteInLogSpaceFarBelowDoubleUnderflow() {
    // The p-value is below 1e-1000; its log must still be right. Chernoff sandwich:
    // -n KL(k/n || p) - ln(n+1) <= ln P(X >= k) <= -n KL(k/n || p).
    long n = 100_000;
    long k = 10_000;
    double p = 0.02;
    double log = BinomialTail.logUpperTail(n, k, p);
    double chernoff = -n * BernoulliCusum.klBernoulli((double) k / n, p);
    assertThat(log).isFinite().isLessThanOrEqualTo(chernoff).isGreaterThan(chernoff - Math.log(n + 1.0));
    assertThat(BinomialTail.upperTail(n, k, p)).isZero();
  }

  @Test
  void edgeCasesAreExact() {
    assertThat(BinomialTail.logUpperTail(10, 0, 0.3)).isZero();
    assertThat(BinomialTail.logUpperTail(10, -1, 0.3)).isZero();
    assertThat(BinomialTail.logUpperTail(10, 11, 0.3)).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(BinomialTail.logUpperTail(0, 1, 0.3)).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(BinomialTail.logUpperTail(10, 1, 0.0)).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(BinomialTail.logUpperTail(10, 10, 1.0)).isZero();
    assertThat(BinomialTail.upperTail(10, 10, 0.5)).isCloseTo(Math.pow(0.5, 10), within(1e-15));
  }

  @Test
  void logGammaMatchesFactorials() {
    assertThat(BinomialTail.logGamma(1)).isCloseTo(0, within(1e-13));
    assertThat(BinomialTail.logGamma(11)).isCloseTo(Math.log(3628800), within(1e-12));
    assertThat(BinomialTail.logGamma(0.5)).isCloseTo(0.5 * Math.log(Math.PI), within(1e-13));
  }

  @ParameterizedTest
  @CsvSource({"-1, 0.5", "10, -0.1", "10, 1.1", "10, NaN"})
  void rejectsInvalidArguments(long n, double p) {
    assertThatThrownBy(() -> BinomialTail.logUpperTail(n, 1, p))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static double exactUpperTail(long n, long k, double p) {
    MathContext mc = new MathContext(60);
    BigDecimal bp = new BigDecimal(p);
    BigDecimal bq = BigDecimal.ONE.subtract(bp);
    BigDecimal sum = BigDecimal.ZERO;
    for (long j = k; j <= n; j++) {
      BigDecimal term =
          new BigDecimal(choose(n, j)).multiply(bp.pow((int) j, mc), mc).multiply(bq.pow((int) (n - j), mc), mc);
      sum = sum.add(term, mc);
    }
    return sum.doubleValue();
  }

  private static BigInteger choose(long n, long k) {
    BigInteger r = BigInteger.ONE;
    for (long i = 1; i <= k; i++) {
      r = r.multiply(BigInteger.valueOf(n - k + i)).divide(BigInteger.valueOf(i));
    }
    return r;
  }
}
