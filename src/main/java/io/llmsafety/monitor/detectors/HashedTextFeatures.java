package io.llmsafety.monitor.detectors;

/**
 * Hashed n-gram features of normalised text ({@link TextNormalizer}): word unigrams and bigrams
 * and character n-grams, each mapped into {@code 2^bucketBits} buckets with a ±1 sign bit (the
 * hashing trick of Weinberger et al. 2009, whose sign keeps collisions unbiased). Each group's
 * counts are scaled by {@code 1/sqrt(group size)}, so a long text does not outvote a short one.
 *
 * <p>The hot path allocates nothing: n-grams are hashed straight from the characters with an
 * FNV-1a step per character and murmur3's {@code fmix32} finaliser, never materialised as
 * strings. (datasketches' {@code MurmurHash3} returns a fresh {@code long[]} per call, which is
 * why it is not used here.) Hashes depend only on the characters and the group, so the same
 * text always yields the same features on every JVM.
 *
 * @param bucketBits log2 of the number of buckets (e.g. 18)
 * @param wordBigrams whether word bigrams are a group besides unigrams
 * @param charMin smallest character n-gram length, 0 for none
 * @param charMax largest character n-gram length
 * @param scanChars only this many leading characters of the normalised text are read
 */
public record HashedTextFeatures(
    int bucketBits, boolean wordBigrams, int charMin, int charMax, int scanChars) {

  /** Receives features; {@link #endGroup} closes a group of {@code count} emitted features. */
  public interface Sink {
    void add(int bucket, float sign);

    void endGroup(int count);
  }

  static final int FNV_OFFSET = 0x811C9DC5;
  static final int FNV_PRIME = 0x01000193;
  private static final int SEED_WORD = 0x5EED0001;
  private static final int SEED_BIGRAM = 0x5EED0002;
  private static final int SEED_CHAR = 0x5EED0003;

  public HashedTextFeatures {
    if (bucketBits < 4 || bucketBits > 24) {
      throw new IllegalArgumentException("bucketBits must be in [4,24], got " + bucketBits);
    }
    if (charMin < 0 || (charMin > 0 && charMax < charMin) || charMax > 8) {
      throw new IllegalArgumentException("bad char n-gram range " + charMin + ".." + charMax);
    }
    if (scanChars <= 0) {
      throw new IllegalArgumentException("scanChars must be positive, got " + scanChars);
    }
  }

  public int buckets() {
    return 1 << bucketBits;
  }

  /** Emits the features of already normalised text into {@code sink}. */
  public void extract(String normalized, Sink sink) {
    int len = Math.min(normalized.length(), scanChars);
    int mask = (1 << bucketBits) - 1;
    // Word unigrams (and bigrams): words are maximal runs of letters, digits and apostrophes.
    int words = 0;
    int bigrams = 0;
    int prev = 0;
    boolean havePrev = false;
    int i = 0;
    while (i < len) {
      char c = normalized.charAt(i);
      if (!isWordChar(c)) {
        i++;
        continue;
      }
      int h = FNV_OFFSET;
      while (i < len && isWordChar(c = normalized.charAt(i))) {
        h = (h ^ c) * FNV_PRIME;
        i++;
      }
      emit(sink, fmix32(h ^ SEED_WORD), mask);
      words++;
      if (wordBigrams && havePrev) {
        bigrams++;
      }
      prev = h;
      havePrev = true;
    }
    sink.endGroup(words);
    if (wordBigrams) {
      // Second pass for bigrams so each group stays contiguous for the sink.
      havePrev = false;
      i = 0;
      while (i < len) {
        char c = normalized.charAt(i);
        if (!isWordChar(c)) {
          i++;
          continue;
        }
        int h = FNV_OFFSET;
        while (i < len && isWordChar(c = normalized.charAt(i))) {
          h = (h ^ c) * FNV_PRIME;
          i++;
        }
        if (havePrev) {
          emit(sink, fmix32(prev * 31 + fmix32(h ^ SEED_BIGRAM)), mask);
        }
        prev = h;
        havePrev = true;
      }
      sink.endGroup(bigrams);
    }
    if (charMin > 0) {
      // Character n-grams over the text padded with one space each side, all lengths in one group.
      int count = 0;
      int padded = len + 2;
      for (int start = 0; start + charMin <= padded; start++) {
        int h = FNV_OFFSET ^ SEED_CHAR;
        int end = Math.min(start + charMax, padded);
        for (int j = start; j < end; j++) {
          char c = j == 0 || j == padded - 1 ? ' ' : normalized.charAt(j - 1);
          h = (h ^ c) * FNV_PRIME;
          int n = j - start + 1;
          if (n >= charMin) {
            emit(sink, fmix32(h + n), mask);
            count++;
          }
        }
      }
      sink.endGroup(count);
    }
  }

  /**
   * {@code sum over groups of (1/sqrt(group size)) * sum of sign * weights[bucket]}: what {@link
   * #extract} into a dot-product sink gives, without allocating. Within a group the sum is over
   * integers, so the order in which features are visited cannot change it; the groups are added
   * in {@link #extract}'s order.
   */
  double weightedSum(char[] normalized, int length, short[] weights) {
    NormalizedText text = new NormalizedText(0);
    text.chars = normalized;
    text.length = length;
    return weightedSum(text, weights);
  }

  /**
   * {@link #weightedSum(char[], int, short[])} of a normalised text, reading its words from the
   * text's {@link WordHashes}, which every model scoring the same text shares.
   */
  double weightedSum(NormalizedText text, short[] weights) {
    char[] normalized = text.chars;
    int len = Math.min(text.length, scanChars);
    int mask = (1 << bucketBits) - 1;
    WordHashes w = text.words();
    int words = w.upTo(normalized, text.length, len);
    // A word running past the scan limit counts cut at the limit, so it is hashed again here.
    int last = words - 1;
    int lastFnv = 0;
    if (words > 0) {
      lastFnv = w.fnv[last];
      if (w.end[last] > len) {
        int h = FNV_OFFSET;
        for (int i = w.start[last]; i < len; i++) {
          h = (h ^ normalized[i]) * FNV_PRIME;
        }
        lastFnv = h;
      }
    }
    double total = 0;
    if (words > 0) {
      int[] unigram = w.unigram;
      long wordSum = 0;
      for (int k = 0; k < last; k++) {
        wordSum += signed(weights, unigram[k], mask);
      }
      wordSum += signed(weights, unigramHash(lastFnv), mask);
      total += wordSum / Math.sqrt(words);
    }
    if (wordBigrams && words > 1) {
      int[] bigram = w.bigram;
      long bigramSum = 0;
      for (int k = 1; k < last; k++) {
        bigramSum += signed(weights, bigram[k], mask);
      }
      bigramSum += signed(weights, bigramHash(w.fnv[last - 1], lastFnv), mask);
      total += bigramSum / Math.sqrt(words - 1);
    }
    Scratch scratch = SCRATCH.get();
    int[] hashes;
    if (charMin > 0) {
      int padded = len + 2;
      char[] p = scratch.padded(padded);
      p[0] = ' ';
      System.arraycopy(normalized, 0, p, 1, len);
      p[len + 1] = ' ';
      // Hash every n-gram first, then sum their weights in a tight loop: the weight lookups are
      // independent cache misses into a large table, and this way many are in flight at once.
      int count = Math.max(0, padded - charMin + 1) * (charMax - charMin + 1);
      hashes = scratch.hashes(count);
      if (charMin == charMax && charMin <= 4) {
        count = fixedCharGrams(p, padded, charMin, hashes);
      } else {
        count = charGrams(p, padded, hashes);
      }
      long charSum = 0;
      for (int k = 0; k < count; k++) {
        charSum += signed(weights, hashes[k], mask);
      }
      if (count > 0) {
        total += charSum / Math.sqrt(count);
      }
    }
    return total;
  }

  /**
   * The hashes of the character n-grams of one length {@code n <= 4} of {@code p[0, padded)}, as
   * {@link #charGrams} gives them, with the FNV steps written out: a loop per n-gram over its
   * few characters cost more than the hashing.
   */
  private static int fixedCharGrams(char[] p, int padded, int n, int[] hashes) {
    int count = Math.max(0, padded - n + 1);
    int seed = FNV_OFFSET ^ SEED_CHAR;
    switch (n) {
      case 1 -> {
        for (int s = 0; s < count; s++) {
          hashes[s] = fmix32(((seed ^ p[s]) * FNV_PRIME) + 1);
        }
      }
      case 2 -> {
        for (int s = 0; s < count; s++) {
          int h = ((seed ^ p[s]) * FNV_PRIME ^ p[s + 1]) * FNV_PRIME;
          hashes[s] = fmix32(h + 2);
        }
      }
      case 3 -> {
        for (int s = 0; s < count; s++) {
          int h = (((seed ^ p[s]) * FNV_PRIME ^ p[s + 1]) * FNV_PRIME ^ p[s + 2]) * FNV_PRIME;
          hashes[s] = fmix32(h + 3);
        }
      }
      default -> {
        for (int s = 0; s < count; s++) {
          int h = (((seed ^ p[s]) * FNV_PRIME ^ p[s + 1]) * FNV_PRIME ^ p[s + 2]) * FNV_PRIME;
          hashes[s] = fmix32(((h ^ p[s + 3]) * FNV_PRIME) + 4);
        }
      }
    }
    return count;
  }

  /** The hashes of every character n-gram of {@code p[0, padded)}, lengths charMin..charMax. */
  private int charGrams(char[] p, int padded, int[] hashes) {
    int count = 0;
    for (int start = 0; start + charMin <= padded; start++) {
      int h = FNV_OFFSET ^ SEED_CHAR;
      int j = start;
      for (int shortest = start + charMin - 1; j < shortest; j++) {
        h = (h ^ p[j]) * FNV_PRIME;
      }
      int end = Math.min(start + charMax, padded);
      for (; j < end; j++) {
        h = (h ^ p[j]) * FNV_PRIME;
        hashes[count++] = fmix32(h + (j - start + 1));
      }
    }
    return count;
  }

  /** Per-thread working arrays for {@link #weightedSum}; bounded by scanChars. */
  private static final class Scratch {
    private char[] padded = new char[1026];
    private int[] hashes = new int[3078];

    char[] padded(int n) {
      if (padded.length < n) {
        padded = new char[n];
      }
      return padded;
    }

    int[] hashes(int n) {
      if (hashes.length < n) {
        hashes = new int[n];
      }
      return hashes;
    }
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /** {@code weights[bucket]}, negated when the hash's sign bit is set; branch-free (the sign is random). */
  private static int signed(short[] weights, int hash, int mask) {
    int negate = hash >> 31;
    return (weights[hash & mask] ^ negate) - negate;
  }

  /** Number of groups {@link #extract} closes, in order: words, [bigrams], [chars]. */
  public int groups() {
    return 1 + (wordBigrams ? 1 : 0) + (charMin > 0 ? 1 : 0);
  }

  private static void emit(Sink sink, int hash, int mask) {
    sink.add(hash & mask, hash < 0 ? -1f : 1f);
  }

  private static final boolean[] ASCII_WORD = new boolean[128];

  static {
    for (char c = 0; c < 128; c++) {
      ASCII_WORD[c] = Character.isLetterOrDigit(c) || c == '\'';
    }
  }

  /** Unigram feature hash of a word with FNV-1a hash {@code h}. */
  static int unigramHash(int h) {
    return fmix32(h ^ SEED_WORD);
  }

  /** Bigram feature hash of consecutive words with FNV-1a hashes {@code prev} and {@code h}. */
  static int bigramHash(int prev, int h) {
    return fmix32(prev * 31 + fmix32(h ^ SEED_BIGRAM));
  }

  static boolean isWordChar(char c) {
    return c < 128 ? ASCII_WORD[c] : Character.isLetterOrDigit(c);
  }

  /** murmur3's 32-bit finaliser: full avalanche of the FNV state. */
  static int fmix32(int h) {
    h ^= h >>> 16;
    h *= 0x85EBCA6B;
    h ^= h >>> 13;
    h *= 0xC2B2AE35;
    h ^= h >>> 16;
    return h;
  }
}
