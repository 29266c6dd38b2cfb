package io.llmsafety.monitor.detectors.reference;

import java.text.Normalizer;

/**
 * Canonical form that the lexicon scorers match against: NFKC, lower case, zero-width and
 * simple markdown removed, curly quotes straightened, whitespace collapsed to single spaces.
 *
 * <p>NFKC folds full-width and stylised letters (a common way to dodge keyword filters) into
 * plain ones. Markdown emphasis is stripped so that "**I cannot**" matches "i cannot".
 */
public final class TextNormalizer {

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
  public static String normalize(String text) {
    if (text == null || text.isEmpty()) {
      return "";
    }
    String s = isPlainAscii(text) ? text : Normalizer.normalize(text, Normalizer.Form.NFKC);
    char[] out = new char[s.length()];
    int len = 0;
    boolean pendingSpace = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
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
    return new String(out, 0, len);
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

  private static boolean isPlainAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }
}
