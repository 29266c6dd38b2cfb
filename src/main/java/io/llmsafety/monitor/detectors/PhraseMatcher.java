package io.llmsafety.monitor.detectors;

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

  /** Nodes with more children than this get a full row; the rest a short list of edges. */
  private static final int SPARSE_MAX = 4;

  // The trie, compact so that it stays in the first-level cache: each walk step is a lookup here.
  // Nodes are numbered so that the root and the nodes with many children come first: node n <
  // denseNodes has a full row, dense[n * SIGMA + class] -> child; the others list their edges as
  // (class << 24 | child) in edges[edgeStart[n] .. edgeStart[n + 1]). Child 0 means none (the
  // root is nobody's child).
  private final int denseNodes;
  private final int[] dense;
  private final int[] edgeStart;
  private final int[] edges;
  // Phrases ending exactly at node n: endPhrase[endStart[n] .. endStart[n + 1]), flat so that a
  // step to a node where nothing ends touches no other object.
  private final int[] endStart;
  private final int[] endPhrase;
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
    int nodes = rows.size();
    if (nodes >= 1 << 24) {
      throw new IllegalArgumentException("too many phrases: " + nodes + " trie nodes");
    }
    // Renumber: the root, then the other branching nodes, then the rest, each in creation order.
    boolean[] branching = new boolean[nodes];
    branching[0] = true;
    for (int n = 1; n < nodes; n++) {
      int children = 0;
      for (int c : rows.get(n)) {
        children += c != 0 ? 1 : 0;
      }
      branching[n] = children > SPARSE_MAX;
    }
    int[] id = new int[nodes];
    int[] original = new int[nodes];
    int next = 0;
    for (int n = 0; n < nodes; n++) {
      if (branching[n]) {
        original[next] = n;
        id[n] = next++;
      }
    }
    denseNodes = next;
    for (int n = 0; n < nodes; n++) {
      if (!branching[n]) {
        original[next] = n;
        id[n] = next++;
      }
    }
    dense = new int[denseNodes * SIGMA];
    edgeStart = new int[nodes + 1];
    endStart = new int[nodes + 1];
    endPhrase = new int[phrases.size()];
    List<Integer> edgeList = new ArrayList<>();
    int e = 0;
    for (int k = 0; k < nodes; k++) {
      int[] row = rows.get(original[k]);
      edgeStart[k] = edgeList.size();
      for (int cls = 0; cls < SIGMA; cls++) {
        if (row[cls] == 0) {
          continue;
        }
        if (k < denseNodes) {
          dense[k * SIGMA + cls] = id[row[cls]];
        } else {
          edgeList.add(cls << 24 | id[row[cls]]);
        }
      }
      endStart[k] = e;
      for (int p : out.get(original[k])) {
        endPhrase[e++] = p;
      }
    }
    edgeStart[nodes] = edgeList.size();
    edges = edgeList.stream().mapToInt(Integer::intValue).toArray();
    endStart[nodes] = e;
  }

  /** Reports every word-bounded match that starts before {@code limit}, in order of start. */
  void scan(String text, int limit, Visitor visitor) {
    NormalizedText t = NormalizedText.of(text);
    scan(t.chars, t.length, limit, visitor);
  }

  /** Same as {@link #scan(String, int, Visitor)} over {@code text[0, length)}. */
  void scan(char[] text, int length, int limit, Visitor visitor) {
    int starts = Math.min(length, limit);
    for (int i = 0; i < starts; i++) {
      if (i > 0 && isWordChar(text[i - 1])) {
        continue; // a match must start at a word boundary
      }
      int node = 0;
      for (int j = i; j < length; j++) {
        node = child(node, classOf(text[j]));
        if (node == 0) {
          break;
        }
        int last = endStart[node + 1];
        for (int h = endStart[node]; h < last; h++) {
          int p = endPhrase[h];
          if (prefix[p] || j + 1 == length || !isWordChar(text[j + 1])) {
            visitor.match(p, i);
          }
        }
      }
    }
  }

  private int child(int node, int cls) {
    if (node < denseNodes) {
      return dense[node * SIGMA + cls];
    }
    for (int e = edgeStart[node], end = edgeStart[node + 1]; e < end; e++) {
      int edge = edges[e];
      if (edge >>> 24 == cls) {
        return edge & 0xFFFFFF;
      }
    }
    return 0;
  }

  private static int classOf(char c) {
    return c < 128 ? CLASS[c] : OTHER;
  }

  private static boolean isWordChar(char c) {
    return c < 128 ? ASCII_WORD[c] : Character.isLetterOrDigit(c);
  }
}
