package io.llmsafety.monitor.detectors;

import java.text.Normalizer;

/**
 * Canonical form that the lexicon scorers match against: NFKC, lower case, zero-width and
 * simple markdown removed, curly quotes straightened, whitespace collapsed to single spaces.
 *
 * <p>NFKC folds full-width and stylised letters (a common way to dodge keyword filters) into
 * plain ones. Markdown emphasis is stripped so that "**I cannot**" matches "i cannot".
 */
final class TextNormalizer {

  private TextNormalizer() {}

  /** ASCII fast path: output char, or DROP, or SPACE; built from the same rules as the slow path. */
  private static final char DROP = 0;
  private static final char SPACE = 1;
  private static final char[] ASCII = new char[128];

  static {
    for (char c = 0; c < 128; c++) {
      ASCII[c] = map(c);
    }
  }

  /** @return the normalised text; never null (null input gives "") */
  static String normalize(String text) {
    return normalized(text).toString();
  }

  /**
   * The normalised form of {@code text} from a per-thread cache of the two texts most recently
   * normalised on this thread, matched by identity: the pipeline scores the same prompt and
   * response strings with several scorers, and this way each is normalised once per event. The
   * result is valid until two other texts are normalised on this thread.
   */
  static NormalizedText normalized(String text) {
    Recent recent = RECENT.get();
    NormalizedText hit = recent.newest;
    if (hit.source != text) {
      hit = recent.older;
      if (hit.source != text) {
        fill(text, hit);
      }
      recent.older = recent.newest;
      recent.newest = hit;
    }
    return hit;
  }

  /** The cached entry whose string form is {@code normalized} (by identity), or null. */
  static NormalizedText cachedFor(String normalized) {
    Recent recent = RECENT.get();
    if (recent.newest.holds(normalized)) {
      return recent.newest;
    }
    if (recent.older.holds(normalized)) {
      NormalizedText hit = recent.older;
      recent.older = recent.newest;
      recent.newest = hit;
      return hit;
    }
    return null;
  }

  private static final class Recent {
    NormalizedText newest = new NormalizedText(1024);
    NormalizedText older = new NormalizedText(1024);
  }

  /** Thread-confined, so the scorers stay thread-safe; Flink task threads end with their task. */
  private static final ThreadLocal<Recent> RECENT = ThreadLocal.withInitial(Recent::new);

  private static void fill(String text, NormalizedText into) {
    if (text == null || text.isEmpty()) {
      into.reset(text, 0);
      return;
    }
    // Copy the raw characters, then map them in place: the output is never longer than the input.
    int n = text.length();
    char[] out = into.reset(text, n);
    text.getChars(0, n, out, 0);
    if (isPlainAscii(out, n)) {
      mapAsciiInPlace(out, n, into);
      // Whether RefusalText's extra steps change this text is checked only if refusal v2 asks
      // (RefusalText.normalized), not for every prompt.
      into.ascii = true;
      return;
    }
    // Most non-ASCII text (curly quotes, dashes, accented letters) is already NFKC: then the raw
    // copy is mapped and no normalised string is built.
    if (!Normalizer.isNormalized(text, Normalizer.Form.NFKC)) {
      String nfkc = Normalizer.normalize(text, Normalizer.Form.NFKC);
      n = nfkc.length();
      out = into.reset(text, n);
      nfkc.getChars(0, n, out, 0);
    }
    mapInPlace(out, n, into);
    // As for ASCII text, refusal v2 checks its extra steps when it asks.
    into.nonAscii = true;
  }

  /**
   * Normalises {@code text[0, n)} into {@code into}, a buffer of the caller's outside the cache:
   * the same result as {@link #normalize} of that text as a string.
   */
  static void normalizeInto(char[] text, int n, NormalizedText into) {
    char[] out = into.reset(null, n);
    System.arraycopy(text, 0, out, 0, n);
    if (isPlainAscii(out, n)) {
      mapAsciiInPlace(out, n, into);
      return;
    }
    // As in fill: text that is already NFKC (most of it) is mapped from the copy.
    String raw = new String(text, 0, n);
    if (!Normalizer.isNormalized(raw, Normalizer.Form.NFKC)) {
      String nfkc = Normalizer.normalize(raw, Normalizer.Form.NFKC);
      n = nfkc.length();
      out = into.reset(null, n);
      nfkc.getChars(0, n, out, 0);
    }
    mapInPlace(out, n, into);
  }

  // What an ASCII character becomes, with its class as bits: kept (a character of the output),
  // space, and word character of the output (HashedTextFeatures.isWordChar).
  private static final int KEEP = 1 << 16;
  private static final int BLANK = 1 << 17;
  private static final int WORD = 1 << 18;
  private static final int[] ASCII_CLASS = new int[128];

  static {
    for (char c = 0; c < 128; c++) {
      char m = ASCII[c];
      ASCII_CLASS[c] = m
          | (m > SPACE ? KEEP : 0)
          | (m == SPACE ? BLANK : 0)
          | (m > SPACE && HashedTextFeatures.isWordChar(m) ? WORD : 0);
    }
  }

  /**
   * Raw characters within which the words are found on the normalising pass: more than the
   * models read of a text (2,000 normalised characters at most); words further on are found
   * on demand by {@link WordHashes#upTo}.
   */
  static final int WORDS_ON_PASS = 2048;

  /**
   * {@link #mapInPlace} of plain ASCII text that also finds its words ({@link WordHashes}: start,
   * end and FNV-1a hash) on the same pass, in the first {@link #WORDS_ON_PASS} characters:
   * the word chain overlaps the mapping's, where a separate pass over the normalised text cost
   * about as much again. Branch-free emission (mispredicted branches on word boundaries were
   * most of the mapping's cost); the only dependency carried between characters is the output
   * length and whether a space is pending.
   */
  private static void mapAsciiInPlace(char[] out, int n, NormalizedText into) {
    int i = 0;
    while (i < n && ASCII[out[i]] <= SPACE) {
      i++; // leading spaces and dropped characters
    }
    WordHashes words = into.words();
    int fused = Math.min(n, WORDS_ON_PASS);
    words.ensureCapacity((fused - i) / 2 + 2);
    int[] wordStart = words.start;
    int[] wordEnd = words.end;
    int[] wordFnv = words.fnv;
    int count = 0;
    int len = 0;
    int pending = 0;
    boolean inWord = false;
    int from = 0;
    int h = HashedTextFeatures.FNV_OFFSET;
    for (; i < fused; i++) {
      int cls = ASCII_CLASS[out[i] & 0x7F];
      int keep = (cls >>> 16) & 1;
      int blank = (cls >>> 17) & 1;
      int before = len;
      out[len] = ' ';
      len += pending & keep;
      int at = len;
      out[len] = (char) cls;
      len += keep;
      pending = (pending | blank) & ~keep;
      if ((cls & WORD) != 0) {
        if (!inWord) {
          inWord = true;
          from = at;
        }
        h = (h ^ (char) cls) * HashedTextFeatures.FNV_PRIME;
      } else if (inWord && (cls & (KEEP | BLANK)) != 0) {
        // A space or a kept non-word character ends the word; a dropped one does not.
        wordStart[count] = from;
        wordEnd[count] = before;
        wordFnv[count] = h;
        count++;
        inWord = false;
        h = HashedTextFeatures.FNV_OFFSET;
      }
    }
    int scanned;
    if (i == n) {
      if (inWord) {
        wordStart[count] = from;
        wordEnd[count] = len;
        wordFnv[count] = h;
        count++;
      }
      scanned = len;
    } else {
      scanned = inWord ? from : len; // a word cut by the limit is found again on demand
    }
    for (; i < n; i++) {
      int cls = ASCII_CLASS[out[i] & 0x7F];
      int keep = (cls >>> 16) & 1;
      int blank = (cls >>> 17) & 1;
      out[len] = ' ';
      len += pending & keep;
      out[len] = (char) cls;
      len += keep;
      pending = (pending | blank) & ~keep;
    }
    into.length = len;
    words.found(count, scanned);
  }

  /** Maps {@code out[0, n)} in place; the output is never longer than the input. */
  private static void mapInPlace(char[] out, int n, NormalizedText into) {
    int i = 0;
    while (i < n && mapped(out[i]) <= SPACE) {
      i++; // leading spaces and dropped characters
    }
    int len = 0;
    int pending = 0;
    for (; i < n; i++) {
      char m = mapped(out[i]);
      // Branch-free as in mapAsciiInPlace: keep is 1 for an output character, blank for a space.
      int keep = (1 - m) >>> 31;
      int blank = ((m ^ SPACE) - 1) >>> 31;
      out[len] = ' ';
      len += pending & keep;
      out[len] = m;
      len += keep;
      pending = (pending | blank) & ~keep;
    }
    into.length = len;
  }

  private static char mapped(char c) {
    return c < 128 ? ASCII[c] : map(c);
  }

  private static char map(char c) {
    switch (c) {
      case '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD' -> {
        return DROP; // zero-width and soft hyphen: invisible, used to split keywords
      }
      case '*', '_', '#', '>', '~' -> {
        return DROP; // markdown emphasis, headings, quotes, strikethrough
      }
      case '\u2018', '\u2019', '\u201A', '\u201B', '\u2032', '`' -> {
        return '\'';
      }
      case '\u201C', '\u201D', '\u201E', '\u201F', '\u2033' -> {
        return '"';
      }
      default -> {
        if (Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c)) {
          return SPACE;
        }
        char lower = Character.toLowerCase(c);
        return lower < 2 ? SPACE : lower;
      }
    }
  }

  private static boolean isPlainAscii(char[] s, int n) {
    int all = 0;
    for (int i = 0; i < n; i++) {
      all |= s[i]; // no early exit: the loop vectorises, and most text is ASCII
    }
    return all < 0x80;
  }
}
