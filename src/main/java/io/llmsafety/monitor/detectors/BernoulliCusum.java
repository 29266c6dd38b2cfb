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
 * {@code S >= h}. The steps are kept on an integer lattice ({@link CusumLattice}: both rounded to
 * the safe side of the LLR, the step ratio within 1%), which is what makes the exact false-alarm
 * figure below computable. While alarmed, {@code S} is capped at {@code 2h}, so after the rate
 * falls back the statistic drains to 0 within a bounded time; the episode clears when {@code S}
 * reaches 0. The gap of {@code h} between firing and clearing is the hysteresis that keeps one
 * episode from flapping.
 *
 * <p><b>False alarms.</b> {@link #createForArl0} solves for the smallest {@code h} whose in-control
 * average run length (events to a false alarm while the true rate is {@code p0} or lower) is at
 * least the target, computed exactly from the lattice chart's Markov chain (Brook and Evans 1972).
 * {@link #create} takes {@code h} as given; with {@link #thresholdForArl0(double)} = {@code
 * ln(arl0)} it has Lorden's guarantee {@code ARL0 >= e^h} (Lorden 1971; Siegmund 1985, ch. II),
 * which the lattice keeps, but which is loose by 6x to 200x for the shifts the job watches: the
 * exact threshold is 2 to 6 nats lower, and the detection delay shorter in proportion.
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

  static final byte SERIAL_VERSION = 2;
  /** Before the lattice: the statistic and threshold as doubles in nats. */
  private static final byte SERIAL_VERSION_CONTINUOUS = 1;

  private final double p0;
  private final double p1;
  private final CusumLattice lattice;
  /** The threshold in lattice levels. */
  private final long thresholdLevels;
  /** The statistic in lattice levels. */
  private long level;
  private boolean alarmed;
  private long observations;
  private long positives;

  private BernoulliCusum(double p0, double p1, CusumLattice lattice, long thresholdLevels) {
    this.p0 = p0;
    this.p1 = p1;
    this.lattice = lattice;
    this.thresholdLevels = thresholdLevels;
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
    CusumLattice lattice = CusumLattice.forRates(p0, p1);
    return new BernoulliCusum(p0, p1, lattice, lattice.levelsFor(threshold));
  }

  /**
   * A chart whose threshold is the smallest that gives an in-control average run length of at least
   * {@code arl0} events at rate {@code p0}, computed exactly on its lattice ({@link CusumLattice});
   * the guarantee holds for every true rate at or below {@code p0}.
   */
  public static BernoulliCusum createForArl0(double p0, double p1, double arl0) {
    validateRates(p0, p1);
    CusumLattice lattice = CusumLattice.forRates(p0, p1);
    return new BernoulliCusum(p0, p1, lattice, lattice.thresholdLevels(p0, arl0));
  }

  /**
   * Threshold that guarantees an in-control average run length of at least {@code arl0} events for
   * any {@code p0, p1}: {@code h = ln(arl0)}, from {@code ARL0 >= e^h} (Lorden 1971). Conservative;
   * an upper bound of the threshold {@link #createForArl0} solves for.
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
    level = Math.max(0, level + (x ? lattice.up() : -lattice.down()));
    if (alarmed) {
      // Cap so the statistic drains to 0 within a bounded time once the rate recovers.
      level = Math.min(level, 2 * thresholdLevels);
      if (level == 0) {
        alarmed = false;
        return Transition.CLEARED;
      }
      return Transition.NONE;
    }
    if (level >= thresholdLevels) {
      alarmed = true;
      level = Math.min(level, 2 * thresholdLevels);
      return Transition.FIRED;
    }
    return Transition.NONE;
  }

  /** The statistic in nats. */
  public double statistic() {
    return level * lattice.unit();
  }

  /** How far the statistic is towards the threshold: 0 at rest, 1 or more when alarmed. */
  public double progress() {
    return (double) level / thresholdLevels;
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

  /** The threshold in nats. */
  public double threshold() {
    return thresholdLevels * lattice.unit();
  }

  /**
   * Writes the state: a version byte, then p0, p1, the lattice (up, down, unit), the threshold and
   * statistic in levels, alarmed, observations, positives.
   */
  public void writeTo(DataOutput out) throws IOException {
    out.writeByte(SERIAL_VERSION);
    out.writeDouble(p0);
    out.writeDouble(p1);
    out.writeInt(lattice.up());
    out.writeInt(lattice.down());
    out.writeDouble(lattice.unit());
    out.writeLong(thresholdLevels);
    out.writeLong(level);
    out.writeBoolean(alarmed);
    out.writeLong(observations);
    out.writeLong(positives);
  }

  /**
   * Reads state written by {@link #writeTo(DataOutput)}, or by the continuous chart before it (version
   * 1: the chart moves to its lattice and keeps its threshold in nats, the statistic rounded down to
   * a level); rejects unknown versions and bad values.
   */
  public static BernoulliCusum readFrom(DataInput in) throws IOException {
    byte version = in.readByte();
    if (version != SERIAL_VERSION && version != SERIAL_VERSION_CONTINUOUS) {
      throw new IOException("unsupported BernoulliCusum serial version " + version);
    }
    BernoulliCusum c;
    try {
      double p0 = in.readDouble();
      double p1 = in.readDouble();
      if (version == SERIAL_VERSION_CONTINUOUS) {
        c = create(p0, p1, in.readDouble());
        double statistic = in.readDouble();
        if (!(statistic >= 0 && statistic <= 2 * c.threshold() + 1e-9)) {
          throw new IOException("corrupt BernoulliCusum state: statistic " + statistic);
        }
        c.level = Math.min(2 * c.thresholdLevels, (long) Math.floor(statistic / c.lattice.unit()));
      } else {
        validateRates(p0, p1);
        CusumLattice lattice = CusumLattice.of(in.readInt(), in.readInt(), in.readDouble());
        c = new BernoulliCusum(p0, p1, lattice, in.readLong());
        c.level = in.readLong();
      }
    } catch (IllegalArgumentException e) {
      throw new IOException("corrupt BernoulliCusum state: " + e.getMessage(), e);
    }
    c.alarmed = in.readBoolean();
    c.observations = in.readLong();
    c.positives = in.readLong();
    if (c.thresholdLevels < 1
        || !(c.level >= 0 && c.level <= 2 * c.thresholdLevels)
        || c.observations < 0
        || c.positives < 0
        || c.positives > c.observations) {
      throw new IOException("corrupt BernoulliCusum state: level " + c.level + " of " + c.thresholdLevels);
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
    return "BernoulliCusum{p0=" + p0 + ", p1=" + p1 + ", h=" + threshold() + ", S=" + statistic()
        + ", alarmed=" + alarmed + ", n=" + observations + "}";
  }
}
