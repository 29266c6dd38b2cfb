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
      into.refusalPrePass = mapAsciiInPlace(out, n, into);
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
    // RefusalText's extra steps look at every non-ASCII character; whether they change this text
    // is checked only if refusal v2 asks (RefusalText.normalized), not for every prompt.
    into.refusalPrePass = true;
    into.nonAscii = true;
  }

  /**
   * Normalises {@code text[0, n)} into {@code into}, a buffer of the caller's outside the cache:
   * the same result as {@link #normalize} of that text as a string.
   */
  static void normalizeInto(char[] text, int n, NormalizedText into) {
    char[] out = into.reset(null, n);
    System.arraycopy(text, 0, out, 0, n);
    if (!isPlainAscii(out, n)) {
      String nfkc = Normalizer.normalize(java.nio.CharBuffer.wrap(text, 0, n), Normalizer.Form.NFKC);
      n = nfkc.length();
      out = into.reset(null, n);
      nfkc.getChars(0, n, out, 0);
    }
    mapInPlace(out, n, into);
  }

  // Raw ASCII characters that make RefusalText's pre-pass necessary (a link's '[', a list
  // bullet: '-' or '+' then a space, after a newline, a space or at the start), as bits.
  private static final int OPEN_BRACKET = 1;
  private static final int BULLET = 2;
  private static final int SPACE_AFTER = 4;
  private static final int LINE_BEFORE = 8;
  private static final byte[] RAW_FLAGS = new byte[128];

  static {
    RAW_FLAGS['['] = OPEN_BRACKET;
    RAW_FLAGS['-'] = BULLET;
    RAW_FLAGS['+'] = BULLET;
    RAW_FLAGS[' '] = SPACE_AFTER | LINE_BEFORE;
    RAW_FLAGS['\n'] = LINE_BEFORE;
  }

  /**
   * {@link #mapInPlace} of plain ASCII text, also telling whether {@link RefusalText} needs its
   * pre-pass for it (the same test as {@code RefusalText.needsPrePass}, done on the way).
   */
  private static boolean mapAsciiInPlace(char[] out, int n, NormalizedText into) {
    int len = 0;
    int pending = 0;
    int prePass = 0;
    int prevFlags = LINE_BEFORE; // the start of the text counts as a line start
    for (int i = 0; i < n; i++) {
      char c = out[i];
      int flags = RAW_FLAGS[c];
      int next = i + 1 < n ? RAW_FLAGS[out[i + 1]] : 0;
      prePass |= (flags & OPEN_BRACKET) | (flags & BULLET & (next >> 1) & (prevFlags >> 2));
      prevFlags = flags;
      char m = ASCII[c];
      // Branch-free: whether to emit a pending space and m (mispredicted branches on word
      // boundaries were most of this loop's cost). Writes stay at or before i.
      int isChar = (1 - m) >>> 31;
      int isSpace = ((m ^ SPACE) - 1) >>> 31;
      out[len] = ' ';
      len += pending & isChar;
      out[len] = m;
      len += isChar;
      pending = (pending & (isChar ^ 1) & (isSpace ^ 1)) | (isSpace & ((-len) >>> 31));
    }
    into.length = len;
    return prePass != 0;
  }

  /** Maps {@code out[0, n)} in place; the output is never longer than the input. */
  private static void mapInPlace(char[] out, int n, NormalizedText into) {
    int len = 0;
    boolean pendingSpace = false;
    for (int i = 0; i < n; i++) {
      char c = out[i];
      char m = c < 128 ? ASCII[c] : map(c);
      if (m == DROP) {
        continue;
      }
      if (m == SPACE) {
        pendingSpace = len > 0;
        continue;
      }
      if (pendingSpace) {
        out[len++] = ' ';
        pendingSpace = false;
      }
      out[len++] = m;
    }
    into.length = len;
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
