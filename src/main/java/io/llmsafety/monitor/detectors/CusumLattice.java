package io.llmsafety.monitor.detectors;

/**
 * The integer lattice a {@link BernoulliCusum} runs on, and the exact in-control average run length
 * (ARL) of the chart on it, from which a threshold is solved instead of taken from Lorden's bound.
 *
 * <p><b>Lattice.</b> The chart adds {@code +up} for a watched event and {@code -down} otherwise, in
 * integer levels of {@code unit} nats. Both steps are rounded to the safe side of the
 * log-likelihood ratio ({@code up × unit <= ln(p1/p0)}, {@code down × unit >= ln((1-p0)/(1-p1))},
 * one of them exact) with the step ratio within 1% where a denominator up to 64 allows. So the
 * lattice statistic never exceeds the exact LLR chart's, Lorden's {@code ARL0 >= e^h} still holds
 * for it, the loss of power is second order (it is the LLR chart of a nearby alternative), and the
 * statistic in nats reads like the continuous chart's. Integer state also makes "back at 0" exact.
 *
 * <p><b>Exact ARL.</b> On the lattice the chart is a finite Markov chain (Brook and Evans 1972):
 * levels {@code 0 .. N-1} are transient, {@code N} and above (the threshold) absorb. The ARL from
 * level 0 is {@code x_0} where {@code (I - Q) x = 1}, {@code Q} the transitions among transient
 * levels. {@code I - Q} is banded ({@code down} below the diagonal, {@code up} above) and a
 * nonsingular M-matrix, so LU without pivoting is stable and every term of the substitutions is
 * non-negative (no cancellation). The system for threshold {@code N} is the leading {@code N × N}
 * block of the one for any larger threshold, so one factorization serves every {@code N} and the
 * smallest {@code N} meeting a target is found by bisection on back-substitutions.
 *
 * <p><b>Guarantee.</b> The ARL is exact for the chart that runs (no diffusion or asymptotic
 * approximation; floating-point error is far below the 1e-6 margin kept). It is computed at the
 * tuned {@code p0}; a lower true rate gives fewer up-steps on every path, so a longer run: the
 * figure is a lower bound for every true rate {@code <= p0}. Lorden's {@code ARL0 >= e^h} holds
 * only for an exact LLR chart and is loose here by factors of 6 to 200, which is what the solved
 * threshold gives back (docs/detection-evaluation.md).
 */
public final class CusumLattice {

  /** Largest denominator tried when approximating the step ratio. */
  private static final int MAX_DENOMINATOR = 64;
  /** A ratio error within this fraction is taken at the smallest denominator that reaches it. */
  private static final double RATIO_TOLERANCE = 0.01;
  /** Banded storage above this many doubles (32 MB) is not allocated: the threshold is Lorden's. */
  private static final long MAX_BAND_CELLS = 4_000_000;
  /** The solved threshold must clear the target by this relative margin (floating-point error). */
  private static final double MARGIN = 1e-6;

  private final int up;
  private final int down;
  private final double unit;

  private CusumLattice(int up, int down, double unit) {
    this.up = up;
    this.down = down;
    this.unit = unit;
  }

  /** The lattice for a chart that watches a rise from {@code p0} to {@code p1}. */
  public static CusumLattice forRates(double p0, double p1) {
    if (!(p0 > 0 && p0 < p1 && p1 < 1)) {
      throw new IllegalArgumentException("need 0 < p0 < p1 < 1, was p0=" + p0 + ", p1=" + p1);
    }
    double a = Math.log(p1 / p0);
    double b = Math.log1p(-p0) - Math.log1p(-p1);
    double ratio = a / b;
    CusumLattice best = null;
    double bestError = Double.POSITIVE_INFINITY;
    for (int m = 1; m <= MAX_DENOMINATOR; m++) {
      CusumLattice l = ratio >= 1 ? belowLlr(a, b, (int) Math.floor(ratio * m), m, b / m)
          : belowLlr(a, b, m, (int) Math.ceil(m / ratio), a / m);
      double error = (ratio - (double) l.up / l.down) / ratio;
      if (error < bestError) {
        best = l;
        bestError = error;
      }
      if (error <= RATIO_TOLERANCE) {
        break;
      }
    }
    return best;
  }

  /** Steps rounded to the safe side of the LLR: at most {@code a} up, at least {@code b} down. */
  private static CusumLattice belowLlr(double a, double b, int up, int down, double unit) {
    int u = Math.max(1, up);
    int d = Math.max(1, down);
    while (u > 1 && u * unit > a) {
      u--;
    }
    while (d * unit < b) {
      d++;
    }
    return new CusumLattice(u, d, unit);
  }

  /** Restores a lattice from its parts (state written by {@link BernoulliCusum}). */
  static CusumLattice of(int up, int down, double unit) {
    if (up < 1 || down < 1 || !(unit > 0) || Double.isInfinite(unit)) {
      throw new IllegalArgumentException("bad lattice: up=" + up + ", down=" + down + ", unit=" + unit);
    }
    return new CusumLattice(up, down, unit);
  }

  public int up() {
    return up;
  }

  public int down() {
    return down;
  }

  /** Nats per level. */
  public double unit() {
    return unit;
  }

  /** The smallest number of levels that reaches {@code nats}: a threshold given in nats. */
  public long levelsFor(double nats) {
    return Math.max(1, (long) Math.ceil(nats / unit));
  }

  /**
   * The exact in-control ARL of the chart on this lattice with threshold {@code levels}, when each
   * observation is a watched event with probability {@code rate}.
   */
  public double averageRunLength(double rate, long levels) {
    checkRate(rate);
    if (levels < 1) {
      throw new IllegalArgumentException("levels must be >= 1, was " + levels);
    }
    Band band = factor(rate, Math.toIntExact(levels));
    return band.arl(Math.toIntExact(levels));
  }

  /**
   * The smallest threshold, in levels, whose exact ARL at {@code rate} is at least {@code arl0}; never
   * more than Lorden's {@code ln(arl0)} rounded up to a level, which still holds on this lattice and
   * is used as it is when the system would be too large to solve (a tiny shift at a long ARL0).
   */
  public long thresholdLevels(double rate, double arl0) {
    checkRate(rate);
    if (!(arl0 > 1) || Double.isInfinite(arl0)) {
      throw new IllegalArgumentException("arl0 must be finite and > 1, was " + arl0);
    }
    long lorden = levelsFor(Math.log(arl0));
    if (lorden * (long) (up + down + 1) > MAX_BAND_CELLS) {
      return lorden;
    }
    int max = (int) lorden;
    Band band = factor(rate, max);
    double target = arl0 * (1 + MARGIN);
    if (band.arl(max) < target) {
      // Cannot happen in exact arithmetic (Lorden's bound holds on this lattice); keep the bound.
      return lorden;
    }
    int lo = 0; // ARL(lo) < target or lo == 0
    int hi = max; // ARL(hi) >= target
    while (hi - lo > 1) {
      int mid = (lo + hi) >>> 1;
      if (band.arl(mid) >= target) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    return hi;
  }

  private static void checkRate(double rate) {
    // At rate 0 the chart never leaves level 0: no finite run length to solve for.
    if (!(rate > 0 && rate < 1)) {
      throw new IllegalArgumentException("rate must be in (0,1), was " + rate);
    }
  }

  /** LU factors of {@code I - Q} for thresholds up to {@code n} levels, in band storage. */
  private Band factor(double rate, int n) {
    int width = up + down + 1; // columns k-down .. k+up of row k
    double[] a = new double[n * width];
    double q = 1 - rate;
    for (int k = 0; k < n; k++) {
      a[k * width + down] += 1;
      if (k + up < n) {
        a[k * width + down + up] -= rate;
      }
      int to = Math.max(0, k - down);
      a[k * width + down + (to - k)] -= q;
    }
    for (int j = 0; j < n; j++) {
      double pivot = a[j * width + down];
      int lastRow = Math.min(n - 1, j + down);
      int lastCol = Math.min(n - 1, j + up);
      for (int i = j + 1; i <= lastRow; i++) {
        int ij = i * width + down + (j - i);
        double l = a[ij] / pivot;
        if (l == 0) {
          continue;
        }
        a[ij] = l;
        for (int c = j + 1; c <= lastCol; c++) {
          a[i * width + down + (c - i)] -= l * a[j * width + down + (c - j)];
        }
      }
    }
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      double s = 1;
      for (int j = Math.max(0, i - down); j < i; j++) {
        s -= a[i * width + down + (j - i)] * y[j];
      }
      y[i] = s;
    }
    return new Band(a, y, width);
  }

  private final class Band {
    private final double[] a;
    private final double[] y;
    private final int width;

    Band(double[] a, double[] y, int width) {
      this.a = a;
      this.y = y;
      this.width = width;
    }

    /** ARL from level 0 with the threshold at {@code n} levels (back-substitution on the leading block). */
    double arl(int n) {
      // A ring over the next `up` levels' solutions: only those enter row i of U.
      double[] ring = new double[up + 1];
      double result = 0;
      for (int i = n - 1; i >= 0; i--) {
        double s = y[i];
        int lastCol = Math.min(n - 1, i + up);
        for (int c = i + 1; c <= lastCol; c++) {
          s -= a[i * width + down + (c - i)] * ring[c % (up + 1)];
        }
        double xi = s / a[i * width + down];
        ring[i % (up + 1)] = xi;
        result = xi;
      }
      return result;
    }
  }
}
