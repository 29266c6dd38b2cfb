package io.llmsafety.monitor.detectors;

/**
 * Normalised text ({@link TextNormalizer}) held in a reusable per-thread buffer, so the scorers
 * can share one normalisation of a prompt or response per event and read it without creating
 * strings. Instances come from {@link TextNormalizer#normalized} and {@link #of}; a cached one is
 * refilled once two other texts have been normalised on the same thread, so use it at once and
 * never keep it.
 */
final class NormalizedText {

  /** A buffer grown past this for one huge text is dropped on the next fill, not kept per thread. */
  private static final int RETAINED_CHARS = 1 << 16;

  /** Normalised characters {@code [0, length)}. */
  char[] chars;
  int length;
  /** The raw text this was normalised from; compared by identity. */
  String source;
  /**
   * Whether {@link RefusalText}'s extra steps may change this text: true until {@link
   * RefusalText#normalized} has found that they do not.
   */
  boolean refusalPrePass = true;
  /** Filled by {@link TextNormalizer} from a source of plain ASCII. */
  boolean ascii;
  /** Filled by {@link TextNormalizer} from a source with non-ASCII characters. */
  boolean nonAscii;
  private String string;
  /** One memoised value per text (the prompt lexicon's log-odds, computed by two scorers). */
  private Object memoOwner;
  private double memo;
  /** Its words and their feature hashes, shared by the models scoring this text. */
  private WordHashes words;

  NormalizedText(int capacity) {
    chars = new char[capacity];
  }

  /** Normalised text the caller already holds as a string; a copy unless it came from the cache. */
  static NormalizedText of(String normalized) {
    NormalizedText cached = TextNormalizer.cachedFor(normalized);
    if (cached != null) {
      return cached;
    }
    NormalizedText t = new NormalizedText(0);
    t.chars = normalized.toCharArray();
    t.length = t.chars.length;
    t.string = normalized;
    return t;
  }

  /** Makes room for {@code n} characters and clears the derived fields for a new text. */
  char[] reset(String source, int n) {
    if (chars.length < n || chars.length > RETAINED_CHARS) {
      chars = new char[Math.max(n, 256)];
    }
    this.source = source;
    this.length = 0;
    this.refusalPrePass = true;
    this.ascii = false;
    this.nonAscii = false;
    this.string = null;
    this.memoOwner = null;
    if (words != null) {
      words.reset();
    }
    return chars;
  }

  /** The word hashes of this text, filled on demand ({@link WordHashes#upTo}). */
  WordHashes words() {
    if (words == null) {
      words = new WordHashes();
    }
    return words;
  }

  boolean holds(String normalized) {
    return string == normalized;
  }

  boolean isEmpty() {
    return length == 0;
  }

  boolean hasMemo(Object owner) {
    return memoOwner == owner;
  }

  double memo() {
    return memo;
  }

  void memo(Object owner, double value) {
    memoOwner = owner;
    memo = value;
  }

  @Override
  public String toString() {
    if (string == null) {
      string = length == 0 ? "" : new String(chars, 0, length);
    }
    return string;
  }
}
