package io.llmsafety.monitor.detectors;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.memory.Memory;
import org.apache.datasketches.quantilescommon.QuantilesDoublesSketchIterator;

/**
 * Counts per segment and the harm-score quantiles for one tumbling event-time window of one
 * variant. Windows are aligned to the epoch, so all variants and all subtasks share boundaries.
 *
 * <p>Quantiles are exact while the window holds at most {@link #EXACT_SCORES} scores; beyond that
 * they come from a histogram of {@link #BINS} equal bins over [0, 1] (the bin's midpoint, so within
 * 0.0025 of the exact value, and never outside the window's smallest and largest score). Both are
 * deterministic, unlike DataSketches' KLL (it compacts with a shared unseeded random generator), so
 * replays give identical window metrics; and both stay small in state, which this accumulator
 * shares with the rest of the per-variant core that is read and written on every flush (at most
 * 512 bytes of exact scores, then only the non-empty bins).
 */
public final class WindowAccumulator {

  private static final byte VERSION = 2;
  /** Kept harm scores in a KLL sketch; read by replaying the sketch's items into the histogram. */
  private static final byte VERSION_KLL = 1;
  static final int EXACT_SCORES = 64;
  /** Resolution 0.005; at most 256, as a bin index is stored in one byte. */
  static final int BINS = 200;

  private final long sizeMillis;
  private long start = Long.MIN_VALUE;
  private long riskyEvents;
  private long riskyRefusals;
  private long riskyHarmful;
  private long benignEvents;
  private long benignRefusals;
  private long benignHarmful;
  private final HarmQuantiles harm = new HarmQuantiles();

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
      harm.add(harmScore, 1);
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
    WindowStats stats = new WindowStats(variantId, baseModel, start, start + sizeMillis,
        riskyEvents, riskyRefusals, riskyHarmful, benignEvents, benignRefusals, benignHarmful,
        harm.quantile(0.5), harm.quantile(0.9), harm.quantile(0.99));
    start = Long.MIN_VALUE;
    riskyEvents = riskyRefusals = riskyHarmful = benignEvents = benignRefusals = benignHarmful = 0;
    harm.clear();
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
    harm.writeTo(out);
  }

  public static WindowAccumulator readFrom(DataInput in) throws IOException {
    byte version = in.readByte();
    if (version != VERSION && version != VERSION_KLL) {
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
    if (version == VERSION) {
      w.harm.readFrom(in);
    } else {
      byte[] sketch = new byte[in.readInt()];
      in.readFully(sketch);
      // The sketch's retained items with their weights: exact while it had not compacted.
      QuantilesDoublesSketchIterator items = KllDoublesSketch.heapify(Memory.wrap(sketch)).iterator();
      while (items.next()) {
        w.harm.add(items.getQuantile(), items.getWeight());
      }
    }
    return w;
  }

  /** Harm scores of the open window: exact while few, then a fixed-resolution histogram. */
  static final class HarmQuantiles {
    private double[] exact = new double[8];
    /** Null while the scores are kept exactly. */
    private long[] bins;
    private long n;
    private double min = Double.POSITIVE_INFINITY;
    private double max = Double.NEGATIVE_INFINITY;

    void add(double score, long weight) {
      min = Math.min(min, score);
      max = Math.max(max, score);
      if (bins == null && n + weight <= EXACT_SCORES) {
        if (n + weight > exact.length) {
          exact = Arrays.copyOf(exact, EXACT_SCORES);
        }
        for (long i = 0; i < weight; i++) {
          exact[(int) n++] = score;
        }
        return;
      }
      if (bins == null) {
        bins = new long[BINS];
        for (int i = 0; i < n; i++) {
          bins[bin(exact[i])]++;
        }
        exact = null;
      }
      bins[bin(score)] += weight;
      n += weight;
    }

    private static int bin(double score) {
      // Scores outside [0, 1] (none expected) go to the end bins; min and max still bound the answer.
      return (int) Math.max(0, Math.min(BINS - 1, Math.floor(score * BINS)));
    }

    /** The smallest score with at least a share {@code q} of scores at or below it; NaN when empty. */
    double quantile(double q) {
      if (n == 0) {
        return Double.NaN;
      }
      long rank = Math.max(1, (long) Math.ceil(q * n));
      if (bins == null) {
        double[] sorted = Arrays.copyOf(exact, (int) n);
        Arrays.sort(sorted);
        return sorted[(int) rank - 1];
      }
      long below = 0;
      int i = 0;
      while (below + bins[i] < rank) {
        below += bins[i++];
      }
      return Math.max(min, Math.min(max, (i + 0.5) / BINS));
    }

    void clear() {
      exact = new double[8];
      bins = null;
      n = 0;
      min = Double.POSITIVE_INFINITY;
      max = Double.NEGATIVE_INFINITY;
    }

    void writeTo(DataOutput out) throws IOException {
      out.writeLong(n);
      if (n == 0) {
        return;
      }
      out.writeDouble(min);
      out.writeDouble(max);
      out.writeBoolean(bins != null);
      if (bins == null) {
        for (int i = 0; i < n; i++) {
          out.writeDouble(exact[i]);
        }
        return;
      }
      int used = 0;
      for (long c : bins) {
        used += c != 0 ? 1 : 0;
      }
      out.writeShort(used);
      for (int i = 0; i < BINS; i++) {
        if (bins[i] != 0) {
          out.writeByte(i);
          writeVarLong(out, bins[i]);
        }
      }
    }

    /** Seven bits a byte, low first: most bin counts take one or two bytes instead of eight. */
    private static void writeVarLong(DataOutput out, long v) throws IOException {
      while ((v & ~0x7FL) != 0) {
        out.writeByte((int) (v & 0x7F) | 0x80);
        v >>>= 7;
      }
      out.writeByte((int) v);
    }

    private static long readVarLong(DataInput in) throws IOException {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        int b = in.readUnsignedByte();
        v |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return v;
        }
      }
      throw new IOException("corrupt WindowAccumulator state: a bin count longer than 64 bits");
    }

    void readFrom(DataInput in) throws IOException {
      clear();
      long count = in.readLong();
      if (count == 0) {
        return;
      }
      if (count < 0) {
        throw new IOException("corrupt WindowAccumulator state: " + count + " harm scores");
      }
      double lo = in.readDouble();
      double hi = in.readDouble();
      if (!in.readBoolean()) {
        if (count > EXACT_SCORES) {
          throw new IOException("corrupt WindowAccumulator state: " + count + " exact harm scores");
        }
        for (long i = 0; i < count; i++) {
          add(in.readDouble(), 1);
        }
      } else {
        bins = new long[BINS];
        exact = null;
        int used = in.readShort();
        long total = 0;
        for (int k = 0; k < used; k++) {
          int i = in.readUnsignedByte();
          long c = readVarLong(in);
          if (i < 0 || i >= BINS || c <= 0) {
            throw new IOException("corrupt WindowAccumulator state: bin " + i + " count " + c);
          }
          bins[i] = c;
          total += c;
        }
        if (total != count) {
          throw new IOException("corrupt WindowAccumulator state: bins hold " + total + " of " + count + " scores");
        }
        n = count;
      }
      min = lo;
      max = hi;
    }
  }
}
