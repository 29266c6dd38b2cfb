package io.llmsafety.monitor.detectors.reference;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Finds many phrases at once with a character trie walked from each word start. Phrases match on
 * word boundaries, so only word starts can begin a match; most walks die after a character or
 * two, and the hot top of the trie stays in cache. Cost is linear in the text length times the
 * (short) mean walk, with no regex backtracking and no allocation. A phrase ending in {@code *}
 * matches any word continuation ("explos*" finds "explosives"). Phrases use lower-case ASCII
 * letters, digits, space and {@code ' - . , : / ? ! ;} only. Immutable after construction and
 * safe to share between threads.
 */
final class PhraseMatcher {

  /** Receives each match: the phrase index (as given to the constructor) and its start offset. */
  @FunctionalInterface
  interface Visitor {
    void match(int phrase, int start);
  }

  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 '-.,:/?!;";
  private static final int OTHER = ALPHABET.length();
  private static final int SIGMA = OTHER + 1;
  private static final byte[] CLASS = new byte[128];
  private static final boolean[] ASCII_WORD = new boolean[128];

  static {
    Arrays.fill(CLASS, (byte) OTHER);
    for (int i = 0; i < ALPHABET.length(); i++) {
      CLASS[ALPHABET.charAt(i)] = (byte) i;
    }
    for (char c = 0; c < 128; c++) {
      ASCII_WORD[c] = Character.isLetterOrDigit(c);
    }
  }

  private final int[] child; // node * SIGMA + class -> child node, 0 = none (root is no child)
  private final int[][] ends; // phrases ending exactly at each node
  private final boolean[] prefix;

  PhraseMatcher(List<String> phrases) {
    List<int[]> rows = new ArrayList<>();
    List<List<Integer>> out = new ArrayList<>();
    rows.add(new int[SIGMA]);
    out.add(new ArrayList<>());
    prefix = new boolean[phrases.size()];
    for (int p = 0; p < phrases.size(); p++) {
      String phrase = phrases.get(p);
      if (phrase.endsWith("*")) {
        prefix[p] = true;
        phrase = phrase.substring(0, phrase.length() - 1);
      }
      if (phrase.isEmpty()) {
        throw new IllegalArgumentException("empty phrase at index " + p);
      }
      int node = 0;
      for (int i = 0; i < phrase.length(); i++) {
        int cls = classOf(phrase.charAt(i));
        if (cls == OTHER) {
          throw new IllegalArgumentException(
              "phrase '" + phrases.get(p) + "' has a character outside [" + ALPHABET + "]");
        }
        if (rows.get(node)[cls] == 0) {
          rows.get(node)[cls] = rows.size();
          rows.add(new int[SIGMA]);
          out.add(new ArrayList<>());
        }
        node = rows.get(node)[cls];
      }
      out.get(node).add(p);
    }
    child = new int[rows.size() * SIGMA];
    ends = new int[rows.size()][];
    for (int n = 0; n < rows.size(); n++) {
      System.arraycopy(rows.get(n), 0, child, n * SIGMA, SIGMA);
      ends[n] = out.get(n).stream().mapToInt(Integer::intValue).toArray();
    }
  }

  /** Reports every word-bounded match that starts before {@code limit}, in order of start. */
  void scan(String text, int limit, Visitor visitor) {
    int length = text.length();
    int starts = Math.min(length, limit);
    for (int i = 0; i < starts; i++) {
      if (i > 0 && isWordChar(text.charAt(i - 1))) {
        continue; // a match must start at a word boundary
      }
      int node = 0;
      for (int j = i; j < length; j++) {
        node = child[node * SIGMA + classOf(text.charAt(j))];
        if (node == 0) {
          break;
        }
        int[] hits = ends[node];
        for (int h = 0; h < hits.length; h++) {
          int p = hits[h];
          if (prefix[p] || j + 1 == length || !isWordChar(text.charAt(j + 1))) {
            visitor.match(p, i);
          }
        }
      }
    }
  }

  private static int classOf(char c) {
    return c < 128 ? CLASS[c] : OTHER;
  }

  private static boolean isWordChar(char c) {
    return c < 128 ? ASCII_WORD[c] : Character.isLetterOrDigit(c);
  }
}
