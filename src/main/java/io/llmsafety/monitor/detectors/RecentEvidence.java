package io.llmsafety.monitor.detectors;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The latest events that pushed a detector, kept for alert evidence: at most {@code capacity} event
 * ids, and their text excerpts when text evidence is on. Oldest first.
 */
final class RecentEvidence {

  private static final int MAX_TEXT_CHARS = 16_000;

  private final int capacity;
  private final ArrayDeque<String> ids = new ArrayDeque<>();
  private final ArrayDeque<String> texts = new ArrayDeque<>();

  RecentEvidence(int capacity) {
    this.capacity = capacity;
  }

  /** @param text null unless text evidence is on */
  void add(String eventId, String text) {
    ids.addLast(eventId);
    if (text != null) {
      texts.addLast(text);
    }
    while (ids.size() > capacity) {
      ids.removeFirst();
    }
    while (texts.size() > capacity) {
      texts.removeFirst();
    }
  }

  void clear() {
    ids.clear();
    texts.clear();
  }

  List<String> ids() {
    return new ArrayList<>(ids);
  }

  List<String> texts() {
    return new ArrayList<>(texts);
  }

  void writeTo(DataOutput out) throws IOException {
    writeStrings(out, ids);
    writeStrings(out, texts);
  }

  void readFrom(DataInput in) throws IOException {
    clear();
    readStrings(in, ids);
    readStrings(in, texts);
  }

  private static void writeStrings(DataOutput out, ArrayDeque<String> strings) throws IOException {
    out.writeInt(strings.size());
    for (String s : strings) {
      out.writeUTF(s.length() > MAX_TEXT_CHARS ? s.substring(0, MAX_TEXT_CHARS) : s);
    }
  }

  private static void readStrings(DataInput in, ArrayDeque<String> into) throws IOException {
    int n = in.readInt();
    for (int i = 0; i < n; i++) {
      into.addLast(in.readUTF());
    }
  }
}
