package io.llmsafety.monitor.jobs;

import io.llmsafety.monitor.alerts.Alert;
import io.llmsafety.monitor.alerts.AlertFactory;
import io.llmsafety.monitor.detectors.DetectorSignal;
import io.llmsafety.monitor.detectors.VariantMonitor;
import io.llmsafety.monitor.detectors.WindowStats;
import io.llmsafety.monitor.event.ControlCommand;
import io.llmsafety.monitor.event.DeadLetter;
import io.llmsafety.monitor.event.RejectReason;
import io.llmsafety.monitor.event.ScoredEvent;
import io.llmsafety.monitor.metrics.SafetyMetrics;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
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
 * time loses all its state.
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

  private transient ValueState<byte[]> monitorState;
  private transient MapState<Long, List<ScoredEvent>> buffer;
  private transient MapState<String, Boolean> seenEven;
  private transient MapState<String, Boolean> seenOdd;
  private transient ValueState<Long> dedupGeneration;
  private transient ValueState<Long> pendingFlush;
  private transient SafetyMetrics metrics;

  public VariantMonitorFunction(VariantMonitor.Settings monitorSettings, AlertFactory alertFactory,
      long dedupHorizonMillis, long variantTtlMillis) {
    this.monitorSettings = monitorSettings;
    this.alertFactory = alertFactory;
    this.dedupHorizonMillis = dedupHorizonMillis;
    this.variantTtlMillis = variantTtlMillis;
  }

  @Override
  public void open(OpenContext openContext) {
    monitorState = getRuntimeContext().getState(new ValueStateDescriptor<>("monitor", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    buffer = getRuntimeContext().getMapState(new MapStateDescriptor<>("buffer", Types.LONG,
        Types.LIST(TypeInformation.of(ScoredEvent.class))));
    seenEven = getRuntimeContext().getMapState(new MapStateDescriptor<>("seen-even", Types.STRING, Types.BOOLEAN));
    seenOdd = getRuntimeContext().getMapState(new MapStateDescriptor<>("seen-odd", Types.STRING, Types.BOOLEAN));
    dedupGeneration = getRuntimeContext().getState(new ValueStateDescriptor<>("dedup-generation", Types.LONG));
    pendingFlush = getRuntimeContext().getState(new ValueStateDescriptor<>("pending-flush", Types.LONG));
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
    scheduleFlush(ctx.timerService(), e.timestamp());
  }

  /**
   * Applies a control command. It takes effect when it arrives (processing order), for the events
   * the watermark has not yet released; the resolved alerts it causes carry the variant's latest
   * event time.
   */
  @Override
  public void processElement2(ControlCommand command, Context ctx, Collector<Alert> out) throws Exception {
    byte[] stored = monitorState.value();
    if (stored == null || !ControlCommand.REBASELINE.equals(command.action())) {
      return; // nothing learned yet for this variant: its first traffic will be the baseline anyway
    }
    VariantMonitor monitor = VariantMonitor.fromBytes(stored, monitorSettings);
    List<DetectorSignal> signals = new ArrayList<>();
    long at = monitor.lastEventTime() == Long.MIN_VALUE ? 0 : monitor.lastEventTime();
    monitor.rebaseline(at, signals);
    for (DetectorSignal s : signals) {
      metrics.alert(ctx.getCurrentKey(), s.kind(), s.severity(), false);
      out.collect(alertFactory.toAlert(ctx.getCurrentKey(), monitor.baseModel(), s));
    }
    monitorState.update(monitor.toBytes());
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
    List<ScoredEvent> ready = drainUpTo(watermark);
    Long earliestLeft = earliestBuffered();
    if (earliestLeft != null) {
      scheduleFlush(ctx.timerService(), earliestLeft);
    }
    byte[] stored = monitorState.value();
    if (stored == null && ready.isEmpty()) {
      return; // state already expired; a leftover timer
    }
    VariantMonitor monitor;
    if (stored == null) {
      monitor = new VariantMonitor(monitorSettings, ctx.getCurrentKey());
      metrics.variantTracked(1);
    } else {
      monitor = VariantMonitor.fromBytes(stored, monitorSettings);
    }

    List<DetectorSignal> signals = new ArrayList<>();
    List<WindowStats> windows = new ArrayList<>();
    for (ScoredEvent e : ready) {
      if (isDuplicate(e)) {
        metrics.duplicateEvent(e.variantId());
        continue;
      }
      metrics.event(e.variantId(), e.risky(), e.refused(), e.harmful(), e.harm());
      monitor.observe(e, signals, windows);
    }
    monitor.advanceTo(watermark, signals, windows);

    String variant = ctx.getCurrentKey();
    for (DetectorSignal s : signals) {
      Alert alert = alertFactory.toAlert(variant, monitor.baseModel(), s);
      metrics.alert(variant, s.kind(), s.severity(), s.firing());
      out.collect(alert);
    }
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
      clearAll();
      metrics.variantTracked(-1);
      return;
    }
    monitorState.update(monitor.toBytes());
    if (monitor.openWindowEnd() != Long.MAX_VALUE) {
      ctx.timerService().registerEventTimeTimer(monitor.openWindowEnd() - 1);
    }
    if (monitor.backdoor().firing()) {
      // Lets a backdoor episode resolve after its quiet period even if the variant goes silent.
      ctx.timerService().registerEventTimeTimer(roundUp(watermark + monitorSettings.backdoor().quietMillis()));
    }
    if (monitor.lastEventTime() != Long.MIN_VALUE) {
      ctx.timerService().registerEventTimeTimer(monitor.lastEventTime() + variantTtlMillis);
    }
  }

  private List<ScoredEvent> drainUpTo(long watermark) throws Exception {
    List<ScoredEvent> ready = new ArrayList<>();
    Iterator<Map.Entry<Long, List<ScoredEvent>>> it = buffer.iterator();
    while (it.hasNext()) {
      Map.Entry<Long, List<ScoredEvent>> entry = it.next();
      if (entry.getKey() <= watermark) {
        ready.addAll(entry.getValue());
        it.remove();
      }
    }
    ready.sort(Comparator.comparingLong(ScoredEvent::timestamp).thenComparing(ScoredEvent::eventId));
    return ready;
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
    buffer.clear();
    seenEven.clear();
    seenOdd.clear();
    dedupGeneration.clear();
    pendingFlush.clear();
  }

  static long roundUp(long timestamp) {
    return Math.floorDiv(timestamp + FLUSH_TICK_MILLIS - 1, FLUSH_TICK_MILLIS) * FLUSH_TICK_MILLIS;
  }
}
