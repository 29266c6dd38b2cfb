package io.llmsafety.monitor.detectors;

/**
 * Upper tail of the hypergeometric distribution (the one-sided Fisher exact test), in log space as
 * {@link BinomialTail}, so p-values far below {@code Double.MIN_VALUE} keep their logarithm.
 */
public final class HypergeometricTail {

  private HypergeometricTail() {}

  /**
   * Natural log of {@code P(X >= k)} for {@code X} the successes among {@code draws} taken without
   * replacement from {@code population} items of which {@code successes} are successes; relative
   * error about 1e-12.
   *
   * <p>As {@link BinomialTail#logUpperTail}: the terms are summed from {@code k} outward relative
   * to the first one (ratio {@code (K-j)(n-j) / ((j+1)(N-K-n+j+1))}), above the mean upward, below
   * it as the complement of the lower tail.
   */
  public static double logUpperTail(long population, long successes, long draws, long k) {
    if (population < 0 || successes < 0 || successes > population || draws < 0 || draws > population) {
      throw new IllegalArgumentException("need 0 <= successes, draws <= population, was N=" + population
          + ", K=" + successes + ", n=" + draws);
    }
    long lowest = Math.max(0, draws + successes - population);
    long highest = Math.min(draws, successes);
    if (k <= lowest) {
      return 0;
    }
    if (k > highest) {
      return Double.NEGATIVE_INFINITY;
    }
    double mean = (double) draws * successes / population;
    if (k > mean) {
      double sum = 1;
      double term = 1;
      for (long j = k; j < highest; j++) {
        term *= ratio(population, successes, draws, j);
        sum += term;
        if (term < sum * 1e-17) {
          break;
        }
      }
      return logPmf(population, successes, draws, k) + Math.log(sum);
    }
    double sum = 1;
    double term = 1;
    for (long j = k - 1; j > lowest; j--) {
      term /= ratio(population, successes, draws, j - 1);
      sum += term;
      if (term < sum * 1e-17) {
        break;
      }
    }
    double lower = Math.exp(logPmf(population, successes, draws, k - 1) + Math.log(sum));
    return Math.log1p(-Math.min(lower, 1.0));
  }

  /** {@code P(X = j+1) / P(X = j)}. */
  private static double ratio(long population, long successes, long draws, long j) {
    return (double) (successes - j) * (draws - j) / ((double) (j + 1) * (population - successes - draws + j + 1));
  }

  static double logPmf(long population, long successes, long draws, long k) {
    return BinomialTail.logChoose(successes, k) + BinomialTail.logChoose(population - successes, draws - k)
        - BinomialTail.logChoose(population, draws);
  }
}
