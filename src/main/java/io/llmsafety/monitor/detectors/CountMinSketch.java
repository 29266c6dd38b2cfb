package io.llmsafety.monitor.detectors;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.datasketches.hash.MurmurHash3;

/**
 * Count-min sketch (Cormode and Muthukrishnan 2005) with conservative update (Estan and Varghese
 * 2002), for counting string items in bounded memory.
 *
 * <p>Written here because datasketches-java 6.2.0 has no count-min sketch (it arrived in a later
 * release); hashing is the library's MurmurHash3. Replace with {@code
 * org.apache.datasketches.count.CountMinSketch} when the project upgrades.
 *
 * <p><b>Guarantee.</b> {@link #estimate(String)} never under-counts: {@code estimate >= true
 * count}, always (conservative update keeps this for unit increments). With probability at least
 * {@code 1 - e^-depth} it over-counts by at most {@link #errorBound()} {@code = ceil(e / width *
 * totalWeight)}. The error grows with the stream, so long-lived users should rotate sketches.
 *
 * <p>Memory: {@code 4 * width * depth} bytes of counters. Mutable, single-threaded.
 */
public final class CountMinSketch {

  static final byte SERIAL_VERSION = 1;
  private static final int HEADER_BYTES = 1 + 4 + 4 + 8 + 8;

  private final int width;
  private final int depth;
  private final long seed;
  private final int[] counts;
  private long totalWeight;

  private CountMinSketch(int width, int depth, long seed) {
    this.width = width;
    this.depth = depth;
    this.seed = seed;
    this.counts = new int[width * depth];
  }

  /**
   * @param width counters per row, a power of two in [16, 2^24]
   * @param depth rows, in [1, 16]; the error bound holds with probability {@code 1 - e^-depth}
   * @param seed hash seed; sketches only merge or compare with the same seed
   */
  public static CountMinSketch create(int width, int depth, long seed) {
    checkDimensions(width, depth);
    return new CountMinSketch(width, depth, seed);
  }

  /** Throws unless {@link #create} accepts these dimensions; allocates nothing. */
  public static void checkDimensions(int width, int depth) {
    if (width < 16 || width > (1 << 24) || Integer.bitCount(width) != 1) {
      throw new IllegalArgumentException("width must be a power of two in [16, 2^24], was " + width);
    }
    if (depth < 1 || depth > 16) {
      throw new IllegalArgumentException("depth must be in [1, 16], was " + depth);
    }
  }

  /** Counts one occurrence of {@code item}; returns its new estimate. */
  public long update(String item) {
    return updateUtf8(item.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * As {@link #update(String)}, given the item's UTF-8 bytes: a caller feeding one item to several
   * sketches encodes it once.
   */
  public long updateUtf8(byte[] itemUtf8) {
    long[] h = MurmurHash3.hash(itemUtf8, seed);
    int min = Integer.MAX_VALUE;
    for (int row = 0; row < depth; row++) {
      min = Math.min(min, counts[index(h, row)]);
    }
    // Conservative update: raise only the cells below the new minimum, which keeps every cell an
    // upper bound of each item hashed to it while adding less noise than incrementing all.
    int next = min == Integer.MAX_VALUE ? min : min + 1;
    for (int row = 0; row < depth; row++) {
      int i = index(h, row);
      if (counts[i] < next) {
        counts[i] = next;
      }
    }
    totalWeight++;
    return next;
  }

  /** Upper bound on the number of times {@code item} was counted. */
  public long estimate(String item) {
    long[] h = hash(item);
    int min = Integer.MAX_VALUE;
    for (int row = 0; row < depth; row++) {
      min = Math.min(min, counts[index(h, row)]);
    }
    return min;
  }

  /** Number of updates so far. */
  public long totalWeight() {
    return totalWeight;
  }

  /** Over-count bound {@code ceil(e / width * totalWeight)}, holding w.p. {@code 1 - e^-depth}. */
  public long errorBound() {
    return (long) Math.ceil(Math.E / width * totalWeight);
  }

  public int width() {
    return width;
  }

  public int depth() {
    return depth;
  }

  /** Serialized size in bytes for these dimensions. */
  public static int serializedBytes(int width, int depth) {
    return HEADER_BYTES + 4 * width * depth;
  }

  /** Version byte, width, depth, seed, total weight, then the counters. */
  public byte[] toByteArray() {
    ByteBuffer buf = ByteBuffer.allocate(serializedBytes(width, depth));
    buf.put(SERIAL_VERSION).putInt(width).putInt(depth).putLong(seed).putLong(totalWeight);
    buf.asIntBuffer().put(counts); // one bulk copy (big-endian, as putInt): the counters are most of the bytes
    return buf.array();
  }

  /** Reads bytes written by {@link #toByteArray()}. */
  public static CountMinSketch heapify(byte[] bytes) {
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    byte version = buf.get();
    if (version != SERIAL_VERSION) {
      throw new IllegalArgumentException("unsupported CountMinSketch serial version " + version);
    }
    CountMinSketch s = create(buf.getInt(), buf.getInt(), buf.getLong());
    s.totalWeight = buf.getLong();
    if (bytes.length != serializedBytes(s.width, s.depth)) {
      throw new IllegalArgumentException("CountMinSketch bytes have wrong length " + bytes.length);
    }
    buf.asIntBuffer().get(s.counts);
    return s;
  }

  private long[] hash(String item) {
    return MurmurHash3.hash(item.getBytes(StandardCharsets.UTF_8), seed);
  }

  private int index(long[] h, int row) {
    // Kirsch-Mitzenmacher double hashing: row hashes h1 + row * h2 are as good as independent ones.
    long combined = h[0] + row * (h[1] | 1L);
    return row * width + (int) (combined & (width - 1));
  }
}
