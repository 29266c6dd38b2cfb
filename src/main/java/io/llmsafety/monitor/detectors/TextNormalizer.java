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

  /** @return the normalised text; never null (null input gives "") */
  static String normalize(String text) {
    if (text == null || text.isEmpty()) {
      return "";
    }
    String s = isPlainAscii(text) ? text : Normalizer.normalize(text, Normalizer.Form.NFKC);
    StringBuilder out = new StringBuilder(s.length());
    boolean pendingSpace = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD' -> {
          continue; // zero-width and soft hyphen: invisible, used to split keywords
        }
        case '\u2018', '\u2019', '\u201A', '\u201B', '\u2032', '`' -> c = '\'';
        case '\u201C', '\u201D', '\u201E', '\u201F', '\u2033' -> c = '"';
        case '*', '_', '#', '>', '~' -> {
          continue; // markdown emphasis, headings, quotes, strikethrough
        }
        default -> {}
      }
      if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
        pendingSpace = out.length() > 0;
        continue;
      }
      if (pendingSpace) {
        out.append(' ');
        pendingSpace = false;
      }
      out.append(Character.toLowerCase(c));
    }
    return out.toString();
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
