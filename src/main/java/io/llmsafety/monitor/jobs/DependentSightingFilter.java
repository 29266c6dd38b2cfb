package io.llmsafety.monitor.jobs;

import io.llmsafety.monitor.event.ScoredEvent;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Thins the stream {@link BaseModelBaselineFunction} sees, so a base model with thousands of
 * adapters is not one hot key carrying all of their traffic.
 *
 * <p>That operator needs every event of a base model served as itself (to count its reference
 * windows) but of an adapter only the sightings it acts on: the first event, then one at least
 * {@code variantTtl / 2} of event time after the last one it acted on. This filter runs chained to
 * the scorer, without a shuffle or checkpointed state, and forwards exactly those: base events, and
 * an adapter's event when this subtask has not forwarded one of its events within the interval.
 * Its memory is a per-subtask cache of recent sightings, bounded by {@code maxTrackedAdapters}; an
 * evicted or restarted entry only means one more sighting, which the keyed operator dedupes itself,
 * so at parallelism 1 without eviction it forwards precisely the adapter events the operator would
 * act on, and the offers (and replays) are unchanged.
 *
 * <p>Late events (at or behind this subtask's watermark) are forwarded without being remembered: the
 * keyed operator ignores them, and a later on-time event must still reach it.
 */
public final class DependentSightingFilter extends ProcessFunction<ScoredEvent, ScoredEvent> {

  private static final long serialVersionUID = 1L;

  private final long resightMillis;
  private final int maxTrackedAdapters;
  private transient Map<String, Long> lastForwarded;

  public DependentSightingFilter(long variantTtlMillis, int maxTrackedAdapters) {
    if (maxTrackedAdapters < 1) {
      throw new IllegalArgumentException("maxTrackedAdapters must be at least 1, got " + maxTrackedAdapters);
    }
    this.resightMillis = variantTtlMillis / 2;
    this.maxTrackedAdapters = maxTrackedAdapters;
  }

  @Override
  public void open(OpenContext openContext) {
    lastForwarded = new LinkedHashMap<>(1024, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
        return size() > maxTrackedAdapters;
      }
    };
  }

  @Override
  public void processElement(ScoredEvent e, Context ctx, Collector<ScoredEvent> out) {
    if (e.variantId().equals(BaseModelBaselineFunction.lineageKey(e))) {
      out.collect(e);
      return;
    }
    if (e.timestamp() <= ctx.timerService().currentWatermark()) {
      out.collect(e);
      return;
    }
    Long last = lastForwarded.get(e.variantId());
    if (last == null || e.timestamp() - last >= resightMillis) {
      lastForwarded.put(e.variantId(), e.timestamp());
      out.collect(e);
    }
  }
}
