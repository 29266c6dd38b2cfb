package io.llmsafety.monitor.detectors.reference;

/**
 * Canonical form of a response for refusal scoring: {@link TextNormalizer} (NFKC, lower case,
 * zero-width characters, emphasis and heading marks dropped, quotes straightened, whitespace
 * collapsed) plus three steps that matter for refusals and that the shared normaliser leaves
 * alone (the trained prompt-risk and harm models depend on its output byte for byte):
 *
 * <ul>
 *   <li>every other invisible format character (Unicode category Cf: bidi marks, word joiners,
 *       invisible operators, tag characters) and variation selectors are dropped, so "I c&#8206;annot"
 *       reads "i cannot";
 *   <li>Cyrillic and Greek letters that look like Latin ones (the usual confusables) are folded
 *       to Latin, so "І саnnоt" written with Cyrillic letters reads "i cannot";
 *   <li>markdown links keep their text only ({@code [here](http://..)} reads "here"), and list
 *       bullets at line starts are dropped.
 * </ul>
 *
 * Plain ASCII text without brackets takes a fast path equal to {@link TextNormalizer}.
 */
public final class RefusalText {

  private RefusalText() {}

  /** @return the normalised text; never null */
  public static String normalize(String text) {
    if (text == null || text.isEmpty()) {
      return "";
    }
    if (!needsPrePass(text)) {
      return TextNormalizer.normalize(text);
    }
    return TextNormalizer.normalize(prePass(text));
  }

  /** Whether {@link #normalize} equals {@link TextNormalizer#normalize} for this text. */
  static boolean sameAsShared(String text) {
    return text == null || !needsPrePass(text);
  }

  private static boolean needsPrePass(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x80 || c == '[') {
        return true;
      }
      if ((c == '-' || c == '+') && i + 1 < s.length() && s.charAt(i + 1) == ' '
          && (i == 0 || s.charAt(i - 1) == '\n' || s.charAt(i - 1) == ' ')) {
        return true; // a list bullet
      }
    }
    return false;
  }

  /** Folds confusables, drops invisible characters, unwraps links and bullets; keeps case. */
  static String prePass(String s) {
    StringBuilder out = new StringBuilder(s.length());
    boolean lineStart = true;
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (lineStart && (c == '-' || c == '+' || c == '\u2022') && i + 1 < n && s.charAt(i + 1) == ' ') {
        i++; // list bullet
        lineStart = false;
        continue;
      }
      if (c == '\n' || c == '\r') {
        lineStart = true;
        out.append(c);
        continue;
      }
      if (c == ' ' || c == '\t') {
        out.append(c);
        continue; // indentation keeps lineStart
      }
      lineStart = false;
      if (c == '[') {
        int close = s.indexOf(']', i + 1);
        if (close > i && close + 1 < n && s.charAt(close + 1) == '(') {
          int paren = s.indexOf(')', close + 2);
          int newline = s.indexOf('\n', i);
          if (paren > 0 && (newline < 0 || newline > paren)) {
            appendFolded(out, s, i + 1, close);
            i = paren;
            continue;
          }
        }
      }
      int end = Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1)) ? i + 2 : i + 1;
      appendFolded(out, s, i, end);
      i = end - 1;
    }
    return out.toString();
  }

  private static void appendFolded(StringBuilder out, String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        out.append(c);
        continue;
      }
      if (Character.isSurrogate(c)) {
        int cp = s.codePointAt(i);
        if (Character.charCount(cp) == 2 && i + 1 < to) {
          i++;
          // Tag characters (U+E0000..E007F) and supplementary variation selectors are invisible.
          if (Character.getType(cp) == Character.FORMAT || (cp >= 0xE0100 && cp <= 0xE01EF)) {
            continue;
          }
          out.appendCodePoint(cp);
          continue;
        }
      }
      if (Character.getType(c) == Character.FORMAT || (c >= '\uFE00' && c <= '\uFE0F') || c == '\u034F') {
        continue; // invisible: bidi marks, joiners, variation selectors, combining grapheme joiner
      }
      char folded = fold(c);
      out.append(folded);
    }
  }

  /** Latin look-alike of a Cyrillic or Greek letter, or {@code c} itself. */
  static char fold(char c) {
    return switch (c) {
      // Cyrillic
      case '\u0430' -> 'a';
      case '\u0410' -> 'A';
      case '\u0432', '\u0412' -> 'B';
      case '\u0435', '\u0450', '\u0451' -> 'e';
      case '\u0415', '\u0400', '\u0401' -> 'E';
      case '\u043A' -> 'k';
      case '\u041A' -> 'K';
      case '\u043C', '\u041C' -> 'M';
      case '\u043D', '\u041D' -> 'H';
      case '\u043E' -> 'o';
      case '\u041E' -> 'O';
      case '\u0440' -> 'p';
      case '\u0420' -> 'P';
      case '\u0441' -> 'c';
      case '\u0421' -> 'C';
      case '\u0442', '\u0422' -> 'T';
      case '\u0443' -> 'y';
      case '\u0423' -> 'Y';
      case '\u0445' -> 'x';
      case '\u0425' -> 'X';
      case '\u0455' -> 's';
      case '\u0405' -> 'S';
      case '\u0456', '\u0457' -> 'i';
      case '\u0406', '\u0407' -> 'I';
      case '\u0458' -> 'j';
      case '\u0408' -> 'J';
      case '\u0501' -> 'd';
      case '\u051B' -> 'q';
      case '\u051D' -> 'w';
      case '\u04BB' -> 'h';
      case '\u04CF' -> 'l';
      // Greek
      case '\u03B1' -> 'a';
      case '\u0391' -> 'A';
      case '\u0392' -> 'B';
      case '\u03B5' -> 'e';
      case '\u0395' -> 'E';
      case '\u0396' -> 'Z';
      case '\u0397' -> 'H';
      case '\u03B9' -> 'i';
      case '\u0399' -> 'I';
      case '\u03BA' -> 'k';
      case '\u039A' -> 'K';
      case '\u039C' -> 'M';
      case '\u03BD' -> 'v';
      case '\u039D' -> 'N';
      case '\u03BF' -> 'o';
      case '\u039F' -> 'O';
      case '\u03C1' -> 'p';
      case '\u03A1' -> 'P';
      case '\u03C4' -> 't';
      case '\u03A4' -> 'T';
      case '\u03C5' -> 'u';
      case '\u03A5' -> 'Y';
      case '\u03C7' -> 'x';
      case '\u03A7' -> 'X';
      // Latin-script look-alikes outside ASCII
      case '\u0131' -> 'i'; // dotless i
      case '\u0261' -> 'g'; // script g
      case '\u01C3' -> '!';
      default -> c;
    };
  }
}
