package io.llmsafety.monitor.detectors;

import io.llmsafety.monitor.judge.JudgeCategories;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts of the remote judge's category codes over one episode's evidence events, bounded: at most
 * {@link #MAX_DISTINCT} codes are counted by name and any further ones (or anything that is not a
 * plausible code, which the judge operator already rejects) under {@link #OTHER}, so a judge that
 * invents codes cannot grow keyed state. Sorted by code, so state bytes and ties are deterministic.
 */
final class JudgeCategoryTally {

  /** Codes reported in evidence, most frequent first. */
  static final int TOP = 5;
  /** Distinct codes counted by name; OpenAI moderation has 13 categories and Llama Guard 14. */
  static final int MAX_DISTINCT = 32;
  /** Where codes beyond {@link #MAX_DISTINCT} are counted. */
  static final String OTHER = "_other";

  private final TreeMap<String, Long> counts = new TreeMap<>();
  private long other;

  /** Adds one event's codes; null (no judge categories) adds nothing. */
  void add(String[] codes) {
    if (codes == null) {
      return;
    }
    for (String code : codes) {
      if (JudgeCategories.plausible(code) && !OTHER.equals(code)
          && (counts.containsKey(code) || counts.size() < MAX_DISTINCT)) {
        counts.merge(code, 1L, Long::sum);
      } else {
        other++;
      }
    }
  }

  void clear() {
    counts.clear();
    other = 0;
  }

  boolean isEmpty() {
    return counts.isEmpty() && other == 0;
  }

  /** The {@link #TOP} most frequent codes ({@link #OTHER} ranked among them), ties by code. */
  List<DetectorSignal.JudgeCategoryCount> top() {
    if (isEmpty()) {
      return List.of();
    }
    List<DetectorSignal.JudgeCategoryCount> all = new ArrayList<>(counts.size() + 1);
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      all.add(new DetectorSignal.JudgeCategoryCount(e.getKey(), e.getValue()));
    }
    if (other > 0) {
      all.add(new DetectorSignal.JudgeCategoryCount(OTHER, other));
    }
    all.sort(Comparator.comparingLong(DetectorSignal.JudgeCategoryCount::count).reversed()
        .thenComparing(DetectorSignal.JudgeCategoryCount::category));
    return List.copyOf(all.subList(0, Math.min(TOP, all.size())));
  }

  void writeTo(DataOutput out) throws IOException {
    out.writeInt(counts.size());
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      out.writeUTF(e.getKey());
      out.writeLong(e.getValue());
    }
    out.writeLong(other);
  }

  void readFrom(DataInput in) throws IOException {
    clear();
    int n = in.readInt();
    if (n < 0 || n > MAX_DISTINCT) {
      throw new IOException("corrupt judge category state: " + n + " codes");
    }
    for (int i = 0; i < n; i++) {
      String code = in.readUTF();
      long count = in.readLong();
      if (!JudgeCategories.plausible(code) || count <= 0) {
        throw new IOException("corrupt judge category state: a code that is not one, or a count of " + count);
      }
      counts.put(code, count);
    }
    other = in.readLong();
    if (other < 0) {
      throw new IOException("corrupt judge category state: " + other + " other codes");
    }
  }
}
