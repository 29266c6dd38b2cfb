package io.llmsafety.monitor.detectors;

/**
 * The words of one normalised text as {@link HashedTextFeatures} reads them (maximal runs of
 * letters, digits and apostrophes), with each word's hash, its unigram feature hash and the
 * bigram feature hash it closes. Computed once per text and read by every model that scores it
 * (refusal v2's two regions and harm v2 all tokenise the response), so tokenising and hashing
 * happen once per event rather than once per model. Filled lazily up to the longest scan asked
 * for; belongs to its {@link NormalizedText} and is reset with it.
 */
final class WordHashes {

  /** Word {@code k} is {@code [start[k], end[k])}; the arrays hold {@link #count} words. */
  int[] start = new int[256];
  int[] end = new int[256];
  /** FNV-1a hash of word k. */
  int[] fnv = new int[256];
  /** Unigram feature hash of word k (sign and bucket bits). */
  int[] unigram = new int[256];
  /** Bigram feature hash of words k-1 and k (k >= 1). */
  int[] bigram = new int[256];
  int count;
  /** Every word starting before this offset is complete in the arrays. */
  private int scanned;

  void reset() {
    count = 0;
    scanned = 0;
    if (start.length > 1 << 14) {
      start = new int[256];
      end = new int[256];
      fnv = new int[256];
      unigram = new int[256];
      bigram = new int[256];
    }
  }

  /**
   * Tokenises {@code text[0, length)} so that every word starting before {@code limit} is held
   * (the last one whole, even past {@code limit}); returns how many words start before it.
   */
  int upTo(char[] text, int length, int limit) {
    int stop = Math.min(length, limit);
    int i = scanned;
    int n = count;
    if (i < stop) {
      // At most one word per two characters, plus the one the limit cuts.
      ensure(n + (stop - i + 1) / 2 + 1);
      int[] start = this.start;
      int[] end = this.end;
      int[] fnv = this.fnv;
      // Branch-free over the characters (word boundaries are unpredictable, and mispredicting
      // them was most of the cost): every step writes the current word's start and hash at slot
      // n, and n moves on only where a word ends. Resumes outside a word: an earlier call stopped
      // after one.
      int inWord = 0;
      int from = 0;
      int h = HashedTextFeatures.FNV_OFFSET;
      for (; i < stop; i++) {
        char c = text[i];
        int isWord = c < 128 ? ASCII_WORD[c] : (Character.isLetterOrDigit(c) ? 1 : 0);
        int ends = inWord & (isWord ^ 1);
        end[n] = i;
        n += ends;
        int word = -isWord;
        from = (from & ~(word & -(inWord ^ 1)) | (i & word & -(inWord ^ 1)));
        start[n] = from;
        h = (((h ^ c) * HashedTextFeatures.FNV_PRIME) & word) | (HashedTextFeatures.FNV_OFFSET & ~word);
        fnv[n] = h;
        inWord = isWord;
      }
      if (inWord == 1) {
        // The word the limit cuts is held whole.
        while (i < length && HashedTextFeatures.isWordChar(text[i])) {
          h = (h ^ text[i]) * HashedTextFeatures.FNV_PRIME;
          i++;
        }
        fnv[n] = h;
        end[n] = i;
        n++;
      }
      int[] unigram = this.unigram;
      int[] bigram = this.bigram;
      for (int k = count; k < n; k++) {
        unigram[k] = HashedTextFeatures.unigramHash(fnv[k]);
        bigram[k] = k == 0 ? 0 : HashedTextFeatures.bigramHash(fnv[k - 1], fnv[k]);
      }
      count = n;
      scanned = i;
    }
    if (n == 0 || start[n - 1] < stop) {
      return n;
    }
    // Held from an earlier, longer scan: count the words starting before this limit.
    int lo = 0;
    int hi = n - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (start[mid] < stop) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private static final int[] ASCII_WORD = new int[128];

  static {
    for (char c = 0; c < 128; c++) {
      ASCII_WORD[c] = HashedTextFeatures.isWordChar(c) ? 1 : 0;
    }
  }

  private void ensure(int words) {
    while (start.length < words) {
      grow();
    }
  }

  private void grow() {
    int size = start.length * 2;
    start = java.util.Arrays.copyOf(start, size);
    end = java.util.Arrays.copyOf(end, size);
    fnv = java.util.Arrays.copyOf(fnv, size);
    unigram = java.util.Arrays.copyOf(unigram, size);
    bigram = java.util.Arrays.copyOf(bigram, size);
  }
}
