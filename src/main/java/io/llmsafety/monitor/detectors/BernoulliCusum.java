package io.llmsafety.monitor.detectors;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * One-sided upper Bernoulli CUSUM (Page 1954) that detects a rise of a success rate from {@code p0}
 * to {@code p1 > p0}. Feed it {@code true} for the event being watched: a harmful response for a
 * harm-rise statistic, a <em>non</em>-refusal on a risky prompt for a refusal-drop statistic.
 *
 * <p>Each observation adds the log-likelihood ratio {@code ln(p1/p0)} (x = 1) or {@code
 * ln((1-p1)/(1-p0))} (x = 0), and the statistic is {@code S = max(0, S + llr)}. It fires when
 * {@code S >= h}. While alarmed, {@code S} is capped at {@code 2h}, so after the rate falls back the
 * statistic drains to 0 within a bounded time; the episode clears when {@code S} reaches 0. The gap
 * of {@code h} between firing and clearing is the hysteresis that keeps one episode from flapping.
 *
 * <p><b>False alarms.</b> With threshold {@code h}, the in-control average run length (events to a
 * false alarm while the true rate is {@code p0}) satisfies {@code ARL0 >= e^h} for every {@code
 * p0, p1} (Lorden 1971; Siegmund 1985, ch. II). {@link #thresholdForArl0(double)} therefore returns
 * {@code ln(arl0)}, which is conservative: the true ARL0 is larger, by 7x (3% to 40%) to 40x (3% to
 * 10%) at {@code h = ln 500} in simulation. {@link CusumCalibration#thresholdForArl0(double, double,
 * double, long)} solves for the smallest {@code h} that meets the target (verified by direct
 * simulation), which cuts detection delay by 15-60%; use it when the configuration is fixed.
 *
 * <p><b>Detection delay.</b> After a change to {@code p1} at a time when {@code S = 0}, the expected
 * delay is about {@code h / KL(p1 || p0)} (Lorden 1971, asymptotically optimal as {@code h} grows);
 * the overshoot of the last step adds a little, which {@link #expectedDetectionDelay} ignores.
 *
 * <p>Mutable and single-threaded: one instance per variant per statistic, held in keyed state.
 */
public final class BernoulliCusum {

  /** What an {@link #update(boolean)} did to the alarm state. */
  public enum Transition {
    /** The alarm state did not change. */
    NONE,
    /** The statistic reached the threshold: a new episode starts. */
    FIRED,
    /** The statistic drained back to 0: the episode is over. */
    CLEARED
  }

  static final byte SERIAL_VERSION = 1;

  private final double p0;
  private final double p1;
  private final double threshold;
  private final double llrPositive;
  private final double llrNegative;
  private double statistic;
  private boolean alarmed;
  private long observations;
  private long positives;

  private BernoulliCusum(double p0, double p1, double threshold) {
    this.p0 = p0;
    this.p1 = p1;
    this.threshold = threshold;
    this.llrPositive = Math.log(p1 / p0);
    this.llrNegative = Math.log1p(-p1) - Math.log1p(-p0);
  }

  /**
   * @param p0 in-control rate, {@code 0 < p0 < p1}
   * @param p1 out-of-control rate to detect, {@code p0 < p1 < 1}
   * @param threshold {@code h > 0}; see {@link #thresholdForArl0(double)}
   */
  public static BernoulliCusum create(double p0, double p1, double threshold) {
    validateRates(p0, p1);
    if (!(threshold > 0) || Double.isInfinite(threshold)) {
      throw new IllegalArgumentException("threshold must be finite and > 0, was " + threshold);
    }
    return new BernoulliCusum(p0, p1, threshold);
  }

  /**
   * Threshold that guarantees an in-control average run length of at least {@code arl0} events:
   * {@code h = ln(arl0)}, from {@code ARL0 >= e^h} (Lorden 1971). Conservative.
   *
   * @param arl0 target mean number of in-control events between false alarms, {@code > 1}
   */
  public static double thresholdForArl0(double arl0) {
    if (!(arl0 > 1) || Double.isInfinite(arl0)) {
      throw new IllegalArgumentException("arl0 must be finite and > 1, was " + arl0);
    }
    return Math.log(arl0);
  }

  /**
   * The in-control average run length that {@code threshold} guarantees at least: {@code e^h}. The
   * inverse of {@link #thresholdForArl0(double)}, for putting the false-alarm rate into an alert.
   */
  public static double guaranteedArl0(double threshold) {
    if (!(threshold > 0)) {
      throw new IllegalArgumentException("threshold must be > 0, was " + threshold);
    }
    return Math.exp(threshold);
  }

  /**
   * Approximate expected number of events from a change to {@code p1} (with the statistic at 0)
   * until the alarm: {@code h / KL(p1 || p0)} (Lorden 1971). Ignores the overshoot of the last
   * step, so the measured delay is somewhat larger for small {@code h}.
   */
  public static double expectedDetectionDelay(double p0, double p1, double threshold) {
    validateRates(p0, p1);
    if (!(threshold > 0)) {
      throw new IllegalArgumentException("threshold must be > 0, was " + threshold);
    }
    return threshold / klBernoulli(p1, p0);
  }

  /** Kullback-Leibler divergence {@code KL(Bern(p) || Bern(q))} in nats; {@code p} may be 0 or 1. */
  public static double klBernoulli(double p, double q) {
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException("p must be in [0,1], was " + p);
    }
    if (!(q > 0 && q < 1)) {
      throw new IllegalArgumentException("q must be in (0,1), was " + q);
    }
    double a = p == 0 ? 0 : p * Math.log(p / q);
    double b = p == 1 ? 0 : (1 - p) * Math.log((1 - p) / (1 - q));
    return a + b;
  }

  /** Adds one observation; {@code true} is the event whose rate is watched for a rise. */
  public Transition update(boolean x) {
    observations++;
    if (x) {
      positives++;
    }
    statistic = Math.max(0, statistic + (x ? llrPositive : llrNegative));
    if (alarmed) {
      // Cap so the statistic drains to 0 within a bounded time once the rate recovers.
      statistic = Math.min(statistic, 2 * threshold);
      if (statistic == 0) {
        alarmed = false;
        return Transition.CLEARED;
      }
      return Transition.NONE;
    }
    if (statistic >= threshold) {
      alarmed = true;
      statistic = Math.min(statistic, 2 * threshold);
      return Transition.FIRED;
    }
    return Transition.NONE;
  }

  public double statistic() {
    return statistic;
  }

  public boolean alarmed() {
    return alarmed;
  }

  /** Observations since creation (not since the last alarm). */
  public long observations() {
    return observations;
  }

  /** Observations that were {@code true} since creation. */
  public long positives() {
    return positives;
  }

  public double p0() {
    return p0;
  }

  public double p1() {
    return p1;
  }

  public double threshold() {
    return threshold;
  }

  /** Writes the state: a version byte, then p0, p1, h, S, alarmed, observations, positives. */
  public void writeTo(DataOutput out) throws IOException {
    out.writeByte(SERIAL_VERSION);
    out.writeDouble(p0);
    out.writeDouble(p1);
    out.writeDouble(threshold);
    out.writeDouble(statistic);
    out.writeBoolean(alarmed);
    out.writeLong(observations);
    out.writeLong(positives);
  }

  /** Reads state written by {@link #writeTo(DataOutput)}; rejects unknown versions and bad values. */
  public static BernoulliCusum readFrom(DataInput in) throws IOException {
    byte version = in.readByte();
    if (version != SERIAL_VERSION) {
      throw new IOException("unsupported BernoulliCusum serial version " + version);
    }
    BernoulliCusum c;
    try {
      c = create(in.readDouble(), in.readDouble(), in.readDouble());
    } catch (IllegalArgumentException e) {
      throw new IOException("corrupt BernoulliCusum state: " + e.getMessage(), e);
    }
    c.statistic = in.readDouble();
    c.alarmed = in.readBoolean();
    c.observations = in.readLong();
    c.positives = in.readLong();
    if (!(c.statistic >= 0 && c.statistic <= 2 * c.threshold)
        || c.observations < 0
        || c.positives < 0
        || c.positives > c.observations) {
      throw new IOException("corrupt BernoulliCusum state: statistic " + c.statistic);
    }
    return c;
  }

  private static void validateRates(double p0, double p1) {
    if (!(p0 > 0 && p0 < 1)) {
      throw new IllegalArgumentException("p0 must be in (0,1), was " + p0);
    }
    if (!(p1 > p0 && p1 < 1)) {
      throw new IllegalArgumentException(
          "p1 must be in (p0,1) = (" + p0 + ",1) to detect a rise, was " + p1);
    }
  }

  @Override
  public String toString() {
    return "BernoulliCusum{p0=" + p0 + ", p1=" + p1 + ", h=" + threshold + ", S=" + statistic
        + ", alarmed=" + alarmed + ", n=" + observations + "}";
  }
}
