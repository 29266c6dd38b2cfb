package io.llmsafety.monitor.detectors;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;

/**
 * A rising-rate alarm on one Bernoulli stream of one variant: a reference window estimates the
 * baseline rate, then a {@link BernoulliCusum} watches for a rise of at least {@code minShift}.
 *
 * <p>False alarms: the CUSUM's threshold {@code h = ln(ARL0)} guarantees a mean run length of at
 * least ARL0 events on stationary traffic at the baseline rate (Lorden 1971). The baseline used is
 * the 99% Wilson upper confidence bound of the reference rate, not the point estimate: a CUSUM
 * tuned to a p0 below the true rate drifts upward on healthy traffic, so an optimistic estimate
 * from a few hundred events would void the guarantee. Using the upper bound keeps the guarantee
 * with probability 0.99 per variant, at the price of a slightly longer detection delay.
 *
 * <p>Two CUSUMs run side by side, one tuned to a rise of {@code minShift} and one to
 * {@code 3 × minShift}: a CUSUM is fastest for the shift it is tuned to, and a collapse (refusals
 * 97% → 40%) is caught much sooner by the second. Each uses the threshold {@code ln(2 · ARL0)}, so
 * the pair together still raises at most one false alarm per ARL0 events on average (union bound);
 * the price is {@code ln 2 ≈ 0.7} on each threshold.
 *
 * <p>Detection delay: about {@code h / KL(p1 || p0)} post-change events (Lorden) for the better
 * tuned of the two, for example ~23 risky events for a refusal rate falling from 97% to 30% at
 * ARL0 = 5e7.
 */
public final class RateTest {

  private static final byte VERSION = 3;
  public static final String SOURCE_REFERENCE_WINDOW = "reference_window";
  public static final String SOURCE_BASE_MODEL = "base_model";
  public static final String SOURCE_CONFIG = "config";
  /** The second CUSUM is tuned to this multiple of {@code minShift}. */
  static final double LARGE_SHIFT_FACTOR = 3.0;
  private static final double Z99 = 2.326;
  private static final double P0_FLOOR = 1e-4;

  /** Settings of one rate test; {@code arl0} is in events of this test's stream. */
  public record Settings(boolean enabled, int referenceEvents, double minShift, String severity, double arl0)
      implements Serializable {}

  private final Settings settings;
  private RateBaseline baseline;
  private BernoulliCusum cusum;
  private BernoulliCusum largeShift;
  private long runN;
  private long runK;
  private final RecentEvidence evidence;
  /** Where the armed baseline came from: the contract's {@code baseline.source}. */
  private String baselineSource = SOURCE_REFERENCE_WINDOW;
  /** Reported baseline rate and size when armed from outside the reference window. */
  private double externalRate = Double.NaN;
  private long externalN;

  public RateTest(Settings settings, int maxEvidence) {
    this.settings = settings;
    this.evidence = new RecentEvidence(maxEvidence);
    this.baseline = newBaseline(settings);
  }

  private static RateBaseline newBaseline(Settings settings) {
    return RateBaseline.create(Math.max(1, settings.referenceEvents()), P0_FLOOR);
  }

  public boolean ready() {
    return cusum != null;
  }

  public boolean alarmed() {
    return cusum != null && (cusum.alarmed() || largeShift.alarmed());
  }

  public boolean alarmedOnLargeShift() {
    return largeShift != null && largeShift.alarmed();
  }

  /** The larger of the two CUSUM statistics (they share one threshold). */
  public double statistic() {
    return cusum == null ? 0 : Math.max(cusum.statistic(), largeShift.statistic());
  }

  public double threshold() {
    return BernoulliCusum.thresholdForArl0(2 * settings.arl0());
  }

  /** The reference window's observed rate (what a reader compares with), not the tuned p0. */
  public double baselineRate() {
    if (!SOURCE_REFERENCE_WINDOW.equals(baselineSource)) {
      return externalRate;
    }
    return baseline.count() == 0 ? Double.NaN : (double) baseline.positives() / baseline.count();
  }

  public long baselineN() {
    return SOURCE_REFERENCE_WINDOW.equals(baselineSource) ? baseline.count() : externalN;
  }

  /** {@code reference_window}, {@code base_model} or {@code config}. */
  public String baselineSource() {
    return baselineSource;
  }

  /**
   * Arms the test at a stated in-control rate (a job-spec expectation) instead of waiting for the
   * reference window. The rate is taken as known, so it is p0 itself, not a confidence bound: the
   * false-alarm guarantee holds if the variant's true rate is at most {@code rate}.
   *
   * @return false (and nothing changes) when the test is disabled or already armed
   */
  public boolean armAtRate(double rate, String source) {
    if (!settings.enabled() || ready() || !(rate >= 0 && rate <= 1)) {
      return false;
    }
    arm(Math.min(0.98, Math.max(P0_FLOOR, rate)));
    baselineSource = source;
    externalRate = rate;
    externalN = 0;
    return true;
  }

  /**
   * Arms the test from another reference window given as counts (a base model's), with the same 99%
   * Wilson upper bound as the test's own window. The partial own window is dropped.
   *
   * @return false (and nothing changes) when the test is disabled or already armed, or n is 0
   */
  public boolean armFromCounts(long n, long positives, String source) {
    if (!settings.enabled() || ready() || n <= 0) {
      return false;
    }
    arm(Math.min(0.98, Math.max(P0_FLOOR, RateBaseline.fromCounts(n, positives, P0_FLOOR).upperConfidenceBound(Z99))));
    baselineSource = source;
    externalRate = (double) positives / n;
    externalN = n;
    return true;
  }

  private void arm(double p0) {
    double p1 = Math.min(0.995, p0 + settings.minShift());
    double p1Large = Math.min(0.999, Math.max(p1 + 0.001, p0 + LARGE_SHIFT_FACTOR * settings.minShift()));
    cusum = BernoulliCusum.create(p0, p1, threshold());
    largeShift = BernoulliCusum.create(p0, p1Large, threshold());
  }

  /** Forget the baseline and any episode, e.g. after an intended model change. */
  public void reset() {
    baseline = newBaseline(settings);
    runN = runK = 0;
    cusum = null;
    largeShift = null;
    evidence.clear();
    baselineSource = SOURCE_REFERENCE_WINDOW;
    externalRate = Double.NaN;
    externalN = 0;
  }

  /**
   * Feeds one observation.
   *
   * @return FIRED or CLEARED when an episode starts or ends, else NONE
   */
  public BernoulliCusum.Transition observe(boolean positive, String eventId, String text) {
    if (!settings.enabled()) {
      return BernoulliCusum.Transition.NONE;
    }
    if (cusum == null) {
      baseline.observe(positive);
      if (baseline.ready()) {
        arm(Math.min(0.98, Math.max(P0_FLOOR, baseline.upperConfidenceBound(Z99))));
      }
      return BernoulliCusum.Transition.NONE;
    }
    boolean wasAlarmed = alarmed();
    cusum.update(positive);
    largeShift.update(positive);
    boolean nowAlarmed = alarmed();
    BernoulliCusum.Transition t = !wasAlarmed && nowAlarmed ? BernoulliCusum.Transition.FIRED
        : wasAlarmed && !nowAlarmed ? BernoulliCusum.Transition.CLEARED : BernoulliCusum.Transition.NONE;
    if (statistic() == 0 && !nowAlarmed) {
      // The run since the CUSUM last sat at zero is its estimate of the post-change segment.
      runN = runK = 0;
      evidence.clear();
    } else {
      runN++;
      runK += positive ? 1 : 0;
      if (positive) {
        evidence.add(eventId, text);
      }
    }
    return t;
  }

  /** Observed rate over the current run (since the statistic last left zero). */
  public double runRate() {
    return runN == 0 ? Double.NaN : (double) runK / runN;
  }

  public long runN() {
    return runN;
  }

  public List<String> evidenceIds() {
    return evidence.ids();
  }

  public List<String> evidenceTexts() {
    return evidence.texts();
  }

  public Settings settings() {
    return settings;
  }

  public String describe() {
    return String.format(Locale.ROOT, "baseline %d/%d, run %d/%d, S=%.2f", baseline.positives(), baseline.count(), runK, runN, statistic());
  }

  public void writeTo(DataOutput out) throws IOException {
    out.writeByte(VERSION);
    baseline.writeTo(out);
    out.writeBoolean(cusum != null);
    if (cusum != null) {
      cusum.writeTo(out);
      largeShift.writeTo(out);
    }
    out.writeLong(runN);
    out.writeLong(runK);
    evidence.writeTo(out);
    out.writeUTF(baselineSource);
    out.writeDouble(externalRate);
    out.writeLong(externalN);
  }

  public static RateTest readFrom(DataInput in, Settings settings, int maxEvidence) throws IOException {
    byte version = in.readByte();
    if (version != VERSION && version != 2) {
      throw new IOException("unknown RateTest version " + version);
    }
    RateTest t = new RateTest(settings, maxEvidence);
    t.baseline = RateBaseline.readFrom(in);
    if (in.readBoolean()) {
      t.cusum = BernoulliCusum.readFrom(in);
      t.largeShift = BernoulliCusum.readFrom(in);
    }
    t.runN = in.readLong();
    t.runK = in.readLong();
    t.evidence.readFrom(in);
    if (version >= 3) { // version 2 knew only reference windows
      t.baselineSource = in.readUTF();
      t.externalRate = in.readDouble();
      t.externalN = in.readLong();
    }
    return t;
  }
}
