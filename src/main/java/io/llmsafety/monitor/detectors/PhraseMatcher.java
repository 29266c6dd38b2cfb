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
  /** Classes below this are letters and digits. */
  private static final int WORD_CLASSES = 36;
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

  // Start filter on the first three characters: most word starts begin no phrase, and a walk
  // from them costs a few unpredictable branches per character. Bit (c0, c1, c2) of the class
  // triple is set when some phrase can begin with it; depth3Node[rank of the bit] is the trie node
  // those three characters lead to, or WALK_FROM_ROOT where a shorter phrase may end inside them.
  // A character past the end of the text counts as OTHER, which no phrase of three or more
  // characters contains. Null when some phrase starts with a non-word character.
  private final long[] startBits;
  private final int[] startRank;
  private final int[] depth3Node;
  private static final int WALK_FROM_ROOT = -1;

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

    boolean wordStarts = true;
    for (String phrase : phrases) {
      wordStarts &= isWordChar(phrase.charAt(0));
    }
    if (!wordStarts) {
      startBits = null;
      startRank = null;
      depth3Node = null;
      return;
    }
    // Keys with a short phrase ending at depth 1 or 2 must be walked from the root.
    java.util.TreeMap<Integer, Integer> keyNode = new java.util.TreeMap<>();
    for (int p = 0; p < phrases.size(); p++) {
      String phrase = prefix[p] ? phrases.get(p).substring(0, phrases.get(p).length() - 1) : phrases.get(p);
      int c0 = classOf(phrase.charAt(0));
      if (phrase.length() >= 3) {
        int key = (c0 * SIGMA + classOf(phrase.charAt(1))) * SIGMA + classOf(phrase.charAt(2));
        keyNode.merge(key, nodeOf(phrase.substring(0, 3)), (a, b) -> a == WALK_FROM_ROOT ? a : b);
        continue;
      }
      for (int c1 = 0; c1 < SIGMA; c1++) {
        if (phrase.length() == 2 && c1 != classOf(phrase.charAt(1))) {
          continue;
        }
        for (int c2 = 0; c2 < SIGMA; c2++) {
          keyNode.put((c0 * SIGMA + c1) * SIGMA + c2, WALK_FROM_ROOT);
        }
      }
    }
    startBits = new long[(SIGMA * SIGMA * SIGMA + 63) / 64];
    for (int key : keyNode.keySet()) {
      startBits[key >>> 6] |= 1L << key;
    }
    startRank = new int[startBits.length];
    for (int w = 1; w < startBits.length; w++) {
      startRank[w] = startRank[w - 1] + Long.bitCount(startBits[w - 1]);
    }
    depth3Node = keyNode.values().stream().mapToInt(Integer::intValue).toArray();
  }

  /** The trie node that {@code s} leads to from the root (it is a prefix of some phrase). */
  private int nodeOf(String s) {
    int node = 0;
    for (int i = 0; i < s.length(); i++) {
      node = child(node, classOf(s.charAt(i)));
    }
    return node;
  }

  /** Reports every word-bounded match that starts before {@code limit}, in order of start. */
  void scan(String text, int limit, Visitor visitor) {
    NormalizedText t = NormalizedText.of(text);
    scan(t.chars, t.length, limit, visitor);
  }

  /** Same as {@link #scan(String, int, Visitor)} over {@code text[0, length)}. */
  void scan(char[] text, int length, int limit, Visitor visitor) {
    int starts = Math.min(length, limit);
    if (startBits == null) {
      for (int i = 0; i < starts; i++) {
        if (i == 0 || !isWordChar(text[i - 1])) {
          walk(text, length, i, i, 0, visitor);
        }
      }
      return;
    }
    boolean afterWord = false;
    for (int i = 0; i < starts; i++) {
      char c = text[i];
      boolean boundary = !afterWord;
      afterWord = isWordChar(c);
      // Every phrase starts with a letter or digit, so only word starts can begin a match.
      if (!boundary || c >= 128 || CLASS[c] >= WORD_CLASSES) {
        continue;
      }
      int key = (CLASS[c] * SIGMA + classAt(text, length, i + 1)) * SIGMA + classAt(text, length, i + 2);
      long bits = startBits[key >>> 6];
      if ((bits & 1L << key) == 0) {
        continue;
      }
      int node = depth3Node[startRank[key >>> 6] + Long.bitCount(bits & ((1L << key) - 1))];
      if (node == WALK_FROM_ROOT) {
        walk(text, length, i, i, 0, visitor);
      } else {
        report(text, length, i, i + 2, node, visitor);
        walk(text, length, i, i + 3, node, visitor);
      }
    }
  }

  /** Walks the trie from {@code node} over {@code text[j..]}, reporting matches that start at {@code i}. */
  private void walk(char[] text, int length, int i, int j, int node, Visitor visitor) {
    for (; j < length; j++) {
      node = child(node, classOf(text[j]));
      if (node == 0) {
        break;
      }
      report(text, length, i, j, node, visitor);
    }
  }

  /** Reports the phrases ending at {@code node}, i.e. at {@code text[j]}, that end on a word boundary. */
  private void report(char[] text, int length, int i, int j, int node, Visitor visitor) {
    int last = endStart[node + 1];
    for (int h = endStart[node]; h < last; h++) {
      int p = endPhrase[h];
      if (prefix[p] || j + 1 == length || !isWordChar(text[j + 1])) {
        visitor.match(p, i);
      }
    }
  }

  private static int classAt(char[] text, int length, int i) {
    return i < length ? classOf(text[i]) : OTHER;
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
