package io.llmsafety.monitor.detectors;

import java.nio.charset.StandardCharsets;
import org.apache.datasketches.hash.MurmurHash3;

/**
 * 64-bit SimHash (Charikar 2002) of a response over its word 3-shingles, for finding near-identical
 * payloads without keeping text. Two texts whose shingle sets have angle θ agree on each bit with
 * probability {@code 1 − θ/π}; for unrelated texts (θ ≈ π/2) the chance that at most
 * {@link #NEAR_IDENTICAL_BITS} of 64 bits differ is {@code Σ_{k≤3} C(64,k) / 2^64 ≈ 2.4e-15}, so a
 * match means near-identical text, not chance.
 */
public final class PayloadFingerprint {

  /** Fingerprints at most this many bits apart are the same payload. */
  public static final int NEAR_IDENTICAL_BITS = 3;
  /** Marks "no fingerprint" (empty text); a real one that happens to be 0 is remapped to 1. */
  public static final long NONE = 0L;
  private static final int SHINGLE = 3;

  private PayloadFingerprint() {}

  /** The SimHash of the normalised text, {@link #NONE} for null or blank text. */
  public static long simhash(String text) {
    String norm = TextNormalizer.normalize(text).toLowerCase(java.util.Locale.ROOT);
    if (norm.isBlank()) {
      return NONE;
    }
    String[] words = norm.split(" ");
    int[] votes = new int[64];
    int shingles = Math.max(1, words.length - SHINGLE + 1);
    for (int i = 0; i < shingles; i++) {
      StringBuilder s = new StringBuilder();
      for (int j = i; j < Math.min(words.length, i + SHINGLE); j++) {
        s.append(words[j]).append(' ');
      }
      long h = MurmurHash3.hash(s.toString().getBytes(StandardCharsets.UTF_8), 0x51a7L)[0];
      for (int b = 0; b < 64; b++) {
        votes[b] += ((h >>> b) & 1) == 1 ? 1 : -1;
      }
    }
    long out = 0;
    for (int b = 0; b < 64; b++) {
      if (votes[b] > 0) {
        out |= 1L << b;
      }
    }
    return out == NONE ? 1L : out;
  }

  /** Whether two fingerprints are the same payload. */
  public static boolean nearIdentical(long a, long b) {
    return a != NONE && b != NONE && Long.bitCount(a ^ b) <= NEAR_IDENTICAL_BITS;
  }
}
