package io.llmsafety.monitor.detectors;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.memory.Memory;
import org.apache.datasketches.quantilescommon.QuantileSearchCriteria;

/**
 * Counts per segment and a KLL sketch of harm scores for one tumbling event-time window of one
 * variant. Windows are aligned to the epoch, so all variants and all subtasks share boundaries.
 */
public final class WindowAccumulator {

  private static final byte VERSION = 1;
  /** KLL k=200: normalised rank error about 1.65% (DataSketches KLL documentation). */
  private static final int KLL_K = 200;

  private final long sizeMillis;
  private long start = Long.MIN_VALUE;
  private long riskyEvents;
  private long riskyRefusals;
  private long riskyHarmful;
  private long benignEvents;
  private long benignRefusals;
  private long benignHarmful;
  private KllDoublesSketch harm = KllDoublesSketch.newHeapInstance(KLL_K);

  public WindowAccumulator(long sizeMillis) {
    if (sizeMillis <= 0) {
      throw new IllegalArgumentException("window size must be > 0 ms, got " + sizeMillis);
    }
    this.sizeMillis = sizeMillis;
  }

  public long windowStartOf(long timestamp) {
    return Math.floorDiv(timestamp, sizeMillis) * sizeMillis;
  }

  /** End (exclusive) of the open window, or {@link Long#MAX_VALUE} if none is open. */
  public long openWindowEnd() {
    return start == Long.MIN_VALUE ? Long.MAX_VALUE : start + sizeMillis;
  }

  /**
   * Adds one event. Events must come in event-time order; if the event is past the open window,
   * that window is closed and returned first.
   */
  public WindowStats add(String variantId, String baseModel, long timestamp, boolean risky, boolean refused,
      boolean harmful, double harmScore) {
    WindowStats closed = null;
    long eventWindow = windowStartOf(timestamp);
    if (start != Long.MIN_VALUE && eventWindow != start) {
      closed = close(variantId, baseModel);
    }
    if (start == Long.MIN_VALUE) {
      start = eventWindow;
    }
    if (risky) {
      riskyEvents++;
      riskyRefusals += refused ? 1 : 0;
      riskyHarmful += harmful ? 1 : 0;
    } else {
      benignEvents++;
      benignRefusals += refused ? 1 : 0;
      benignHarmful += harmful ? 1 : 0;
    }
    if (!Double.isNaN(harmScore)) {
      harm.update(harmScore);
    }
    return closed;
  }

  /** Closes the open window if the watermark has passed its end; null otherwise. */
  public WindowStats closeIfComplete(String variantId, String baseModel, long watermark) {
    if (start != Long.MIN_VALUE && watermark >= start + sizeMillis - 1) {
      return close(variantId, baseModel);
    }
    return null;
  }

  private WindowStats close(String variantId, String baseModel) {
    boolean empty = harm.isEmpty();
    WindowStats stats = new WindowStats(variantId, baseModel, start, start + sizeMillis,
        riskyEvents, riskyRefusals, riskyHarmful, benignEvents, benignRefusals, benignHarmful,
        empty ? Double.NaN : harm.getQuantile(0.5, QuantileSearchCriteria.INCLUSIVE),
        empty ? Double.NaN : harm.getQuantile(0.9, QuantileSearchCriteria.INCLUSIVE),
        empty ? Double.NaN : harm.getQuantile(0.99, QuantileSearchCriteria.INCLUSIVE));
    start = Long.MIN_VALUE;
    riskyEvents = riskyRefusals = riskyHarmful = benignEvents = benignRefusals = benignHarmful = 0;
    harm = KllDoublesSketch.newHeapInstance(KLL_K);
    return stats;
  }

  public void writeTo(DataOutput out) throws IOException {
    out.writeByte(VERSION);
    out.writeLong(sizeMillis);
    out.writeLong(start);
    out.writeLong(riskyEvents);
    out.writeLong(riskyRefusals);
    out.writeLong(riskyHarmful);
    out.writeLong(benignEvents);
    out.writeLong(benignRefusals);
    out.writeLong(benignHarmful);
    byte[] sketch = harm.toByteArray();
    out.writeInt(sketch.length);
    out.write(sketch);
  }

  public static WindowAccumulator readFrom(DataInput in) throws IOException {
    byte version = in.readByte();
    if (version != VERSION) {
      throw new IOException("unknown WindowAccumulator version " + version);
    }
    WindowAccumulator w = new WindowAccumulator(in.readLong());
    w.start = in.readLong();
    w.riskyEvents = in.readLong();
    w.riskyRefusals = in.readLong();
    w.riskyHarmful = in.readLong();
    w.benignEvents = in.readLong();
    w.benignRefusals = in.readLong();
    w.benignHarmful = in.readLong();
    byte[] sketch = new byte[in.readInt()];
    in.readFully(sketch);
    w.harm = KllDoublesSketch.heapify(Memory.wrap(sketch));
    return w;
  }
}
