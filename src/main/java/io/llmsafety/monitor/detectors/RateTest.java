package io.llmsafety.monitor.detectors;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;

/**
 * A rising-rate alarm on one Bernoulli stream of one variant: a reference window estimates the
 * baseline rate, then {@link BernoulliCusum}s watch for a rise of at least {@code minShift}.
 *
 * <p>False alarms: each CUSUM's threshold is solved at arming so that its exact in-control mean run
 * length at the tuned rate is at least its share of ARL0 ({@link BernoulliCusum#createForArl0},
 * {@link CusumLattice}). The rate used is an upper confidence bound of the reference rate, not the
 * point estimate: a CUSUM tuned to a p0 below the true rate drifts upward on healthy traffic, so an
 * optimistic estimate from a few hundred events would void the guarantee, while any true rate at
 * or below the tuned one only lengthens the runs.
 *
 * <p>The bound is taken twice: a Wilson bound when the reference window ({@code referenceEvents})
 * fills and the tests arm, and again over the first {@link #EXTENDED_REFERENCE_FACTOR} times as many
 * events; the charts are re-tuned to the second bound if it is lower, at the first moment after it
 * that all of them sit at zero (a chart holding evidence keeps its tuning). Each look uses a one-sided
 * level of 0.5% (z = 2.576), so by the union bound the p0 in use is below the true rate with
 * probability at most 1%, the same 99% as a single look at z = 2.326. The second look matters for
 * small shifts: at a 3.5% rate the bound from 200 events is about 8%, from 1,000 events about 5%,
 * and a chart tuned to 8% cannot see a rise to 8% at all. Events seen while charts are off zero
 * still count towards the second look; a change then can only raise the estimate (slower, never
 * more false alarms).
 *
 * <p>Three CUSUMs run side by side, tuned to a rise of {@code minShift / 3}, {@code minShift} and
 * {@code 3 × minShift}: a CUSUM is fastest for the shift it is tuned to; a collapse (refusals 97% →
 * 40%) is caught much sooner by the third, slow erosion sooner by the first. Each is held to a
 * mean run length of {@code 3 · ARL0}, so the three together still raise at most one false alarm
 * per ARL0 events on average (union bound over the charts' alarm rates; conservative, since they
 * share their input); the price is about {@code ln 3 ≈ 1.1} on each threshold.
 *
 * <p>Detection delay: about {@code h / KL(p1 || p0)} post-change events (Lorden) for the best
 * tuned of the three, for example ~23 risky events for a refusal rate falling from 97% to 30% at
 * ARL0 = 5e7. For a ramp the delay is set by when the rate clears the tuned p0; in the evaluation's
 * gradual scenario even a chart told the true p0 needs about two hours at ARL0 = 5e7
 * (docs/detection-evaluation.md).
 */
public final class RateTest {

  private static final byte VERSION = 5;
  /** Before the run's tenant tally; read with an empty one. */
  static final byte VERSION_WITHOUT_TENANTS = 4;
  /** Tenants an alert names. */
  static final int ALERT_TENANTS = 5;
  public static final String SOURCE_REFERENCE_WINDOW = "reference_window";
  public static final String SOURCE_BASE_MODEL = "base_model";
  public static final String SOURCE_CONFIG = "config";
  /** The large-shift CUSUM is tuned to this multiple of {@code minShift}. */
  static final double LARGE_SHIFT_FACTOR = 3.0;
  /** The small-shift CUSUM is tuned to this fraction of {@code minShift}. */
  static final double SMALL_SHIFT_FACTOR = 1.0 / 3;
  /** CUSUMs per test, sharing its ARL0 by the union bound. */
  static final int CHARTS = 3;
  /** The second look at the baseline comes after this many times {@code referenceEvents}. */
  static final int EXTENDED_REFERENCE_FACTOR = 5;
  /** One-sided 0.5% normal quantile: two looks at 0.5% each keep the 99% overall. */
  static final double Z_PER_LOOK = 2.576;
  /** One-sided 1% normal quantile, for a base model's window taken in a single look. */
  private static final double Z99 = 2.326;
  private static final double P0_FLOOR = 1e-4;

  /** Settings of one rate test; {@code arl0} is in events of this test's stream. */
  public record Settings(boolean enabled, int referenceEvents, double minShift, String severity, double arl0)
      implements Serializable {}

  private final Settings settings;
  private RateBaseline baseline;
  private BernoulliCusum cusum;
  private BernoulliCusum largeShift;
  private BernoulliCusum smallShift;
  /** The second look at the baseline; null once taken. */
  private RateBaseline extended;
  private long runN;
  private long runK;
  private final RecentEvidence evidence;
  private final TenantTally runTenants = new TenantTally();
  /** Where the armed baseline came from: the contract's {@code baseline.source}. */
  private String baselineSource = SOURCE_REFERENCE_WINDOW;
  /** Reported baseline rate and size when armed from outside the reference window. */
  private double externalRate = Double.NaN;
  private long externalN;

  public RateTest(Settings settings, int maxEvidence) {
    this.settings = settings;
    this.evidence = new RecentEvidence(maxEvidence);
    this.baseline = newBaseline(settings);
    this.extended = newExtendedBaseline(settings);
  }

  private static RateBaseline newBaseline(Settings settings) {
    return RateBaseline.create(Math.max(1, settings.referenceEvents()), P0_FLOOR);
  }

  private static RateBaseline newExtendedBaseline(Settings settings) {
    return RateBaseline.create((long) EXTENDED_REFERENCE_FACTOR * Math.max(1, settings.referenceEvents()), P0_FLOOR);
  }

  public boolean ready() {
    return cusum != null;
  }

  public boolean alarmed() {
    return cusum != null && (cusum.alarmed() || largeShift.alarmed() || smallShift.alarmed());
  }

  public boolean alarmedOnSmallShift() {
    return smallShift != null && smallShift.alarmed();
  }

  /** The in-control rate the charts are tuned to (an upper confidence bound), NaN before arming. */
  public double tunedP0() {
    return cusum == null ? Double.NaN : cusum.p0();
  }

  public boolean alarmedOnLargeShift() {
    return largeShift != null && largeShift.alarmed();
  }

  /**
   * The statistic of the chart nearest its threshold (each chart has its own), in nats; 0 before
   * arming. Pairs with {@link #threshold()}.
   */
  public double statistic() {
    return cusum == null ? 0 : leadingChart().statistic();
  }

  /** The threshold of the chart nearest it; before arming, the bound {@link #thresholdFor} gives. */
  public double threshold() {
    return cusum == null ? thresholdFor(settings) : leadingChart().threshold();
  }

  /** The chart furthest towards its threshold; the middle one when all are at rest. */
  private BernoulliCusum leadingChart() {
    BernoulliCusum lead = cusum;
    if (smallShift.progress() > lead.progress()) {
      lead = smallShift;
    }
    if (largeShift.progress() > lead.progress()) {
      lead = largeShift;
    }
    return lead;
  }

  /**
   * The most any chart's threshold can be, Lorden's {@code ln(charts × ARL0)}; each chart's own,
   * solved exactly at arming for its tuned rates, is 2 to 6 nats lower.
   */
  public static double thresholdFor(Settings settings) {
    return BernoulliCusum.thresholdForArl0(CHARTS * settings.arl0());
  }

  /** The thresholds of the small-, middle- and large-shift charts in nats; empty before arming. */
  public double[] chartThresholds() {
    return cusum == null ? new double[0]
        : new double[] {smallShift.threshold(), cusum.threshold(), largeShift.threshold()};
  }

  /** The reference window's observed rate (what a reader compares with), not the tuned p0. */
  public double baselineRate() {
    if (!SOURCE_REFERENCE_WINDOW.equals(baselineSource)) {
      return externalRate;
    }
    return baseline.count() == 0 ? Double.NaN : (double) baseline.positives() / baseline.count();
  }

  /** Events behind {@link #baselineRate()}: the reference window, or the extended one once it re-tuned p0. */
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
    arm(rate);
    extended = null; // the stated rate is the baseline; no second look at the variant's own traffic
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
    arm(RateBaseline.fromCounts(n, positives, P0_FLOOR).upperConfidenceBound(Z99));
    extended = null; // the base model's window is the baseline; no second look at the variant's own traffic
    baselineSource = source;
    externalRate = (double) positives / n;
    externalN = n;
    return true;
  }

  /** Forget the baseline and any episode, e.g. after an intended model change. */
  public void reset() {
    baseline = newBaseline(settings);
    runN = runK = 0;
    runTenants.clear();
    cusum = null;
    largeShift = null;
    smallShift = null;
    extended = newExtendedBaseline(settings);
    evidence.clear();
    baselineSource = SOURCE_REFERENCE_WINDOW;
    externalRate = Double.NaN;
    externalN = 0;
  }

  /** Feeds one observation of an event without a tenant. */
  public BernoulliCusum.Transition observe(boolean positive, String eventId, String text) {
    return observe(positive, eventId, text, null);
  }

  /**
   * Feeds one observation.
   *
   * @param tenant the event's tenant, or null; counted for the run's tenant breakdown only
   * @return FIRED or CLEARED when an episode starts or ends, else NONE
   */
  public BernoulliCusum.Transition observe(boolean positive, String eventId, String text, String tenant) {
    if (!settings.enabled()) {
      return BernoulliCusum.Transition.NONE;
    }
    if (extended != null) {
      extended.observe(positive);
    }
    if (cusum == null) {
      baseline.observe(positive);
      if (baseline.ready()) {
        arm(baseline.upperConfidenceBound(Z_PER_LOOK));
      }
      return BernoulliCusum.Transition.NONE;
    }
    boolean wasAlarmed = alarmed();
    cusum.update(positive);
    largeShift.update(positive);
    smallShift.update(positive);
    boolean nowAlarmed = alarmed();
    BernoulliCusum.Transition t = !wasAlarmed && nowAlarmed ? BernoulliCusum.Transition.FIRED
        : wasAlarmed && !nowAlarmed ? BernoulliCusum.Transition.CLEARED : BernoulliCusum.Transition.NONE;
    if (extended != null && extended.ready()) {
      secondLook();
    }
    if (statistic() == 0 && !nowAlarmed) {
      // The run since the CUSUM last sat at zero is its estimate of the post-change segment.
      runN = runK = 0;
      evidence.clear();
      runTenants.clear();
    } else {
      runN++;
      runK += positive ? 1 : 0;
      runTenants.add(tenant, positive);
      if (positive) {
        evidence.add(eventId, text);
      }
    }
    return t;
  }

  private void arm(double upperBound) {
    BernoulliCusum[] charts = chartsAt(settings, upperBound);
    smallShift = charts[0];
    cusum = charts[1];
    largeShift = charts[2];
  }

  /** The small-, middle- and large-shift charts, thresholds solved, for a baseline bound of {@code upperBound}. */
  private static BernoulliCusum[] chartsAt(Settings settings, double upperBound) {
    double p0 = Math.min(0.98, Math.max(P0_FLOOR, upperBound));
    double p1 = Math.min(0.995, p0 + settings.minShift());
    double p1Large = Math.min(0.999, Math.max(p1 + 0.001, p0 + LARGE_SHIFT_FACTOR * settings.minShift()));
    double p1Small = Math.min(Math.nextDown(p1), p0 + Math.max(SMALL_SHIFT_FACTOR * settings.minShift(), 1e-4));
    double chartArl0 = CHARTS * settings.arl0();
    return new BernoulliCusum[] {
      BernoulliCusum.createForArl0(p0, p1Small, chartArl0),
      BernoulliCusum.createForArl0(p0, p1, chartArl0),
      BernoulliCusum.createForArl0(p0, p1Large, chartArl0)
    };
  }

  /** The thresholds, in nats, the three charts would get at a tuned rate of {@code p0}: for {@code validate}. */
  public static double[] chartThresholdsAt(Settings settings, double p0) {
    BernoulliCusum[] charts = chartsAt(settings, p0);
    return new double[] {charts[0].threshold(), charts[1].threshold(), charts[2].threshold()};
  }

  /**
   * Re-tunes the charts to the extended window's bound if that is lower and no chart is off zero
   * (a chart with evidence keeps its tuning, so a change under way is never diluted).
   */
  private void secondLook() {
    double bound = extended.upperConfidenceBound(Z_PER_LOOK);
    boolean quiet = statistic() == 0 && !alarmed();
    if (quiet && Math.min(0.98, Math.max(P0_FLOOR, bound)) < cusum.p0()) {
      arm(bound);
      baseline = extended;
    }
    if (quiet) {
      extended = null;
    }
  }

  /** Observed rate over the current run (since the statistic last left zero). */
  public double runRate() {
    return runN == 0 ? Double.NaN : (double) runK / runN;
  }

  public long runN() {
    return runN;
  }

  /** Positive events in the current run. */
  public long runPositives() {
    return runK;
  }

  /** The run's events and positives by tenant, most positives first, at most {@link #ALERT_TENANTS}. */
  public List<DetectorSignal.TenantShare> runTenants() {
    return runTenants.top(ALERT_TENANTS);
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
    writeTo(out, VERSION);
  }

  /** Writes the layout of {@code version} (the current one, or 4 without tenants, for migration tests). */
  void writeTo(DataOutput out, byte version) throws IOException {
    if (version != VERSION && version != VERSION_WITHOUT_TENANTS) {
      throw new IllegalArgumentException("not a RateTest version: " + version);
    }
    out.writeByte(version);
    baseline.writeTo(out);
    out.writeBoolean(extended != null);
    if (extended != null) {
      extended.writeTo(out);
    }
    out.writeBoolean(cusum != null);
    if (cusum != null) {
      cusum.writeTo(out);
      largeShift.writeTo(out);
      smallShift.writeTo(out);
    }
    out.writeLong(runN);
    out.writeLong(runK);
    evidence.writeTo(out);
    out.writeUTF(baselineSource);
    out.writeDouble(externalRate);
    out.writeLong(externalN);
    if (version != VERSION_WITHOUT_TENANTS) {
      runTenants.writeTo(out);
    }
  }

  public static RateTest readFrom(DataInput in, Settings settings, int maxEvidence) throws IOException {
    byte version = in.readByte();
    if (version != VERSION && version != VERSION_WITHOUT_TENANTS) {
      throw new IOException("unknown RateTest version " + version + " (expected " + VERSION + " or "
          + VERSION_WITHOUT_TENANTS
          + "; state from before the three-chart tests cannot be migrated: start the job without it or rebaseline)");
    }
    RateTest t = new RateTest(settings, maxEvidence);
    t.baseline = RateBaseline.readFrom(in);
    t.extended = in.readBoolean() ? RateBaseline.readFrom(in) : null;
    if (in.readBoolean()) {
      t.cusum = BernoulliCusum.readFrom(in);
      t.largeShift = BernoulliCusum.readFrom(in);
      t.smallShift = BernoulliCusum.readFrom(in);
    }
    t.runN = in.readLong();
    t.runK = in.readLong();
    t.evidence.readFrom(in);
    t.baselineSource = in.readUTF();
    t.externalRate = in.readDouble();
    t.externalN = in.readLong();
    if (version != VERSION_WITHOUT_TENANTS) {
      t.runTenants.readFrom(in);
    }
    return t;
  }
}
