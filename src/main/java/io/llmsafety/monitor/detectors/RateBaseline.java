package io.llmsafety.monitor.detectors;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Estimates a variant's in-control Bernoulli rate {@code p0} from a reference window: the first
 * {@code size} observations. After that it is frozen, so a later degradation cannot drag the
 * baseline along with it.
 *
 * <p>{@link #rate()} is the Laplace estimate {@code (k+1)/(n+2)}, floored at a configured minimum:
 * a CUSUM needs {@code p0 > 0}, and a tiny {@code p0} makes {@code ln(p1/p0)} so large that one
 * chance positive nearly reaches the threshold. {@link #upperConfidenceBound(double)} gives the
 * Wilson score upper bound; using it as {@code p0} makes the downstream test conservative against
 * estimation error in the baseline (a rise must clear the plausible range of the reference rate).
 *
 * <p>Mutable and single-threaded.
 */
public final class RateBaseline {

  static final byte SERIAL_VERSION = 1;

  private final long size;
  private final double floor;
  private long n;
  private long k;

  private RateBaseline(long size, double floor) {
    this.size = size;
    this.floor = floor;
  }

  /**
   * @param size observations in the reference window, {@code >= 1}
   * @param floor minimum rate returned, {@code 0 < floor < 1}
   */
  public static RateBaseline create(long size, double floor) {
    if (size < 1) {
      throw new IllegalArgumentException("size must be >= 1, was " + size);
    }
    if (!(floor > 0 && floor < 1)) {
      throw new IllegalArgumentException("floor must be in (0,1), was " + floor);
    }
    return new RateBaseline(size, floor);
  }

  /**
   * A completed window of {@code n} observations with {@code k} positives, e.g. another variant's
   * reference window received as counts.
   */
  public static RateBaseline fromCounts(long n, long k, double floor) {
    if (k < 0 || k > n) {
      throw new IllegalArgumentException("need 0 <= k <= n, was k=" + k + ", n=" + n);
    }
    RateBaseline b = create(n, floor);
    b.n = n;
    b.k = k;
    return b;
  }

  /**
   * Adds one observation while the window is open; ignored once {@link #ready()}.
   *
   * @return whether the observation was counted
   */
  public boolean observe(boolean x) {
    if (ready()) {
      return false;
    }
    n++;
    if (x) {
      k++;
    }
    return true;
  }

  /** Whether the reference window is full and the rate is usable. */
  public boolean ready() {
    return n >= size;
  }

  /** Observations counted so far (at most {@code size}). */
  public long count() {
    return n;
  }

  /** Positive observations counted so far. */
  public long positives() {
    return k;
  }

  public long size() {
    return size;
  }

  /** {@code max((k+1)/(n+2), floor)}; before {@link #ready()} this is a provisional estimate. */
  public double rate() {
    return Math.max((k + 1.0) / (n + 2.0), floor);
  }

  /**
   * Wilson score upper bound for the rate, {@code max(bound, floor)}, capped below 1 so it stays a
   * valid CUSUM {@code p0}.
   *
   * @param z standard-normal quantile, e.g. 1.645 for a one-sided 95% bound
   */
  public double upperConfidenceBound(double z) {
    if (!(z >= 0) || Double.isInfinite(z)) {
      throw new IllegalArgumentException("z must be finite and >= 0, was " + z);
    }
    if (n == 0) {
      return Math.max(Math.nextDown(1.0), floor);
    }
    double p = (double) k / n;
    double z2 = z * z;
    double centre = p + z2 / (2.0 * n);
    double spread = z * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
    double upper = (centre + spread) / (1 + z2 / n);
    return Math.min(Math.max(upper, floor), Math.nextDown(1.0));
  }

  /** Writes a version byte, then size, floor, n, k. */
  public void writeTo(DataOutput out) throws IOException {
    out.writeByte(SERIAL_VERSION);
    out.writeLong(size);
    out.writeDouble(floor);
    out.writeLong(n);
    out.writeLong(k);
  }

  /** Reads state written by {@link #writeTo(DataOutput)}. */
  public static RateBaseline readFrom(DataInput in) throws IOException {
    byte version = in.readByte();
    if (version != SERIAL_VERSION) {
      throw new IOException("unsupported RateBaseline serial version " + version);
    }
    RateBaseline b;
    try {
      b = create(in.readLong(), in.readDouble());
    } catch (IllegalArgumentException e) {
      throw new IOException("corrupt RateBaseline state: " + e.getMessage(), e);
    }
    b.n = in.readLong();
    b.k = in.readLong();
    if (b.n < 0 || b.n > b.size || b.k < 0 || b.k > b.n) {
      throw new IOException("corrupt RateBaseline state: n=" + b.n + ", k=" + b.k);
    }
    return b;
  }

  @Override
  public String toString() {
    return "RateBaseline{n=" + n + "/" + size + ", k=" + k + ", rate=" + rate() + "}";
  }
}
