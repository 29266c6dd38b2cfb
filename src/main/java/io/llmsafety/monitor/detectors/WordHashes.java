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
  /** Words {@code [0, hashed)} have their unigram and bigram hashes. */
  private int hashed;

  void reset() {
    count = 0;
    scanned = 0;
    hashed = 0;
    if (start.length > 1 << 14) {
      start = new int[256];
      end = new int[256];
      fnv = new int[256];
      unigram = new int[256];
      bigram = new int[256];
    }
  }

  /** Makes room for {@code words} words. */
  void ensureCapacity(int words) {
    while (start.length < words) {
      grow();
    }
  }

  /**
   * Records that the normaliser has put the first {@code words} words in the arrays (start, end,
   * FNV-1a hash) and that every word starting before {@code scanned} is among them.
   */
  void found(int words, int scanned) {
    this.count = words;
    this.scanned = scanned;
    this.hashed = 0;
  }

  /**
   * Tokenises {@code text[0, length)} so that every word starting before {@code limit} is held
   * (the last one whole, even past {@code limit}); returns how many words start before it.
   */
  int upTo(char[] text, int length, int limit) {
    int stop = Math.min(length, limit);
    int i = scanned;
    int n = count;
    while (i < stop) {
      char c = text[i];
      if (!HashedTextFeatures.isWordChar(c)) {
        i++;
        continue;
      }
      int from = i;
      int h = HashedTextFeatures.FNV_OFFSET;
      while (i < length && HashedTextFeatures.isWordChar(c = text[i])) {
        h = (h ^ c) * HashedTextFeatures.FNV_PRIME;
        i++;
      }
      if (n == start.length) {
        grow();
      }
      start[n] = from;
      end[n] = i;
      fnv[n] = h;
      n++;
    }
    // The feature hashes in a loop of their own: free of the scan's branches, it runs several
    // words' finalisers at once.
    int[] f = fnv;
    int[] u = unigram;
    int[] b = bigram;
    int k = hashed;
    if (k == 0 && n > 0) {
      u[0] = HashedTextFeatures.unigramHash(f[0]);
      b[0] = 0;
      k = 1;
    }
    for (; k < n; k++) {
      u[k] = HashedTextFeatures.unigramHash(f[k]);
      b[k] = HashedTextFeatures.bigramHash(f[k - 1], f[k]);
    }
    hashed = n;
    count = n;
    scanned = Math.max(scanned, i);
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

  private void grow() {
    int size = start.length * 2;
    start = java.util.Arrays.copyOf(start, size);
    end = java.util.Arrays.copyOf(end, size);
    fnv = java.util.Arrays.copyOf(fnv, size);
    unigram = java.util.Arrays.copyOf(unigram, size);
    bigram = java.util.Arrays.copyOf(bigram, size);
  }
}
