package io.llmsafety.monitor.jobs;

import io.llmsafety.monitor.alerts.Alert;
import io.llmsafety.monitor.alerts.AlertFactory;
import io.llmsafety.monitor.detectors.AlertLifecycle;
import io.llmsafety.monitor.detectors.DetectorSignal;
import io.llmsafety.monitor.detectors.VariantMonitor;
import io.llmsafety.monitor.detectors.WindowStats;
import io.llmsafety.monitor.event.BaseModelBaseline;
import io.llmsafety.monitor.event.ControlCommand;
import io.llmsafety.monitor.event.DeadLetter;
import io.llmsafety.monitor.event.RejectReason;
import io.llmsafety.monitor.event.ScoredEvent;
import io.llmsafety.monitor.jobs.config.BaselineSpec;
import io.llmsafety.monitor.jobs.config.Durations;
import io.llmsafety.monitor.metrics.SafetyMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Per-variant state and detection, keyed by {@code variant_id}.
 *
 * <p>Events are buffered until the watermark passes them and then fed to the {@link VariantMonitor}
 * in event-time order (ties broken by event id). Detection therefore depends only on the events,
 * not on arrival order or batching: the Kafka path and a file replay give the same alerts. Events
 * behind the watermark on arrival are late: dead-lettered with reason {@code late} and counted.
 * Duplicates by {@code event_id} are dropped and counted within a horizon of one to two
 * {@code dedupHorizon}s (two rotating id sets). A variant silent for {@code variantTtl} of event
 * time loses all its state. At the final watermark of a bounded input, quiet periods, lifecycle
 * deadlines and TTL expiry are decided at the newest event time the subtask has seen, so a replay's
 * alerts do not depend on which periodic watermarks happened to come before it.
 *
 * <p>Detector transitions pass through an {@link AlertLifecycle} (pending, firing, re-notification,
 * resolved) in event time; its deadlines are event-time timers, so a variant that falls silent while
 * firing is still re-notified. Where a variant's baselines come from follows {@link BaselineSpec}:
 * expected rates arm a {@code config} variant's tests at its first event; a {@code base_model}
 * variant's tests arm from its base model's reference window, offered on the second input by
 * {@link BaseModelBaselineFunction}, at its first event after that window completed.
 *
 * <p><b>State layout.</b> A flush (one per variant per watermark step that passes buffered events)
 * reads and writes the monitor, so its size is the per-event cost when many variants each get a
 * few events per flush. The monitor is therefore kept in three parts: {@code monitor}, everything
 * but the backdoor watch (rate tests, windows, score drift, judge categories and a summary of the
 * watch: a few KB); {@code backdoor}, the {@link io.llmsafety.monitor.detectors.BackdoorWatch}
 * (~440 KB with the default sketches, 99% of the whole); and {@code backdoor-deferred}, the events
 * the watch has not seen yet. An event that cannot make the watch signal (neither harmful nor a
 * refusal of an ordinary benign prompt, {@code BackdoorWatch.maySignalOn}) is appended to the
 * deferred list instead; the watch is loaded, the list folded in in event order and both written
 * back only when a flush holds such an event, when a backdoor episode's quiet period is
 * due to resolve it, when the lifecycle asks for its current signal, on a rebaseline, or when
 * {@link VariantMonitor#MAX_DEFERRED_BACKDOOR_EVENTS} events are waiting. Signals are identical to
 * feeding every event at once ({@code DeferredBackdoorTest}); a variant with only harmless traffic
 * never loads its watch. State of monitor versions 3 and 4 (watch inline) is split on its first flush.
 */
public final class VariantMonitorFunction extends KeyedCoProcessFunction<String, ScoredEvent, ControlCommand, Alert> {

  private static final long serialVersionUID = 1L;
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(VariantMonitorFunction.class);

  public static final OutputTag<WindowStats> WINDOWS = new OutputTag<>("window-metrics") {};
  public static final OutputTag<DeadLetter> LATE = new OutputTag<>("late-events") {};

  /** Flushes are rounded up to this event-time grid, bounding state round trips per variant. */
  static final long FLUSH_TICK_MILLIS = 1_000;

  private final VariantMonitor.Settings monitorSettings;
  private final AlertFactory alertFactory;
  private final long dedupHorizonMillis;
  private final long variantTtlMillis;
  private final AlertLifecycle.Settings lifecycleSettings;
  /** Null: every variant learns its baselines from its own reference window. */
  private final BaselineSpec baselines;

  /** The variant's monitor without its backdoor watch: a few KB, read and written on every flush. */
  private transient ValueState<byte[]> monitorState;
  /** The backdoor watch (~440 KB with default sketches), read and written only when it must fold. */
  private transient ValueState<byte[]> backdoorState;
  /** Events the watch has not seen yet: none of them can make it signal. */
  private transient ListState<ScoredEvent> backdoorDeferred;
  private transient VariantMonitor.BackdoorStore backdoorStore;
  private transient MapState<Long, List<ScoredEvent>> buffer;
  private transient MapState<String, Boolean> seenEven;
  private transient MapState<String, Boolean> seenOdd;
  private transient ValueState<Long> dedupGeneration;
  private transient ValueState<Long> pendingFlush;
  private transient SafetyMetrics metrics;
  private transient ValueState<byte[]> lifecycleState;
  /** Latest base-model baseline per test kind, for variants whose source is {@code base_model}. */
  private transient MapState<String, BaseModelBaseline> baseOffers;
  /** Event time of the newest offer: offers expire {@code variantTtl} after it, apart from the monitor. */
  private transient ValueState<Long> baseOffersAt;
  private transient Map<String, BaselineSpec.Resolved> resolvedBaselines;
  /**
   * Newest event time this subtask has buffered, over all its variants. At the final watermark of a
   * bounded input, time-based outcomes (quiet periods, pending and re-notify deadlines, TTL expiry)
   * are decided at this time rather than at whatever periodic watermark last came before it, so a
   * replay's alerts do not depend on watermark timing. Not in state: only bounded runs read it.
   */
  private transient long newestEventTime;

  public VariantMonitorFunction(VariantMonitor.Settings monitorSettings, AlertFactory alertFactory,
      long dedupHorizonMillis, long variantTtlMillis) {
    this(monitorSettings, alertFactory, dedupHorizonMillis, variantTtlMillis, AlertLifecycle.Settings.IMMEDIATE, null);
  }

  public VariantMonitorFunction(VariantMonitor.Settings monitorSettings, AlertFactory alertFactory,
      long dedupHorizonMillis, long variantTtlMillis, AlertLifecycle.Settings lifecycleSettings, BaselineSpec baselines) {
    this.monitorSettings = monitorSettings;
    this.alertFactory = alertFactory;
    this.dedupHorizonMillis = dedupHorizonMillis;
    this.variantTtlMillis = variantTtlMillis;
    this.lifecycleSettings = lifecycleSettings;
    this.baselines = baselines;
  }

  @Override
  public void open(OpenContext openContext) {
    monitorState = getRuntimeContext().getState(new ValueStateDescriptor<>("monitor", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    backdoorState = getRuntimeContext().getState(new ValueStateDescriptor<>("backdoor", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    backdoorDeferred = getRuntimeContext().getListState(new ListStateDescriptor<>("backdoor-deferred",
        TypeInformation.of(ScoredEvent.class)));
    backdoorStore = new KeyedBackdoorStore();
    buffer = getRuntimeContext().getMapState(new MapStateDescriptor<>("buffer", Types.LONG,
        Types.LIST(TypeInformation.of(ScoredEvent.class))));
    seenEven = getRuntimeContext().getMapState(new MapStateDescriptor<>("seen-even", Types.STRING, Types.BOOLEAN));
    seenOdd = getRuntimeContext().getMapState(new MapStateDescriptor<>("seen-odd", Types.STRING, Types.BOOLEAN));
    dedupGeneration = getRuntimeContext().getState(new ValueStateDescriptor<>("dedup-generation", Types.LONG));
    pendingFlush = getRuntimeContext().getState(new ValueStateDescriptor<>("pending-flush", Types.LONG));
    lifecycleState = getRuntimeContext().getState(new ValueStateDescriptor<>("lifecycle", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    baseOffers = getRuntimeContext().getMapState(new MapStateDescriptor<>("base-offers", Types.STRING,
        TypeInformation.of(BaseModelBaseline.class)));
    baseOffersAt = getRuntimeContext().getState(new ValueStateDescriptor<>("base-offers-at", Types.LONG));
    resolvedBaselines = new java.util.HashMap<>();
    newestEventTime = Long.MIN_VALUE;
    metrics = SafetyMetrics.get();
  }

  @Override
  public void processElement1(ScoredEvent e, Context ctx, Collector<Alert> out) throws Exception {
    long watermark = ctx.timerService().currentWatermark();
    if (e.timestamp() <= watermark) {
      metrics.lateEvent(e.variantId());
      metrics.deadLetter(RejectReason.LATE.code());
      ctx.output(LATE, DeadLetter.of(RejectReason.LATE,
          "event time " + e.timestamp() + " is behind the watermark " + watermark, e.eventId(), e.variantId(), null));
      return;
    }
    List<ScoredEvent> sameTime = buffer.get(e.timestamp());
    if (sameTime == null) {
      sameTime = new ArrayList<>(1);
    }
    sameTime.add(e);
    buffer.put(e.timestamp(), sameTime);
    newestEventTime = Math.max(newestEventTime, e.timestamp());
    scheduleFlush(ctx.timerService(), e.timestamp());
  }

  /**
   * Applies a control command. It takes effect when it arrives (processing order), for the events
   * the watermark has not yet released; the resolved alerts it causes carry the variant's latest
   * event time.
   */
  @Override
  public void processElement2(ControlCommand command, Context ctx, Collector<Alert> out) throws Exception {
    if (ControlCommand.BASE_BASELINE.equals(command.action())) {
      storeBaseOffer(command.baseline(), ctx.timestamp() != null ? ctx.timestamp() : ctx.timerService().currentWatermark(),
          ctx.timerService());
      return;
    }
    byte[] stored = monitorState.value();
    if (stored == null || !ControlCommand.REBASELINE.equals(command.action())) {
      return; // nothing learned yet for this variant: its first traffic will be the baseline anyway
    }
    VariantMonitor monitor = VariantMonitor.fromBytes(stored, monitorSettings, backdoorStore);
    List<DetectorSignal> signals = new ArrayList<>();
    long at = monitor.lastEventTime() == Long.MIN_VALUE ? 0 : monitor.lastEventTime();
    monitor.rebaseline(at, signals);
    AlertLifecycle lifecycle = loadLifecycle();
    boolean hadLifecycle = !lifecycle.isEmpty();
    List<AlertLifecycle.Notification> notifications = new ArrayList<>();
    lifecycle.accept(signals, notifications);
    emit(notifications, ctx.getCurrentKey(), monitor.baseModel(), out);
    storeLifecycle(lifecycle, hadLifecycle);
    armConfigured(monitor, ctx.getCurrentKey());
    storeMonitor(monitor);
    LOG.info("Rebaselined variant {} on a control command", ctx.getCurrentKey());
  }

  /**
   * Keeps one flush timer per variant, at the earliest buffered event. A flush takes everything
   * the watermark has passed, so when the watermark jumps (replay, catch-up) one timer does the
   * work of many, and the monitor state makes one round trip instead of one per tick.
   */
  private void scheduleFlush(TimerService timers, long timestamp) throws Exception {
    long at = roundUp(timestamp);
    Long pending = pendingFlush.value();
    if (pending == null || at < pending) {
      if (pending != null) {
        timers.deleteEventTimeTimer(pending);
      }
      timers.registerEventTimeTimer(at);
      pendingFlush.update(at);
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<Alert> out) throws Exception {
    long watermark = ctx.timerService().currentWatermark();
    Long pending = pendingFlush.value();
    if (pending != null && pending <= watermark) {
      pendingFlush.clear();
    }
    List<ScoredEvent> ready = EventTimeBuffer.drainUpTo(buffer, watermark);
    Long earliestLeft = earliestBuffered();
    if (earliestLeft != null) {
      scheduleFlush(ctx.timerService(), earliestLeft);
    }
    expireBaseOffers(watermark);
    byte[] stored = monitorState.value();
    if (stored == null && ready.isEmpty()) {
      return; // state already expired; a leftover timer
    }
    VariantMonitor monitor;
    if (stored == null) {
      monitor = VariantMonitor.create(monitorSettings, ctx.getCurrentKey(), backdoorStore);
      armConfigured(monitor, ctx.getCurrentKey());
      metrics.variantTracked(1);
    } else {
      monitor = VariantMonitor.fromBytes(stored, monitorSettings, backdoorStore);
    }

    List<DetectorSignal> signals = new ArrayList<>();
    List<WindowStats> windows = new ArrayList<>();
    AlertLifecycle lifecycle = loadLifecycle();
    boolean hadLifecycle = !lifecycle.isEmpty();
    List<AlertLifecycle.Notification> notifications = new ArrayList<>();
    AlertLifecycle.CurrentSignals current = monitor::currentSignal;
    List<BaseModelBaseline> offers = pendingBaseOffers(monitor, ctx.getCurrentKey());
    for (ScoredEvent e : ready) {
      if (isDuplicate(e)) {
        metrics.duplicateEvent(e.variantId());
        continue;
      }
      if (!offers.isEmpty()) {
        applyBaseOffers(monitor, offers, e.timestamp());
      }
      // Deadlines before this event take effect first, whichever way event time reached them: a
      // backdoor's quiet period as well as the lifecycle's, so how events are batched into flushes
      // (i.e. the watermark sequence) does not change the outcome.
      monitor.advanceTo(e.timestamp() - 1, signals, windows);
      lifecycle.accept(signals, notifications);
      signals.clear();
      lifecycle.advanceTo(e.timestamp() - 1, current, notifications);
      metrics.event(e.variantId(), e.risky(), e.refused(), e.harmful(), e.harm());
      monitor.observe(e, signals, windows);
      lifecycle.accept(signals, notifications);
      signals.clear();
    }
    // The final watermark of a bounded input means "no more input", not "time passed": time-based
    // outcomes are decided at the newest event time seen, which any earlier periodic watermark could
    // have reached at most, so they are the same whatever watermarks came before.
    long reached = watermark == Long.MAX_VALUE ? Math.max(newestEventTime, monitor.lastEventTime()) : watermark;
    if (reached != Long.MIN_VALUE) {
      monitor.advanceTo(reached, signals, windows);
      lifecycle.accept(signals, notifications);
      signals.clear();
      lifecycle.advanceTo(reached, current, notifications);
    }
    if (watermark == Long.MAX_VALUE) {
      monitor.advanceTo(watermark, signals, windows); // closes the last, partial window
      lifecycle.accept(signals, notifications);
    }

    String variant = ctx.getCurrentKey();
    metrics.backdoorRepeatedPromptsSkipped(variant, monitor.repeatedPromptsSkippedSinceLoad());
    emit(notifications, variant, monitor.baseModel(), out);
    for (WindowStats w : windows) {
      metrics.windowRates(variant, "risky", w.riskyRefusalRate(), w.riskyHarmfulRate());
      metrics.windowRates(variant, "benign", w.benignRefusalRate(), w.benignHarmfulRate());
      ctx.output(WINDOWS, w);
    }
    monitor.rateTests().forEach((kind, test) -> {
      if (test.settings().enabled()) {
        metrics.driftStatistic(variant, kind, test.statistic(), test.threshold());
      }
    });
    if (monitor.scoreDrift().armed()) {
      metrics.driftStatistic(variant, VariantMonitor.KIND_SCORE_DRIFT, monitor.scoreDrift().statistic(),
          monitor.scoreDrift().threshold());
    }
    // The compliance test watches 1 - refusal rate on risky prompts; dashboards show refusals.
    metrics.baselineRates(variant, "risky",
        monitor.riskyCompliance().ready() ? 1 - monitor.riskyCompliance().baselineRate() : Double.NaN,
        monitor.harmRise().ready() ? monitor.harmRise().baselineRate() : Double.NaN);
    metrics.baselineRates(variant, "benign",
        monitor.overRefusal().ready() ? monitor.overRefusal().baselineRate() : Double.NaN,
        monitor.benignHarm().ready() ? monitor.benignHarm().baselineRate() : Double.NaN);

    if (monitor.lastEventTime() != Long.MIN_VALUE && watermark >= monitor.lastEventTime() + variantTtlMillis
        && buffer.isEmpty()) {
      if (!lifecycle.isEmpty() && reached >= monitor.lastEventTime() + variantTtlMillis) {
        // Taking a variant out of rotation is a normal response to an alert: close its episodes
        // rather than leave them firing with no state to clear them. (At the end of a bounded input
        // only if it was silent for the TTL before the newest event: the end is no evidence of silence.)
        List<AlertLifecycle.Notification> closed = new ArrayList<>();
        lifecycle.closeAll(monitor.lastEventTime() + variantTtlMillis, "No traffic from " + variant + " for "
            + Durations.format(java.time.Duration.ofMillis(variantTtlMillis))
            + "; its state expired, so the alert closes without a verdict.", closed);
        emit(closed, variant, monitor.baseModel(), out);
      }
      clearAll();
      metrics.variantTracked(-1);
      return;
    }
    storeMonitor(monitor);
    storeLifecycle(lifecycle, hadLifecycle);
    if (lifecycle.nextDeadline() != Long.MAX_VALUE) {
      ctx.timerService().registerEventTimeTimer(roundUp(lifecycle.nextDeadline()));
    }
    if (monitor.openWindowEnd() != Long.MAX_VALUE) {
      ctx.timerService().registerEventTimeTimer(monitor.openWindowEnd() - 1);
    }
    if (monitor.backdoorFiring()) {
      // Lets a backdoor episode resolve after its quiet period even if the variant goes silent.
      ctx.timerService().registerEventTimeTimer(roundUp(watermark + monitorSettings.backdoor().quietMillis()));
    }
    if (monitor.lastEventTime() != Long.MIN_VALUE) {
      ctx.timerService().registerEventTimeTimer(monitor.lastEventTime() + variantTtlMillis);
    }
  }

  /** Writes the monitor; its backdoor watch only if this call loaded it (which folded the deferred events). */
  private void storeMonitor(VariantMonitor monitor) throws Exception {
    monitorState.update(monitor.coreToBytes());
    if (monitor.backdoorLoaded()) {
      backdoorState.update(monitor.backdoorToBytes());
      backdoorDeferred.clear();
    }
  }

  /** The current key's backdoor watch and deferred events, in keyed state. */
  private final class KeyedBackdoorStore implements VariantMonitor.BackdoorStore {
    @Override
    public byte[] load() {
      try {
        return backdoorState.value();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public Iterable<ScoredEvent> deferred() {
      try {
        Iterable<ScoredEvent> events = backdoorDeferred.get();
        return events == null ? List.of() : events;
      } catch (Exception e) {
        throw new IllegalStateException("reading deferred backdoor events", e);
      }
    }

    @Override
    public void defer(ScoredEvent e) {
      try {
        backdoorDeferred.add(e);
      } catch (Exception ex) {
        throw new IllegalStateException("deferring an event for the backdoor watch", ex);
      }
    }
  }

  /** Sends the lifecycle's alert records and keeps the alert metrics in step with them. */
  private void emit(List<AlertLifecycle.Notification> notifications, String variant, String baseModel, Collector<Alert> out) {
    for (AlertLifecycle.Notification n : notifications) {
      DetectorSignal s = n.signal();
      switch (n.phase()) {
        case PENDING -> metrics.alertPending(variant, s.kind(), s.severity(), true);
        case PENDING_CANCELLED -> metrics.alertPending(variant, s.kind(), s.severity(), false);
        case FIRING -> {
          if (lifecycleSettings.pendingForMillis() > 0) {
            metrics.alertPending(variant, s.kind(), s.severity(), false);
          }
          metrics.alert(variant, s.kind(), s.severity(), true);
        }
        case RENOTIFY -> metrics.alertRenotified(variant, s.kind(), s.severity());
        case RESOLVED -> metrics.alert(variant, s.kind(), s.severity(), false);
      }
      if (n.isAlert()) {
        out.collect(alertFactory.toAlert(variant, baseModel, s, n.count(), n.notifiedAt()));
      }
    }
  }

  /** Applies the job spec's expected rates to a variant whose baseline source is {@code config}. */
  private void armConfigured(VariantMonitor monitor, String variant) {
    if (baselines == null) {
      return;
    }
    BaselineSpec.Resolved r = baselines.forVariant(variant);
    if (r.source() == BaselineSpec.Source.CONFIG) {
      BaselineSpec.ExpectedRates x = r.expected();
      monitor.armFromExpectations(x.riskyRefusalRate(), x.riskyHarmfulRate(), x.benignHarmfulRate(), x.benignRefusalRate());
    }
  }

  private BaselineSpec.Resolved resolved(String variant) {
    if (resolvedBaselines.size() > 10_000) {
      resolvedBaselines.clear(); // a cache, bounded; resolution is cheap but compiles globs
    }
    return resolvedBaselines.computeIfAbsent(variant, baselines::forVariant);
  }

  private void storeBaseOffer(BaseModelBaseline offer, long at, TimerService timers) throws Exception {
    BaseModelBaseline previous = baseOffers.get(offer.kind());
    if (previous == null || offer.completedAt() >= previous.completedAt()) {
      baseOffers.put(offer.kind(), offer);
    }
    Long newest = baseOffersAt.value();
    if (newest == null || at > newest) {
      baseOffersAt.update(at);
      timers.registerEventTimeTimer(roundUp(at + variantTtlMillis));
    }
  }

  private void expireBaseOffers(long watermark) throws Exception {
    Long newest = baseOffersAt.value();
    if (newest != null && watermark != Long.MAX_VALUE && watermark >= newest + variantTtlMillis) {
      baseOffers.clear();
      baseOffersAt.clear();
    }
  }

  /** Offers that may still arm a test of this variant, oldest completion first; empty unless its source is base_model. */
  private List<BaseModelBaseline> pendingBaseOffers(VariantMonitor monitor, String variant) throws Exception {
    if (baselines == null || resolved(variant).source() != BaselineSpec.Source.BASE_MODEL || baseOffers.isEmpty()) {
      return new ArrayList<>(0);
    }
    List<BaseModelBaseline> offers = new ArrayList<>(4);
    for (BaseModelBaseline b : baseOffers.values()) {
      var test = monitor.rateTests().get(b.kind());
      if (test != null && !test.ready()) {
        offers.add(b);
      }
    }
    offers.sort(Comparator.comparingLong(BaseModelBaseline::completedAt).thenComparing(BaseModelBaseline::kind));
    return offers;
  }

  /** Arms tests from offers completed before this event: the same events get the same baseline in any replay. */
  private static void applyBaseOffers(VariantMonitor monitor, List<BaseModelBaseline> offers, long eventTime) {
    Iterator<BaseModelBaseline> it = offers.iterator();
    while (it.hasNext()) {
      BaseModelBaseline b = it.next();
      if (b.completedAt() < eventTime) {
        monitor.armFromBaseModel(b.kind(), b.n(), b.positives());
        it.remove();
      }
    }
  }

  private AlertLifecycle loadLifecycle() throws Exception {
    byte[] stored = lifecycleState.value();
    return stored == null ? new AlertLifecycle(lifecycleSettings) : AlertLifecycle.fromBytes(stored, lifecycleSettings);
  }

  /**
   * Most variants have no open episode: they keep no lifecycle state, and a flush that finds none
   * and leaves none writes nothing (a RocksDB delete is a write).
   */
  private void storeLifecycle(AlertLifecycle lifecycle, boolean wasStored) throws Exception {
    if (!lifecycle.isEmpty()) {
      lifecycleState.update(lifecycle.toBytes());
    } else if (wasStored) {
      lifecycleState.clear();
    }
  }

  private Long earliestBuffered() throws Exception {
    Long earliest = null;
    for (Long t : buffer.keys()) {
      if (earliest == null || t < earliest) {
        earliest = t;
      }
    }
    return earliest;
  }

  private boolean isDuplicate(ScoredEvent e) throws Exception {
    long generation = Math.floorDiv(e.timestamp(), dedupHorizonMillis);
    Long current = dedupGeneration.value();
    if (current == null || generation > current) {
      if (current == null || generation > current + 1) {
        seenEven.clear();
        seenOdd.clear();
      } else {
        setFor(generation).clear(); // held generation - 2
      }
      dedupGeneration.update(generation);
    }
    if (seenEven.contains(e.eventId()) || seenOdd.contains(e.eventId())) {
      return true;
    }
    setFor(generation).put(e.eventId(), Boolean.TRUE);
    return false;
  }

  private MapState<String, Boolean> setFor(long generation) {
    return (generation & 1) == 0 ? seenEven : seenOdd;
  }

  private void clearAll() {
    monitorState.clear();
    backdoorState.clear();
    backdoorDeferred.clear();
    buffer.clear();
    seenEven.clear();
    seenOdd.clear();
    dedupGeneration.clear();
    pendingFlush.clear();
    lifecycleState.clear();
  }

  static long roundUp(long timestamp) {
    return Math.floorDiv(timestamp + FLUSH_TICK_MILLIS - 1, FLUSH_TICK_MILLIS) * FLUSH_TICK_MILLIS;
  }
}
