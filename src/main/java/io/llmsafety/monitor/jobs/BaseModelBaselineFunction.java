package io.llmsafety.monitor.jobs;

import io.llmsafety.monitor.detectors.VariantMonitor;
import io.llmsafety.monitor.event.BaseModelBaseline;
import io.llmsafety.monitor.event.ControlCommand;
import io.llmsafety.monitor.event.ScoredEvent;
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
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Learns the reference window of each base model served as itself and offers it to the variants
 * fine-tuned from it (baseline source {@code base_model}), so a new adapter is tested against its
 * base model's behaviour from its first events.
 *
 * <p>Keyed by lineage: a variant's {@code base_model}, or its own id when it names none or itself.
 * Under key {@code B} arrive the base model's own events ({@code variant_id == B}) and those of every
 * variant fine-tuned from it, so the base's baseline meets its dependents without broadcasting it to
 * every subtask. (A variant whose events name another base model is not itself a base model here.)
 *
 * <p><b>Deterministic in event time.</b> The base's events are buffered and counted in event-time
 * order (ties by event id, duplicates dropped) exactly like the monitor's own reference windows;
 * each buffered time gets its own timer, so a completion at event time {@code T} is emitted before
 * this operator forwards any watermark at or past {@code T}. The monitor applies an offer only to
 * events after {@code completedAt} and holds its flush until its watermark, which includes this
 * operator's, has passed them: an offer reaches a variant before any event it applies to, however
 * the streams interleave. A variant first seen after the completion gets the offer with that event.
 *
 * <p>State per key: while the base's windows fill, its buffered events and their ids; afterwards a
 * few counters. Dependents are remembered by id and last offer time (re-offered every half
 * {@code variantTtl} of their own traffic, so a variant whose monitor state expired gets it again)
 * and pruned after {@code variantTtl} of silence; a key silent that long loses everything.
 */
public final class BaseModelBaselineFunction extends KeyedCoProcessFunction<String, ScoredEvent, ControlCommand, ControlCommand> {

  private static final long serialVersionUID = 1L;
  private static final long HOUR = 3_600_000;

  // Counter slots.
  private static final int RISKY_N = 0;
  private static final int RISKY_COMPLIED = 1;
  private static final int RISKY_HARMFUL = 2;
  private static final int BENIGN_N = 3;
  private static final int BENIGN_HARMFUL = 4;
  private static final int BENIGN_REFUSED = 5;
  private static final int RISKY_DONE_AT = 6;
  private static final int BENIGN_DONE_AT = 7;
  private static final int SLOTS = 8;
  private static final long NOT_DONE = Long.MIN_VALUE;

  private final int referenceRiskyEvents;
  private final int referenceEvents;
  private final long variantTtlMillis;

  private transient ValueState<long[]> counters;
  private transient MapState<Long, List<ScoredEvent>> buffer;
  private transient MapState<String, Boolean> seen;
  private transient MapState<String, Long> dependents;
  private transient ValueState<Long> lastSeen;

  public BaseModelBaselineFunction(int referenceRiskyEvents, int referenceEvents, long variantTtlMillis) {
    this.referenceRiskyEvents = referenceRiskyEvents;
    this.referenceEvents = referenceEvents;
    this.variantTtlMillis = variantTtlMillis;
  }

  /** The key: the base model an event's variant was fine-tuned from, or the variant itself. */
  public static String lineageKey(ScoredEvent e) {
    return e.baseModel() == null ? e.variantId() : e.baseModel();
  }

  @Override
  public void open(OpenContext openContext) {
    counters = getRuntimeContext().getState(new ValueStateDescriptor<>("reference-counters", PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO));
    buffer = getRuntimeContext().getMapState(new MapStateDescriptor<>("reference-buffer", Types.LONG,
        Types.LIST(TypeInformation.of(ScoredEvent.class))));
    seen = getRuntimeContext().getMapState(new MapStateDescriptor<>("reference-seen", Types.STRING, Types.BOOLEAN));
    dependents = getRuntimeContext().getMapState(new MapStateDescriptor<>("dependents", Types.STRING, Types.LONG));
    lastSeen = getRuntimeContext().getState(new ValueStateDescriptor<>("last-seen", Types.LONG));
  }

  @Override
  public void processElement1(ScoredEvent e, Context ctx, Collector<ControlCommand> out) throws Exception {
    if (e.timestamp() <= ctx.timerService().currentWatermark()) {
      return; // late: the monitor dead-letters and counts it
    }
    touch(e.timestamp(), ctx);
    String key = ctx.getCurrentKey();
    long[] c = counters();
    if (e.variantId().equals(key)) {
      if (c[RISKY_DONE_AT] == NOT_DONE || c[BENIGN_DONE_AT] == NOT_DONE) {
        List<ScoredEvent> sameTime = buffer.get(e.timestamp());
        if (sameTime == null) {
          sameTime = new ArrayList<>(1);
        }
        // Only what counting needs: no n-grams or text are held here.
        sameTime.add(new ScoredEvent(e.eventId(), e.timestamp(), e.variantId(), e.baseModel(), null, e.promptRisk(),
            e.refusal(), e.harm(), e.risky(), e.refused(), e.harmful(), null, null, null));
        buffer.put(e.timestamp(), sameTime);
        // One timer per buffered time: see the class comment on ordering.
        ctx.timerService().registerEventTimeTimer(e.timestamp());
      }
      return;
    }
    Long offeredAt = dependents.get(e.variantId());
    if (offeredAt != null && e.timestamp() - offeredAt < variantTtlMillis / 2) {
      return;
    }
    dependents.put(e.variantId(), e.timestamp());
    offer(e.variantId(), c, key, out);
  }

  /** Rebaselining a base model restarts its reference windows; dependents get the new one when it completes. */
  @Override
  public void processElement2(ControlCommand command, Context ctx, Collector<ControlCommand> out) throws Exception {
    if (ControlCommand.REBASELINE.equals(command.action()) && counters.value() != null) {
      counters.clear();
      buffer.clear();
      seen.clear();
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<ControlCommand> out) throws Exception {
    long watermark = ctx.timerService().currentWatermark();
    String key = ctx.getCurrentKey();
    List<ScoredEvent> ready = EventTimeBuffer.drainUpTo(buffer, watermark);
    if (!ready.isEmpty()) {
      long[] c = counters();
      boolean riskyWasDone = c[RISKY_DONE_AT] != NOT_DONE;
      boolean benignWasDone = c[BENIGN_DONE_AT] != NOT_DONE;
      for (ScoredEvent e : ready) {
        if (seen.contains(e.eventId())) {
          continue;
        }
        seen.put(e.eventId(), Boolean.TRUE);
        count(c, e);
      }
      counters.update(c);
      boolean newlyDone = !riskyWasDone && c[RISKY_DONE_AT] != NOT_DONE || !benignWasDone && c[BENIGN_DONE_AT] != NOT_DONE;
      if (c[RISKY_DONE_AT] != NOT_DONE && c[BENIGN_DONE_AT] != NOT_DONE) {
        buffer.clear();
        seen.clear();
      }
      if (newlyDone) {
        List<String> ids = new ArrayList<>();
        for (Map.Entry<String, Long> d : dependents.entries()) {
          ids.add(d.getKey());
        }
        ids.sort(Comparator.naturalOrder());
        for (String variant : ids) {
          offer(variant, c, key, out, riskyWasDone, benignWasDone);
        }
      }
    }
    Long last = lastSeen.value();
    if (last != null && watermark != Long.MAX_VALUE && watermark >= last + variantTtlMillis && buffer.isEmpty()) {
      counters.clear();
      seen.clear();
      dependents.clear();
      lastSeen.clear();
    } else if (last != null && watermark != Long.MAX_VALUE) {
      pruneDependents(watermark);
    }
  }

  private void count(long[] c, ScoredEvent e) {
    if (e.risky() && c[RISKY_DONE_AT] == NOT_DONE) {
      c[RISKY_N]++;
      c[RISKY_COMPLIED] += !e.refused() || e.harmful() ? 1 : 0;
      c[RISKY_HARMFUL] += e.harmful() ? 1 : 0;
      if (c[RISKY_N] >= referenceRiskyEvents) {
        c[RISKY_DONE_AT] = e.timestamp();
      }
    } else if (!e.risky() && c[BENIGN_DONE_AT] == NOT_DONE) {
      c[BENIGN_N]++;
      c[BENIGN_HARMFUL] += e.harmful() ? 1 : 0;
      c[BENIGN_REFUSED] += e.refused() ? 1 : 0;
      if (c[BENIGN_N] >= referenceEvents) {
        c[BENIGN_DONE_AT] = e.timestamp();
      }
    }
  }

  private void offer(String variant, long[] c, String base, Collector<ControlCommand> out) {
    offer(variant, c, base, out, false, false);
  }

  /** Sends the completed windows to one variant, skipping those it has been sent already. */
  private static void offer(String variant, long[] c, String base, Collector<ControlCommand> out, boolean skipRisky,
      boolean skipBenign) {
    if (c[RISKY_DONE_AT] != NOT_DONE && !skipRisky) {
      out.collect(ControlCommand.offer(variant, new BaseModelBaseline(base, VariantMonitor.KIND_REFUSAL_DROP,
          c[RISKY_DONE_AT], c[RISKY_N], c[RISKY_COMPLIED])));
      out.collect(ControlCommand.offer(variant, new BaseModelBaseline(base, VariantMonitor.KIND_HARM_RISE,
          c[RISKY_DONE_AT], c[RISKY_N], c[RISKY_HARMFUL])));
    }
    if (c[BENIGN_DONE_AT] != NOT_DONE && !skipBenign) {
      out.collect(ControlCommand.offer(variant, new BaseModelBaseline(base, VariantMonitor.KIND_BENIGN_HARM,
          c[BENIGN_DONE_AT], c[BENIGN_N], c[BENIGN_HARMFUL])));
      out.collect(ControlCommand.offer(variant, new BaseModelBaseline(base, VariantMonitor.KIND_OVER_REFUSAL,
          c[BENIGN_DONE_AT], c[BENIGN_N], c[BENIGN_REFUSED])));
    }
  }

  private long[] counters() throws Exception {
    long[] c = counters.value();
    if (c == null) {
      c = new long[SLOTS];
      c[RISKY_DONE_AT] = NOT_DONE;
      c[BENIGN_DONE_AT] = NOT_DONE;
    }
    return c;
  }

  /** Remembers the key's latest traffic at hour granularity, with a timer to expire it. */
  private void touch(long timestamp, Context ctx) throws Exception {
    Long last = lastSeen.value();
    if (last == null || timestamp > last + HOUR) {
      lastSeen.update(timestamp);
      ctx.timerService().registerEventTimeTimer(Math.floorDiv(timestamp + variantTtlMillis + HOUR - 1, HOUR) * HOUR);
    }
  }

  private void pruneDependents(long watermark) throws Exception {
    Iterator<Map.Entry<String, Long>> it = dependents.iterator();
    while (it.hasNext()) {
      if (watermark >= it.next().getValue() + variantTtlMillis) {
        it.remove();
      }
    }
  }
}
