package io.llmsafety.monitor.detectors;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashSet;

/**
 * The last {@code capacity} distinct 64-bit hashes added, exactly; the oldest is forgotten first.
 * Membership is exact while a hash is remembered (no false positives beyond hash collisions).
 * Mutable, single-threaded; {@code 8 * capacity} bytes of state at most.
 */
final class RecentHashes {

  private final int capacity;
  // Insertion-ordered: the first element is the oldest, and serialization is deterministic.
  private final LinkedHashSet<Long> hashes = new LinkedHashSet<>();

  RecentHashes(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1, was " + capacity);
    }
    this.capacity = capacity;
  }

  /** Adds {@code hash}; returns false (and changes nothing) if it is already remembered. */
  boolean add(long hash) {
    if (!hashes.add(hash)) {
      return false;
    }
    if (hashes.size() > capacity) {
      Iterator<Long> oldest = hashes.iterator();
      oldest.next();
      oldest.remove();
    }
    return true;
  }

  boolean contains(long hash) {
    return hashes.contains(hash);
  }

  int size() {
    return hashes.size();
  }

  int capacity() {
    return capacity;
  }

  void writeTo(DataOutput out) throws IOException {
    out.writeInt(capacity);
    out.writeInt(hashes.size());
    for (long h : hashes) {
      out.writeLong(h);
    }
  }

  /** Reads state written by {@link #writeTo}; a capacity above {@code maxCapacity} is corrupt. */
  static RecentHashes readFrom(DataInput in, int maxCapacity) throws IOException {
    int capacity = in.readInt();
    int size = in.readInt();
    if (capacity < 1 || capacity > maxCapacity || size < 0 || size > capacity) {
      throw new IOException("corrupt recent-hash state: capacity " + capacity + ", size " + size);
    }
    RecentHashes r = new RecentHashes(capacity);
    for (int i = 0; i < size; i++) {
      r.hashes.add(in.readLong());
    }
    return r;
  }
}
