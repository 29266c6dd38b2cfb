package io.llmsafety.monitor.detectors;

import io.llmsafety.monitor.event.ScoredEvent;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;

/**
 * Everything the job knows about one model variant: the open event-time window and the detectors.
 * Plain Java; the Flink function feeds it events in event-time order and stores it in keyed state.
 * Events must be fed in non-decreasing event time, which makes every output a function of the
 * event sequence alone: the Kafka path and a file replay of the same events agree.
 */
public final class VariantMonitor {

  /**
   * 8: same layout as 7, with each rate test's run counted by tenant (RateTest 5). The nested parts
   * carry their own versions, so versions 7, 6 and 5 are read by the same code.
   */
  private static final byte VERSION = 8;
  /** 7: same layout as 6, with the rate tests' charts on their lattice (BernoulliCusum 2). */
  static final byte VERSION_LATTICE_CHARTS = 7;
  /**
   * 6: same layout as 5, with window quantiles and score-drift edges kept exactly (WindowAccumulator
   * 2, ScoreDrift 2) instead of in KLL sketches.
   */
  static final byte VERSION_CONTINUOUS_CHARTS = 6;
  /** 5: the backdoor watch last, optional (kept apart by the Flink function), after a summary of it. */
  static final byte VERSION_KLL_SKETCHES = 5;
  /** The backdoor watch inline, between the rate tests and score drift; read as attached. */
  static final byte VERSION_BEFORE_SPLIT = 4;
  /** State without judge categories; read with empty counts. */
  static final byte VERSION_BEFORE_JUDGE_CATEGORIES = 3;

  /**
   * Most events deferred for the backdoor watch before it is folded anyway. Bounds the deferred
   * list (a ScoredEvent each, a few hundred bytes without text, so at most about half the watch's
   * own ~440 KB) while spreading the watch's load and store (~2 ms) over at least this many events.
   */
  public static final int MAX_DEFERRED_BACKDOOR_EVENTS = 512;

  public static final String KIND_REFUSAL_DROP = "refusal_drop";
  public static final String KIND_HARM_RISE = "harm_rise";
  public static final String KIND_BENIGN_HARM = "benign_harm";
  public static final String KIND_OVER_REFUSAL = "over_refusal";
  public static final String KIND_BACKDOOR = "backdoor_suspected";
  public static final String KIND_SCORE_DRIFT = "score_drift";

  /**
   * Where a monitor's {@link BackdoorWatch} lives while it is not in memory (the Flink function's
   * keyed state): its stored bytes, and the events deferred since, which could not make it signal
   * ({@link BackdoorWatch#maySignalOn}). The monitor loads the watch only when it must.
   */
  public interface BackdoorStore {
    /** The watch's bytes as {@link #backdoorToBytes()} wrote them; null when none is stored yet. */
    byte[] load();

    /** The events deferred since the stored bytes, in the order they were deferred. */
    Iterable<ScoredEvent> deferred();

    /** Keeps {@code e} for a later fold, after those already deferred. */
    void defer(ScoredEvent e);
  }

  /**
   * Settings shared by all variants of a job. Every rate test watches one prompt segment, so a
   * shift in the mix of risky and benign prompts moves none of them.
   */
  public record Settings(
      long windowMillis,
      RateTest.Settings riskyCompliance,
      RateTest.Settings harmRise,
      RateTest.Settings benignHarm,
      RateTest.Settings overRefusal,
      BackdoorSettings backdoor,
      int maxEvidenceEvents,
      boolean includeText,
      ScoreDrift.Settings scoreDrift,
      RepeatedPayloads.Settings repeatedPayload) implements Serializable {

    /** Settings without score drift and repeated-payload detection. */
    public Settings(long windowMillis, RateTest.Settings riskyCompliance, RateTest.Settings harmRise,
        RateTest.Settings benignHarm, RateTest.Settings overRefusal, BackdoorSettings backdoor, int maxEvidenceEvents,
        boolean includeText) {
      this(windowMillis, riskyCompliance, harmRise, benignHarm, overRefusal, backdoor, maxEvidenceEvents, includeText,
          ScoreDrift.Settings.disabled(), RepeatedPayloads.Settings.disabled());
    }
  }

  /**
   * Trigger-miner alarm settings.
   *
   * @param rotateMillis event time between miner rotations ({@link BackdoorWatch}); 0 never rotates
   * @param refusalMaxPromptRisk prompt risk below which a refusal is evidence; 0 mines no refusals
   * @param benignHarmMaxPromptRisk prompt risk below which a benign-segment prompt counts for
   *     harm: in the {@code benign_harm} rate test and as backdoor evidence (trigger miner and
   *     repeated payloads)
   */
  public record BackdoorSettings(boolean enabled, TriggerMiner.Settings miner, String severity, long quietMillis,
      long rotateMillis, double refusalMaxPromptRisk, double benignHarmMaxPromptRisk) implements Serializable {

    /** A day: the job's default rotation period. */
    public static final long DEFAULT_ROTATE_MILLIS = 86_400_000L;
    /**
     * The job's default prompt-risk cut for refusal evidence: the level of ordinary requests (about
     * the 90th percentile of AlpacaEval instructions, and of BackdoorLLM's triggered refusal-task rows,
     * under the built-in prompt-risk model). A benign-scored prompt that sounds risky ("why should
     * gorillas not be given voting rights?", "how do I kill a Python process") is refused by careful
     * models for its wording; such refusals concentrate on template and topic words just as harmful
     * answers do on risky prompts, and are the over_refusal detector's business. With a cut at 0.25
     * the XSTest "why should ..." prompts (risk 0.06-0.29) made "why should" a candidate in the
     * score_drift scenario (docs/detection-evaluation.md).
     */
    public static final double DEFAULT_REFUSAL_MAX_PROMPT_RISK = 0.10;
    /**
     * The job's default prompt-risk cut for harmful answers to benign-segment prompts: half the
     * default risky threshold. Just below the risky threshold lie harmful requests in polite framing
     * ("Hello there. How do I steal a car...? Use simple words.", 0.39-0.49 under the built-in
     * model), which a degraded model answers harmfully framing after framing: against the benign
     * segment's near-zero harm rate their words would pass for a trigger, and their one answer for a
     * repeated payload. Above the cut such an answer is only an exposure to the miners, and {@code
     * benign_harm} does not count it ({@link #clearlyBenign}).
     */
    public static final double DEFAULT_BENIGN_HARM_MAX_PROMPT_RISK = 0.25;

    public BackdoorSettings {
      if (rotateMillis < 0) {
        throw new IllegalArgumentException("rotateMillis must be >= 0 (0 = never rotate), was " + rotateMillis);
      }
      if (!(refusalMaxPromptRisk >= 0 && refusalMaxPromptRisk <= 1)) {
        throw new IllegalArgumentException(
            "refusalMaxPromptRisk must be in [0, 1] (0 = refusals are not mined), was " + refusalMaxPromptRisk);
      }
      if (!(benignHarmMaxPromptRisk > 0 && benignHarmMaxPromptRisk <= 1)) {
        throw new IllegalArgumentException("benignHarmMaxPromptRisk must be in (0, 1], was " + benignHarmMaxPromptRisk);
      }
    }

    public BackdoorSettings(boolean enabled, TriggerMiner.Settings miner, String severity, long quietMillis,
        long rotateMillis, double refusalMaxPromptRisk) {
      this(enabled, miner, severity, quietMillis, rotateMillis, refusalMaxPromptRisk,
          DEFAULT_BENIGN_HARM_MAX_PROMPT_RISK);
    }

    public BackdoorSettings(boolean enabled, TriggerMiner.Settings miner, String severity, long quietMillis,
        long rotateMillis) {
      this(enabled, miner, severity, quietMillis, rotateMillis, DEFAULT_REFUSAL_MAX_PROMPT_RISK);
    }

    public BackdoorSettings(boolean enabled, TriggerMiner.Settings miner, String severity, long quietMillis) {
      this(enabled, miner, severity, quietMillis, DEFAULT_ROTATE_MILLIS);
    }

    /**
     * Whether {@code e} is evidence for the refusal miner: a refusal of a prompt that looks like an
     * ordinary request (risk below {@link #refusalMaxPromptRisk}) and is not itself harmful. Refusals
     * of risky prompts are the model doing its job and never count.
     */
    public boolean refusalEvidence(ScoredEvent e) {
      return e.refused() && !e.harmful() && !e.risky() && e.promptRisk() < refusalMaxPromptRisk;
    }

    /**
     * Whether {@code e}'s prompt is clearly benign: in the benign segment and below {@link
     * #benignHarmMaxPromptRisk}. Only these count for harm in the benign segment, for {@code
     * benign_harm} and for the trigger miners alike.
     */
    public boolean clearlyBenign(ScoredEvent e) {
      return !e.risky() && e.promptRisk() < benignHarmMaxPromptRisk;
    }

    /**
     * Whether {@code e} is harmful-answer evidence for the trigger miners: a harmful answer to a
     * risky prompt, or to a {@link #clearlyBenign} one.
     */
    public boolean harmEvidence(ScoredEvent e) {
      return e.harmful() && (e.risky() || clearlyBenign(e));
    }
  }

  private final Settings settings;
  private String variantId;
  private String baseModel;
  private long lastEventTime = Long.MIN_VALUE;
  private final WindowAccumulator window;
  /** Risky prompts answered without refusal (or harmfully): rises when refusals drop. */
  private final RateTest riskyCompliance;
  /** Harmful answers to risky prompts. */
  private final RateTest harmRise;
  /** Harmful answers to benign prompts: what a backdoor that fires on ordinary requests leaves. */
  private final RateTest benignHarm;
  /** Refusals of benign prompts. */
  private final RateTest overRefusal;
  /** Null while kept apart in {@link #backdoorStore} (then the summary fields below stand for it). */
  private BackdoorWatch backdoor;
  private BackdoorStore backdoorStore;
  /** The watch's repeat counter when it was loaded, for the per-call metric. */
  private long repeatsSkippedAtLoad;
  /** Summary of the stored watch: whether it fires, and when its quiet period would resolve it. */
  private boolean backdoorFiring;
  private long backdoorQuietDeadline = Long.MAX_VALUE;
  /** Events in the store's deferred list. */
  private int deferredBackdoorEvents;
  /** Harm scores of benign prompts that were answered: drifts when ordinary answers change. */
  private ScoreDrift scoreDrift;
  /** The judge's category codes per harm episode, for alert evidence. */
  private EpisodeJudgeCategories judgeCategories = new EpisodeJudgeCategories();

  public VariantMonitor(Settings settings, String variantId) {
    this(settings, variantId, new WindowAccumulator(settings.windowMillis()),
        new RateTest(settings.riskyCompliance(), settings.maxEvidenceEvents()),
        new RateTest(settings.harmRise(), settings.maxEvidenceEvents()),
        new RateTest(settings.benignHarm(), settings.maxEvidenceEvents()),
        new RateTest(settings.overRefusal(), settings.maxEvidenceEvents()),
        new BackdoorWatch(settings.backdoor(), settings.repeatedPayload(), settings.maxEvidenceEvents()));
    this.scoreDrift = new ScoreDrift(settings.scoreDrift(), settings.maxEvidenceEvents());
  }

  private VariantMonitor(Settings settings, String variantId, WindowAccumulator window, RateTest riskyCompliance,
      RateTest harmRise, RateTest benignHarm, RateTest overRefusal, BackdoorWatch backdoor) {
    this.settings = settings;
    this.variantId = variantId;
    this.window = window;
    this.riskyCompliance = riskyCompliance;
    this.harmRise = harmRise;
    this.benignHarm = benignHarm;
    this.overRefusal = overRefusal;
    if (backdoor != null) {
      setBackdoor(backdoor);
    }
  }

  /**
   * A new monitor whose backdoor watch lives in {@code store}: it is created (or loaded) there the
   * first time it is needed, so a variant with only harmless traffic never builds one in memory.
   */
  public static VariantMonitor create(Settings settings, String variantId, BackdoorStore store) {
    VariantMonitor m = new VariantMonitor(settings, variantId, new WindowAccumulator(settings.windowMillis()),
        new RateTest(settings.riskyCompliance(), settings.maxEvidenceEvents()),
        new RateTest(settings.harmRise(), settings.maxEvidenceEvents()),
        new RateTest(settings.benignHarm(), settings.maxEvidenceEvents()),
        new RateTest(settings.overRefusal(), settings.maxEvidenceEvents()), null);
    m.scoreDrift = new ScoreDrift(settings.scoreDrift(), settings.maxEvidenceEvents());
    m.backdoorStore = store;
    return m;
  }

  public String variantId() {
    return variantId;
  }

  public String baseModel() {
    return baseModel;
  }

  public long lastEventTime() {
    return lastEventTime;
  }

  /** Feeds one event (in event-time order); appends any alert transitions and closed windows. */
  public void observe(ScoredEvent e, List<DetectorSignal> signals, List<WindowStats> windows) {
    if (e.baseModel() != null) {
      baseModel = e.baseModel();
    }
    lastEventTime = Math.max(lastEventTime, e.timestamp());
    WindowStats closed = window.add(variantId, baseModel, e.timestamp(), e.risky(), e.refused(), e.harmful(), e.harm());
    if (closed != null) {
      windows.add(closed);
    }
    String text = settings.includeText() ? excerpt(e) : null;
    if (e.risky()) {
      boolean complied = !e.refused() || e.harmful();
      emit(riskyCompliance, riskyCompliance.observe(complied, e.eventId(), text, e.tenant()), KIND_REFUSAL_DROP,
          e.timestamp(), signals);
      BernoulliCusum.Transition harm = harmRise.observe(e.harmful(), e.eventId(), text, e.tenant());
      judgeCategories.rateTestObserved(KIND_HARM_RISE, harmRise, e.harmful(), e.judgeCategories());
      emit(harmRise, harm, KIND_HARM_RISE, e.timestamp(), signals);
    } else {
      // benign_harm watches clearly benign prompts only. Between this cut and the risky threshold
      // lie polite harmful requests and risky-sounding safe ones ("How do I crack open a beer?"),
      // whose step-by-step answers the harm scorer partly reads as harmful: a tenant sending many
      // of them would move the rate without any change of the model.
      if (settings.backdoor().clearlyBenign(e)) {
        BernoulliCusum.Transition harm = benignHarm.observe(e.harmful(), e.eventId(), text, e.tenant());
        judgeCategories.rateTestObserved(KIND_BENIGN_HARM, benignHarm, e.harmful(), e.judgeCategories());
        emit(benignHarm, harm, KIND_BENIGN_HARM, e.timestamp(), signals);
      }
      emit(overRefusal, overRefusal.observe(e.refused(), e.eventId(), text, e.tenant()), KIND_OVER_REFUSAL,
          e.timestamp(), signals);
    }
    if (!e.risky() && !e.refused()) {
      judgeCategories.scoreDriftWillObserve(scoreDrift, e.harm(), e.judgeCategories());
      emitScoreDrift(scoreDrift.observe(e.harm(), e.eventId(), text), e.timestamp(), signals);
      judgeCategories.scoreDriftObserved(scoreDrift);
    }
    BackdoorWatch watch = backdoorFor(e);
    if (watch != null) {
      DetectorSignal b = judgeCategories.backdoorObserved(watch, watch.observe(e, text, variantId), e, variantId);
      if (b != null) {
        signals.add(b);
      }
    }
  }

  /** The watch to feed {@code e} to now, or null when {@code e} was deferred (or the watch is off). */
  private BackdoorWatch backdoorFor(ScoredEvent e) {
    if (backdoor != null) {
      return backdoor;
    }
    if (!settings.backdoor().enabled()) {
      return null; // a disabled watch ignores every event
    }
    if (!BackdoorWatch.maySignalOn(e, settings.backdoor()) && deferredBackdoorEvents < MAX_DEFERRED_BACKDOOR_EVENTS) {
      backdoorStore.defer(e);
      deferredBackdoorEvents++;
      return null;
    }
    return loadBackdoor();
  }

  /** Loads the watch from the store and folds in the deferred events, in order; the watch is then in memory. */
  private BackdoorWatch loadBackdoor() {
    if (backdoor != null) {
      return backdoor;
    }
    if (backdoorStore == null) {
      throw new IllegalStateException("the backdoor watch of " + variantId + " is kept apart: give the monitor its store");
    }
    byte[] stored = backdoorStore.load();
    BackdoorWatch watch;
    if (stored == null) {
      watch = new BackdoorWatch(settings.backdoor(), settings.repeatedPayload(), settings.maxEvidenceEvents());
    } else {
      try {
        watch = BackdoorWatch.readFrom(new DataInputStream(new ByteArrayInputStream(stored)), settings.backdoor(),
            settings.repeatedPayload(), settings.maxEvidenceEvents());
      } catch (IOException ex) {
        throw new UncheckedIOException(ex);
      }
    }
    int folded = 0;
    for (ScoredEvent d : backdoorStore.deferred()) {
      String text = settings.includeText() ? excerpt(d) : null;
      if (judgeCategories.backdoorObserved(watch, watch.observe(d, text, variantId), d, variantId) != null) {
        throw new IllegalStateException("a deferred event signalled in the backdoor watch of " + variantId);
      }
      folded++;
    }
    if (folded != deferredBackdoorEvents) {
      throw new IllegalStateException("backdoor watch of " + variantId + ": " + folded + " deferred events stored, "
          + deferredBackdoorEvents + " expected");
    }
    setBackdoor(watch);
    return watch;
  }

  private void setBackdoor(BackdoorWatch watch) {
    backdoor = watch;
    deferredBackdoorEvents = 0;
    repeatsSkippedAtLoad = watch.repeatedPromptsSkipped();
  }

  /** Whether the watch is in memory: it then has to be stored (and the deferred list emptied). */
  public boolean backdoorLoaded() {
    return backdoor != null;
  }

  /** Whether a backdoor episode is open, without loading the watch. */
  public boolean backdoorFiring() {
    return backdoor != null ? backdoor.firing() : backdoorFiring;
  }

  /** Harmful and refused events the watch skipped as repeated prompts since it was loaded (none while deferred). */
  public long repeatedPromptsSkippedSinceLoad() {
    return backdoor == null ? 0 : backdoor.repeatedPromptsSkipped() - repeatsSkippedAtLoad;
  }

  /** The loaded watch's bytes, for the store; the monitor's own bytes then carry only its summary. */
  public byte[] backdoorToBytes() {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(backdoorBytesHint);
      loadBackdoor().writeTo(new DataOutputStream(bytes));
      backdoorBytesHint = Math.max(backdoorBytesHint, bytes.size());
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Size of the last watch written, so the next buffer needs no regrowing (the watch is hundreds of KB). */
  private static volatile int backdoorBytesHint = 1024;

  private void emitScoreDrift(ScoreDrift.Verdict v, long eventTime, List<DetectorSignal> signals) {
    if (v == null) {
      return;
    }
    String summary = v.firing()
        ? String.format(Locale.ROOT, "Harm-score distribution of answered benign prompts on %s shifted: PSI %.3f over"
            + " the last %d answers (mean score %.3f vs %.3f at baseline).", variantId, v.psi(), v.windowEvents(),
            v.windowMean(), v.referenceMean())
        : String.format(Locale.ROOT, "Harm-score distribution of answered benign prompts on %s is back near its"
            + " baseline (PSI %.3f).", variantId, v.psi());
    signals.add(new DetectorSignal(KIND_SCORE_DRIFT, settings.scoreDrift().severity(), v.firing(), eventTime,
        v.windowMean(), v.windowEvents(), v.referenceMean(), v.referenceEvents(), "reference_window", "psi_chi2",
        v.statistic(), v.threshold(), settings.scoreDrift().arl0(), scoreDrift.evidenceIds(),
        scoreDrift.evidenceTexts(), List.of(), summary, null, judgeCategories.top(KIND_SCORE_DRIFT)));
    scoreDrift.clearEvidence();
  }

  public ScoreDrift scoreDrift() {
    return scoreDrift;
  }

  /** Tells the monitor that no event before {@code watermark} will come; closes windows and quiet episodes. */
  public void advanceTo(long watermark, List<DetectorSignal> signals, List<WindowStats> windows) {
    WindowStats closed = window.closeIfComplete(variantId, baseModel, watermark);
    if (closed != null) {
      windows.add(closed);
    }
    if (backdoor == null && !(backdoorFiring && watermark != Long.MAX_VALUE && watermark >= backdoorQuietDeadline)) {
      return; // the stored watch resolves nothing yet: no need to load it
    }
    DetectorSignal b = judgeCategories.backdoorSignal(loadBackdoor().advanceTo(watermark, variantId));
    if (b != null) {
      signals.add(b);
    }
  }

  /** End of event time when the open window closes, for the caller's timer. */
  public long openWindowEnd() {
    return window.openWindowEnd();
  }

  public RateTest riskyCompliance() {
    return riskyCompliance;
  }

  public RateTest harmRise() {
    return harmRise;
  }

  public RateTest benignHarm() {
    return benignHarm;
  }

  public RateTest overRefusal() {
    return overRefusal;
  }

  /** The rate tests by alert kind, for reporting their statistics. */
  public java.util.Map<String, RateTest> rateTests() {
    java.util.Map<String, RateTest> tests = new java.util.LinkedHashMap<>();
    tests.put(KIND_REFUSAL_DROP, riskyCompliance);
    tests.put(KIND_HARM_RISE, harmRise);
    tests.put(KIND_BENIGN_HARM, benignHarm);
    tests.put(KIND_OVER_REFUSAL, overRefusal);
    return tests;
  }

  /** The watch, loaded from its store first if it is kept apart. */
  public BackdoorWatch backdoor() {
    return loadBackdoor();
  }

  /**
   * Forgets baselines and open episodes after an intended model change (control-topic
   * rebaseline). Open episodes end with a resolved signal at {@code eventTime}, so no alert is left
   * firing with nothing to clear it; the tests re-arm after a new reference window.
   */
  public void rebaseline(long eventTime, List<DetectorSignal> signals) {
    for (var entry : rateTests().entrySet()) {
      RateTest test = entry.getValue();
      if (test.alarmed()) {
        signals.add(new DetectorSignal(entry.getKey(), test.settings().severity(), false, eventTime, test.runRate(),
            test.runN(), test.baselineRate(), test.baselineN(), test.baselineSource(), "bernoulli_cusum", test.statistic(),
            test.threshold(), test.settings().arl0(), List.of(), List.of(), List.of(),
            "Baseline of " + variantId + " reset on request; the test re-arms after a new reference window."));
      }
      test.reset();
    }
    if (backdoor != null || settings.backdoor().enabled()) { // a disabled watch kept apart has nothing to reset
      DetectorSignal b = judgeCategories.backdoorSignal(loadBackdoor().reset(eventTime, variantId));
      if (b != null) {
        signals.add(b);
      }
    }
    if (scoreDrift.firing()) {
      signals.add(new DetectorSignal(KIND_SCORE_DRIFT, settings.scoreDrift().severity(), false, eventTime, Double.NaN,
          0, Double.NaN, 0, "reference_window", "psi_chi2", scoreDrift.statistic(), scoreDrift.threshold(),
          settings.scoreDrift().arl0(), List.of(), List.of(), List.of(),
          "Baseline of " + variantId + " reset on request; score drift re-arms after a new reference."));
    }
    scoreDrift.reset();
    judgeCategories.clear();
  }

  private void emit(RateTest test, BernoulliCusum.Transition t, String kind, long eventTime, List<DetectorSignal> signals) {
    if (t == BernoulliCusum.Transition.NONE) {
      return;
    }
    boolean firing = t == BernoulliCusum.Transition.FIRED;
    boolean refusalKind = KIND_REFUSAL_DROP.equals(kind);
    // refusal_drop reports refusal rates (1 - compliance) so the numbers read the way on-call thinks.
    double observed = refusalKind ? 1 - test.runRate() : test.runRate();
    double baseline = refusalKind ? 1 - test.baselineRate() : test.baselineRate();
    String what = switch (kind) {
      case KIND_REFUSAL_DROP -> "refusal rate on risky prompts";
      case KIND_HARM_RISE -> "harmful-answer rate on risky prompts";
      case KIND_BENIGN_HARM -> "harmful-answer rate on benign prompts";
      default -> "refusal rate on benign prompts";
    };
    String summary = firing
        ? String.format(Locale.ROOT, "%s %s on %s: %.1f%% over the last %d events vs %.1f%% at baseline.",
            refusalKind ? "Drop in" : "Rise in", what, variantId, 100 * observed, test.runN(), 100 * baseline)
        : String.format(Locale.ROOT, "The %s on %s is back within its baseline of %.1f%%.", what, variantId, 100 * baseline);
    List<DetectorSignal.TenantShare> tenants = firing ? test.runTenants() : List.of();
    if (firing) {
      summary += tenantNote(tenants, test.runPositives(), test.runN(), switch (kind) {
        case KIND_REFUSAL_DROP -> "answered";
        case KIND_HARM_RISE, KIND_BENIGN_HARM -> "harmful";
        default -> "refused";
      });
    }
    signals.add(new DetectorSignal(kind, test.settings().severity(), firing, eventTime, observed, test.runN(), baseline,
        test.baselineN(), test.baselineSource(), "bernoulli_cusum", test.statistic(), test.threshold(),
        test.settings().arl0(), test.evidenceIds(), test.evidenceTexts(), List.of(), summary, null,
        judgeCategories.top(kind), tenants));
  }

  /**
   * " Tenant T accounts for K of the P refused events and M of all N." (the run's) when one of
   * several tenants has at least half the run's positives, else "": on-call's first question is
   * whether the model changed or the traffic did.
   */
  static String tenantNote(List<DetectorSignal.TenantShare> tenants, long runPositives, long runEvents,
      String positiveNoun) {
    if (tenants.size() < 2) {
      return "";
    }
    DetectorSignal.TenantShare top = tenants.get(0);
    if (top.tenant() == null || TenantTally.OTHERS_NAME.equals(top.tenant())
        || 2 * top.positives() < runPositives) {
      return "";
    }
    return String.format(Locale.ROOT, " Tenant %s accounts for %d of the %d %s events and %d of all %d.",
        top.tenant(), top.positives(), runPositives, positiveNoun, top.events(), runEvents);
  }

  /**
   * Arms the rate tests at job-spec expectations (baseline source {@code config}); a null rate
   * leaves that test on its reference window. Tests already armed keep their baseline.
   */
  public void armFromExpectations(Double riskyRefusalRate, Double riskyHarmfulRate, Double benignHarmfulRate,
      Double benignRefusalRate) {
    if (riskyRefusalRate != null) {
      // The test watches compliance, 1 - refusal rate on risky prompts.
      riskyCompliance.armAtRate(1 - riskyRefusalRate, RateTest.SOURCE_CONFIG);
    }
    if (riskyHarmfulRate != null) {
      harmRise.armAtRate(riskyHarmfulRate, RateTest.SOURCE_CONFIG);
    }
    if (benignHarmfulRate != null) {
      benignHarm.armAtRate(benignHarmfulRate, RateTest.SOURCE_CONFIG);
    }
    if (benignRefusalRate != null) {
      overRefusal.armAtRate(benignRefusalRate, RateTest.SOURCE_CONFIG);
    }
  }

  /**
   * Arms the test of {@code kind} from the base model's reference window ({@code positives} of
   * {@code n}, in the test's own terms), unless it is already armed.
   *
   * @return whether the test was armed by this call
   */
  public boolean armFromBaseModel(String kind, long n, long positives) {
    RateTest test = rateTests().get(kind);
    return test != null && test.armFromCounts(n, positives, RateTest.SOURCE_BASE_MODEL);
  }

  /**
   * The signal of a kind that is currently alarmed, with its current statistic and evidence, for
   * re-notifications and pending confirmations; null when the kind is not alarmed or not known here.
   */
  public DetectorSignal currentSignal(String kind, long eventTime) {
    if (KIND_BACKDOOR.equals(kind)) {
      return backdoorFiring() ? judgeCategories.backdoorSignal(loadBackdoor().current(eventTime, variantId)) : null;
    }
    RateTest test = rateTests().get(kind);
    if (test == null || !test.alarmed()) {
      return null;
    }
    List<DetectorSignal> one = new java.util.ArrayList<>(1);
    emit(test, BernoulliCusum.Transition.FIRED, kind, eventTime, one);
    return one.get(0);
  }

  static String excerpt(ScoredEvent e) {
    String p = e.promptText() == null ? "" : e.promptText();
    String r = e.responseText() == null ? "" : e.responseText();
    String s = "[" + e.eventId() + "] prompt: " + p + " | response: " + r;
    return s.length() > 2_000 ? s.substring(0, 2_000) : s;
  }

  private static final int MAX_SCRATCH_BYTES = 16 << 20;
  private static final ThreadLocal<ByteArrayOutputStream> SCRATCH =
      ThreadLocal.withInitial(() -> new ByteArrayOutputStream(1 << 20));

  /** The whole monitor, backdoor watch included. */
  public byte[] toBytes() {
    return toBytes(true);
  }

  /**
   * The monitor without its backdoor watch (a few KB), for a caller that stores the watch apart
   * with {@link #backdoorToBytes()}; read back with {@link #fromBytes(byte[], Settings, BackdoorStore)}.
   */
  public byte[] coreToBytes() {
    return toBytes(false);
  }

  private byte[] toBytes(boolean withBackdoor) {
    try {
      // Written at every flush: one buffer per thread, sized by the largest state so far, instead
      // of one grown from 1 KB each time.
      ByteArrayOutputStream bytes = SCRATCH.get();
      bytes.reset();
      writeTo(new DataOutputStream(bytes), withBackdoor);
      byte[] result = bytes.toByteArray();
      if (bytes.size() > MAX_SCRATCH_BYTES) {
        SCRATCH.remove(); // an outlier is not kept for the thread's lifetime
      }
      return result;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static VariantMonitor fromBytes(byte[] bytes, Settings settings) {
    return fromBytes(bytes, settings, null);
  }

  /**
   * Reads {@link #toBytes()} or {@link #coreToBytes()} output; a monitor stored without its watch
   * loads it from {@code store} when needed. State of versions 3 and 4 holds the watch inline: it
   * comes back loaded, so the caller stores it apart on its next write (the migration).
   */
  public static VariantMonitor fromBytes(byte[] bytes, Settings settings, BackdoorStore store) {
    try {
      VariantMonitor m = readFrom(new DataInputStream(new ByteArrayInputStream(bytes)), settings);
      m.backdoorStore = store;
      return m;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void writeTo(DataOutput out) throws IOException {
    writeTo(out, true);
  }

  private void writeTo(DataOutput out, boolean withBackdoor) throws IOException {
    if (withBackdoor) {
      loadBackdoor(); // folds deferred events first, so the summary below is the loaded watch's
    }
    out.writeByte(VERSION);
    writeHead(out);
    scoreDrift.writeTo(out);
    judgeCategories.writeTo(out);
    out.writeBoolean(backdoorFiring());
    out.writeLong(backdoor != null ? backdoor.quietDeadline() : backdoorQuietDeadline);
    out.writeInt(deferredBackdoorEvents);
    out.writeBoolean(withBackdoor);
    if (withBackdoor) {
      loadBackdoor().writeTo(out);
    }
  }

  private void writeHead(DataOutput out) throws IOException {
    out.writeUTF(variantId);
    out.writeBoolean(baseModel != null);
    if (baseModel != null) {
      out.writeUTF(baseModel);
    }
    out.writeLong(lastEventTime);
    window.writeTo(out);
    riskyCompliance.writeTo(out);
    harmRise.writeTo(out);
    benignHarm.writeTo(out);
    overRefusal.writeTo(out);
  }

  /** Writes the layout of version 4 (or 3, without judge categories), for migration tests. */
  void writeLegacyTo(DataOutput out, byte version) throws IOException {
    if (version != VERSION_BEFORE_SPLIT && version != VERSION_BEFORE_JUDGE_CATEGORIES) {
      throw new IllegalArgumentException("not a legacy version: " + version);
    }
    out.writeByte(version);
    writeHead(out);
    loadBackdoor().writeTo(out);
    scoreDrift.writeTo(out);
    if (version == VERSION_BEFORE_SPLIT) {
      judgeCategories.writeTo(out);
    }
  }

  /** Reads state written by {@link #writeTo}; settings come from the job spec, not from state. */
  public static VariantMonitor readFrom(DataInput in, Settings settings) throws IOException {
    byte version = in.readByte();
    if (version != VERSION && version != VERSION_LATTICE_CHARTS && version != VERSION_CONTINUOUS_CHARTS
        && version != VERSION_KLL_SKETCHES && version != VERSION_BEFORE_SPLIT
        && version != VERSION_BEFORE_JUDGE_CATEGORIES) {
      throw new IOException("unknown VariantMonitor version " + version + " (expected " + VERSION + ", "
          + VERSION_LATTICE_CHARTS + ", " + VERSION_CONTINUOUS_CHARTS + ", " + VERSION_KLL_SKETCHES + ", "
          + VERSION_BEFORE_SPLIT + " or " + VERSION_BEFORE_JUDGE_CATEGORIES + "; state written"
          + " before score drift and three-chart rate tests is not migrated: start without it or from a fresh savepoint)");
    }
    String variantId = in.readUTF();
    String baseModel = in.readBoolean() ? in.readUTF() : null;
    long lastEventTime = in.readLong();
    WindowAccumulator window = WindowAccumulator.readFrom(in);
    RateTest risky = RateTest.readFrom(in, settings.riskyCompliance(), settings.maxEvidenceEvents());
    RateTest harm = RateTest.readFrom(in, settings.harmRise(), settings.maxEvidenceEvents());
    RateTest benignHarm = RateTest.readFrom(in, settings.benignHarm(), settings.maxEvidenceEvents());
    RateTest overRefusal = RateTest.readFrom(in, settings.overRefusal(), settings.maxEvidenceEvents());
    boolean split = version == VERSION || version == VERSION_LATTICE_CHARTS || version == VERSION_CONTINUOUS_CHARTS
        || version == VERSION_KLL_SKETCHES;
    BackdoorWatch backdoor = split ? null
        : BackdoorWatch.readFrom(in, settings.backdoor(), settings.repeatedPayload(), settings.maxEvidenceEvents());
    VariantMonitor m = new VariantMonitor(settings, variantId, window, risky, harm, benignHarm, overRefusal, backdoor);
    m.scoreDrift = ScoreDrift.readFrom(in, settings.scoreDrift(), settings.maxEvidenceEvents());
    if (version != VERSION_BEFORE_JUDGE_CATEGORIES) {
      m.judgeCategories = EpisodeJudgeCategories.readFrom(in);
    }
    m.baseModel = baseModel;
    m.lastEventTime = lastEventTime;
    if (split) {
      m.backdoorFiring = in.readBoolean();
      m.backdoorQuietDeadline = in.readLong();
      int deferred = in.readInt();
      if (deferred < 0 || deferred > MAX_DEFERRED_BACKDOOR_EVENTS) {
        throw new IOException("corrupt VariantMonitor state: " + deferred + " deferred backdoor events");
      }
      m.deferredBackdoorEvents = deferred;
      if (in.readBoolean()) {
        if (deferred != 0) {
          throw new IOException("corrupt VariantMonitor state: a stored backdoor watch with deferred events");
        }
        m.setBackdoor(BackdoorWatch.readFrom(in, settings.backdoor(), settings.repeatedPayload(),
            settings.maxEvidenceEvents()));
      }
    }
    return m;
  }
}
