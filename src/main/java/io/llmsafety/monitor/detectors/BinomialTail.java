package io.llmsafety.monitor.detectors;

/**
 * Upper tail of the binomial distribution, computed in log space so that p-values far below
 * {@code Double.MIN_VALUE} (e.g. 1e-400) stay exact in their logarithm.
 */
public final class BinomialTail {

  private static final double[] LANCZOS = {
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7
  };
  private static final double HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

  private BinomialTail() {}

  /** {@code P(Binom(n, p) >= k)}; may underflow to 0, use {@link #logUpperTail} when it matters. */
  public static double upperTail(long n, long k, double p) {
    return Math.exp(logUpperTail(n, k, p));
  }

  /**
   * Natural log of {@code P(X >= k)} for {@code X ~ Binom(n, p)}, relative error about 1e-12.
   *
   * <p>Sums the tail terms from {@code k} upward relative to the first one (their ratio is {@code
   * (n-j)/(j+1) * p/(1-p)}), so nothing underflows; below the mean it uses the complement of the
   * lower tail, which is then at least about one half.
   */
  public static double logUpperTail(long n, long k, double p) {
    if (n < 0) {
      throw new IllegalArgumentException("n must be >= 0, was " + n);
    }
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException("p must be in [0,1], was " + p);
    }
    if (k <= 0) {
      return 0;
    }
    if (k > n) {
      return Double.NEGATIVE_INFINITY;
    }
    if (p == 0) {
      return Double.NEGATIVE_INFINITY;
    }
    if (p == 1) {
      return 0;
    }
    double odds = p / (1 - p);
    if (k > n * p) {
      double sum = 1;
      double term = 1;
      for (long j = k; j < n; j++) {
        term *= (double) (n - j) / (j + 1) * odds;
        sum += term;
        if (term < sum * 1e-17) {
          break;
        }
      }
      return logPmf(n, k, p) + Math.log(sum);
    }
    // Lower tail P(X <= k-1), summed downward from k-1 relative to its first term.
    double sum = 1;
    double term = 1;
    for (long j = k - 1; j > 0; j--) {
      term *= (double) j / (n - j + 1) / odds;
      sum += term;
      if (term < sum * 1e-17) {
        break;
      }
    }
    double lower = Math.exp(logPmf(n, k - 1, p) + Math.log(sum));
    return Math.log1p(-Math.min(lower, 1.0));
  }

  /** Natural log of {@code P(X = k)} for {@code X ~ Binom(n, p)}, {@code 0 < p < 1}. */
  static double logPmf(long n, long k, double p) {
    return logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log1p(-p);
  }

  static double logChoose(long n, long k) {
    return logGamma(n + 1.0) - logGamma(k + 1.0) - logGamma(n - k + 1.0);
  }

  /** Lanczos approximation (g = 7, 9 terms) of {@code ln Gamma(x)} for {@code x > 0}. */
  static double logGamma(double x) {
    if (x < 0.5) {
      // Reflection keeps the series in its accurate range.
      return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
    }
    double z = x - 1;
    double a = LANCZOS[0];
    double t = z + 7.5;
    for (int i = 1; i < LANCZOS.length; i++) {
      a += LANCZOS[i] / (z + i);
    }
    return HALF_LOG_TWO_PI + (z + 0.5) * Math.log(t) - t + Math.log(a);
  }
}
