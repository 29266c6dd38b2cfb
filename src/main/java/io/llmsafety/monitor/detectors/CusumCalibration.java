package io.llmsafety.monitor.detectors;

import java.util.SplittableRandom;

/**
 * Sharper thresholds for {@link BernoulliCusum} than the conservative {@code h = ln(ARL0)}.
 *
 * <p>{@code ln(ARL0)} guarantees the false-alarm rate but overshoots it: measured in-control run
 * lengths at {@code h = ln 500} are 3,700 to 21,000 events depending on {@code p0, p1}, so the
 * detector is slower than it needs to be. Here the ARL0 of a given {@code h} is computed from two
 * exact identities and Monte Carlo, then {@code h} is solved for.
 *
 * <p><b>Method.</b> The CUSUM is a sequence of cycles, each starting at {@code S = 0} and ending when
 * {@code S} returns to 0 or reaches {@code h}. By Wald's identity over the geometric number of
 * cycles (Siegmund 1985, ch. II), {@code ARL0 = E0[T] / P0(hit)} where {@code T} is a cycle's length.
 * Within a cycle {@code S} is the log-likelihood ratio of the cycle's observations, so by change of
 * measure {@code P0(hit) = E1[exp(-S_T); hit]}, estimated by simulating under {@code p1}, where
 * hitting is common. Cycles whose first observation is 0 end at once, so both expectations are
 * simulated conditional on a first 1 (a variance reduction). Both identities are exact; the only
 * error is Monte Carlo, whose relative standard error is returned and used as a safety margin.
 *
 * <p>Verified against direct simulation of run lengths in {@code CusumCalibrationTest}.
 */
public final class CusumCalibration {

  /** Cycles simulated per measure for one ARL0 estimate. */
  public static final int DEFAULT_CYCLES = 20_000;
  /** Standard errors subtracted from the ARL0 estimate before solving for {@code h}. */
  public static final double SAFETY_STANDARD_ERRORS = 3;

  private static final int SOLVER_ITERATIONS = 6;

  private CusumCalibration() {}

  /**
   * A Monte Carlo estimate of the in-control average run length.
   *
   * @param arl0 the estimate
   * @param relativeStandardError its standard error divided by the estimate
   */
  public record Arl0Estimate(double arl0, double relativeStandardError) {

    /** {@code arl0 * (1 - z * relativeStandardError)}, at least 1. */
    public double lowerBound(double z) {
      return Math.max(1, arl0 * (1 - z * relativeStandardError));
    }
  }

  /**
   * Estimates the in-control ARL of a {@link BernoulliCusum} with these parameters.
   *
   * @param cycles cycles simulated under each of {@code p0} and {@code p1}; cost grows with {@code
   *     h / KL(p1||p0)} per cycle
   * @param seed makes the estimate reproducible
   */
  public static Arl0Estimate estimateArl0(double p0, double p1, double h, int cycles, long seed) {
    BernoulliCusum.create(p0, p1, h); // validates
    if (cycles < 100) {
      throw new IllegalArgumentException("cycles must be >= 100, was " + cycles);
    }
    double up = Math.log(p1 / p0);
    double down = Math.log1p(-p1) - Math.log1p(-p0);
    SplittableRandom random = new SplittableRandom(seed);

    // E0[T] = 1 + p0 * E0[T - 1 | first observation is 1]
    double sumLen = 0;
    double sumLen2 = 0;
    for (int c = 0; c < cycles; c++) {
      double s = up;
      long len = 1;
      while (s < h && s > 0) {
        s += random.nextDouble() < p0 ? up : down;
        len++;
      }
      sumLen += len - 1;
      sumLen2 += (double) (len - 1) * (len - 1);
    }
    double meanExtra = sumLen / cycles;
    double varExtra = Math.max(0, sumLen2 / cycles - meanExtra * meanExtra);
    double cycleLength = 1 + p0 * meanExtra;
    double cycleLengthSe = p0 * Math.sqrt(varExtra / cycles);

    // P0(hit) = p1 * E1[exp(-S_T) 1{hit} | first observation is 1]
    double sumW = 0;
    double sumW2 = 0;
    for (int c = 0; c < cycles; c++) {
      double s = up;
      while (s < h && s > 0) {
        s += random.nextDouble() < p1 ? up : down;
      }
      if (s >= h) {
        double w = Math.exp(-s);
        sumW += w;
        sumW2 += w * w;
      }
    }
    double meanW = sumW / cycles;
    if (meanW == 0) {
      throw new IllegalStateException(
          "no simulated cycle reached h=" + h + "; increase cycles (was " + cycles + ")");
    }
    double varW = Math.max(0, sumW2 / cycles - meanW * meanW);
    double hitProbability = p1 * meanW;
    double hitProbabilitySe = p1 * Math.sqrt(varW / cycles);

    double rse =
        Math.sqrt(
            square(cycleLengthSe / cycleLength) + square(hitProbabilitySe / hitProbability));
    return new Arl0Estimate(cycleLength / hitProbability, rse);
  }

  /**
   * The smallest threshold (to solver precision) whose estimated ARL0, less {@link
   * #SAFETY_STANDARD_ERRORS} standard errors, reaches {@code arl0}; never above the conservative
   * {@link BernoulliCusum#thresholdForArl0(double)}, which holds regardless.
   *
   * <p>Costs a few {@link #estimateArl0} calls: compute it once per configuration, not per event.
   */
  public static double thresholdForArl0(double p0, double p1, double arl0, long seed) {
    double conservative = BernoulliCusum.thresholdForArl0(arl0);
    double target = Math.log(arl0);
    // ln ARL0(h) is close to h + c for a slowly varying c, so iterate on c (a secant step with
    // slope 1), re-using the seed so successive estimates share their random numbers.
    double h = conservative;
    for (int i = 0; i < SOLVER_ITERATIONS; i++) {
      double logArl = Math.log(estimateArl0(p0, p1, h, DEFAULT_CYCLES, seed).lowerBound(SAFETY_STANDARD_ERRORS));
      double next = Math.min(conservative, Math.max(1e-3, h + target - logArl));
      if (Math.abs(next - h) < 1e-3) {
        h = next;
        break;
      }
      h = next;
    }
    // The secant step can land just short; step up until the safety bound holds.
    for (int i = 0; i < 50 && h < conservative; i++) {
      if (estimateArl0(p0, p1, h, DEFAULT_CYCLES, seed).lowerBound(SAFETY_STANDARD_ERRORS) >= arl0) {
        return h;
      }
      h = Math.min(conservative, h + 0.02);
    }
    return conservative;
  }

  private static double square(double x) {
    return x * x;
  }
}
