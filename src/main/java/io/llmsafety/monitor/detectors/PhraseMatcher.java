package io.llmsafety.monitor.detectors;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds many phrases in one left-to-right pass (Aho-Corasick compiled to a full DFA), so the cost
 * is linear in the text length whatever the lexicon size, with no regex backtracking and no
 * allocation. Phrases match on word boundaries; a phrase ending in {@code *} matches any word
 * continuation ("explos*" finds "explosives"). Phrases use lower-case ASCII letters, digits,
 * space and {@code ' - . , : / ? ! ;} only; any other text character resets the automaton. Immutable
 * after construction and safe to share between threads.
 */
final class PhraseMatcher {

  /** Receives each match: the phrase index (as given to the constructor) and its start offset. */
  @FunctionalInterface
  interface Visitor {
    void match(int phrase, int start);
  }

  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 '-.,:/?!;";
  private static final int SIGMA = ALPHABET.length() + 1; // last class: any other character
  private static final byte[] CLASS = new byte[128];

  static {
    java.util.Arrays.fill(CLASS, (byte) (SIGMA - 1));
    for (int i = 0; i < ALPHABET.length(); i++) {
      CLASS[ALPHABET.charAt(i)] = (byte) i;
    }
  }

  private final int[] delta; // state * SIGMA + class -> state
  private final int[][] outputs; // phrases ending in each state, including via failure links
  private final int[] lengths;
  private final boolean[] prefix;
  private final int maxLength;

  PhraseMatcher(List<String> phrases) {
    List<int[]> gotoRows = new ArrayList<>();
    List<List<Integer>> out = new ArrayList<>();
    gotoRows.add(newRow());
    out.add(new ArrayList<>());
    lengths = new int[phrases.size()];
    prefix = new boolean[phrases.size()];
    int max = 0;
    for (int p = 0; p < phrases.size(); p++) {
      String phrase = phrases.get(p);
      if (phrase.endsWith("*")) {
        prefix[p] = true;
        phrase = phrase.substring(0, phrase.length() - 1);
      }
      if (phrase.isEmpty()) {
        throw new IllegalArgumentException("empty phrase at index " + p);
      }
      lengths[p] = phrase.length();
      max = Math.max(max, phrase.length());
      int state = 0;
      for (int i = 0; i < phrase.length(); i++) {
        int cls = classOf(phrase.charAt(i));
        if (cls == SIGMA - 1) {
          throw new IllegalArgumentException(
              "phrase '" + phrases.get(p) + "' has a character outside [" + ALPHABET + "]");
        }
        if (gotoRows.get(state)[cls] < 0) {
          gotoRows.get(state)[cls] = gotoRows.size();
          gotoRows.add(newRow());
          out.add(new ArrayList<>());
        }
        state = gotoRows.get(state)[cls];
      }
      out.get(state).add(p);
    }
    maxLength = max;
    int n = gotoRows.size();
    delta = new int[n * SIGMA];
    int[] fail = new int[n];
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    for (int c = 0; c < SIGMA; c++) {
      int child = gotoRows.get(0)[c];
      delta[c] = Math.max(child, 0);
      if (child > 0) {
        queue.add(child);
      }
    }
    while (!queue.isEmpty()) {
      int s = queue.poll();
      out.get(s).addAll(out.get(fail[s]));
      for (int c = 0; c < SIGMA; c++) {
        int child = gotoRows.get(s)[c];
        if (child > 0) {
          fail[child] = delta[fail[s] * SIGMA + c];
          delta[s * SIGMA + c] = child;
          queue.add(child);
        } else {
          delta[s * SIGMA + c] = delta[fail[s] * SIGMA + c];
        }
      }
    }
    outputs = new int[n][];
    for (int s = 0; s < n; s++) {
      outputs[s] = out.get(s).stream().mapToInt(Integer::intValue).toArray();
    }
  }

  /** Reports every word-bounded match that starts before {@code limit}, in order of its end. */
  void scan(String text, int limit, Visitor visitor) {
    int end = (int) Math.min(text.length(), (long) limit + maxLength);
    int state = 0;
    for (int i = 0; i < end; i++) {
      state = delta[state * SIGMA + classOf(text.charAt(i))];
      int[] hits = outputs[state];
      for (int h = 0; h < hits.length; h++) {
        int p = hits[h];
        int start = i + 1 - lengths[p];
        if (start < limit
            && isBoundary(text, start - 1)
            && (prefix[p] || isBoundary(text, i + 1))) {
          visitor.match(p, start);
        }
      }
    }
  }

  private static int[] newRow() {
    int[] row = new int[SIGMA];
    java.util.Arrays.fill(row, -1);
    return row;
  }

  private static int classOf(char c) {
    return c < 128 ? CLASS[c] : SIGMA - 1;
  }

  private static boolean isBoundary(String text, int i) {
    return i < 0 || i >= text.length() || !Character.isLetterOrDigit(text.charAt(i));
  }
}
