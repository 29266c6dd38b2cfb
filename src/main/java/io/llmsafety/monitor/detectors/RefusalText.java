package io.llmsafety.monitor.detectors;

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
 * Plain ASCII text without brackets or bullets takes a fast path equal to {@link TextNormalizer}.
 */
final class RefusalText {

  private RefusalText() {}

  /** @return the normalised text; never null */
  static String normalize(String text) {
    if (text == null || text.isEmpty()) {
      return "";
    }
    if (!needsPrePass(text)) {
      return TextNormalizer.normalize(text);
    }
    return TextNormalizer.normalize(prePass(text));
  }

  /**
   * {@link #normalize} of {@code text} without creating strings: {@code shared} (the {@link
   * TextNormalizer} form of the same text) itself when the extra steps change nothing, otherwise
   * this thread's buffer, valid until the next call on this thread.
   */
  static NormalizedText normalized(String text, NormalizedText shared) {
    if (text == null || text.isEmpty() || !shared.refusalPrePass) {
      return shared;
    }
    if ((shared.ascii && !asciiNeedsPrePass(text)) || (shared.nonAscii && prePassKeeps(text))) {
      shared.refusalPrePass = false; // checked once per text
      return shared;
    }
    Buffers b = BUFFERS.get();
    prePass(text, b.raw);
    TextNormalizer.normalizeInto(b.raw.chars, b.raw.length, b.text);
    b.raw.trim();
    return b.text;
  }

  /** Per-thread buffers: the pre-pass output and its normalised form. */
  private static final class Buffers {
    final Chars raw = new Chars(1024);
    final NormalizedText text = new NormalizedText(1024);
  }

  private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

  /** Whether the extra steps may change {@code s}. */
  static boolean needsPrePass(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        return !prePassKeeps(s);
      }
      if (c == '[') {
        return true;
      }
      if ((c == '-' || c == '+') && i + 1 < s.length() && s.charAt(i + 1) == ' '
          && (i == 0 || s.charAt(i - 1) == '\n' || s.charAt(i - 1) == ' ')) {
        return true; // a list bullet
      }
    }
    return false;
  }

  /**
   * {@link #needsPrePass} of plain ASCII text: whether it has a '[' or a list bullet. Found with
   * {@code indexOf}, which is much faster than a loop over every character, since both are rare.
   */
  static boolean asciiNeedsPrePass(String s) {
    return s.indexOf('[') >= 0 || hasBullet(s, '-') || hasBullet(s, '+');
  }

  /** Whether {@code bullet} then a space follows a newline, a space or the start of {@code s}. */
  private static boolean hasBullet(String s, char bullet) {
    int n = s.length();
    for (int i = s.indexOf(bullet); i >= 0; i = s.indexOf(bullet, i + 1)) {
      if (i + 1 < n && s.charAt(i + 1) == ' ' && (i == 0 || s.charAt(i - 1) == '\n' || s.charAt(i - 1) == ' ')) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether {@link #prePass} returns {@code s} unchanged: no list bullet where the pre-pass drops
   * one, no '[', and no character it drops or folds. Most text with non-ASCII characters has only
   * curly quotes, dashes or accents, and then refusal v2 reads the shared normalisation (and its
   * word hashes) instead of making its own.
   */
  static boolean prePassKeeps(String s) {
    boolean lineStart = true;
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (lineStart && (c == '-' || c == '+' || c == '\u2022') && i + 1 < n && s.charAt(i + 1) == ' ') {
        return false;
      }
      if (c == '\n' || c == '\r') {
        lineStart = true;
        continue;
      }
      if (c == ' ' || c == '\t') {
        continue;
      }
      lineStart = false;
      if (c == '[') {
        return false;
      }
      if (c >= 0x80
          && (Character.isSurrogate(c) || Character.getType(c) == Character.FORMAT
              || (c >= '\uFE00' && c <= '\uFE0F') || c == '\u034F' || fold(c) != c)) {
        return false;
      }
    }
    return true;
  }

  /** Folds confusables, drops invisible characters, unwraps links and bullets; keeps case. */
  static String prePass(String s) {
    Chars out = new Chars(s.length());
    prePass(s, out);
    return new String(out.chars, 0, out.length);
  }

  /**
   * Reads the characters from a copy in {@code out}'s input array rather than through {@code
   * charAt}, and writes without a capacity check per character: the output is never longer than
   * the input (bullets and link targets are dropped, everything else is kept or folded one to
   * one).
   */
  private static void prePass(String s, Chars out) {
    int n = s.length();
    char[] in = out.input(n);
    s.getChars(0, n, in, 0);
    char[] o = out.output(n);
    int len = 0;
    boolean lineStart = true;
    for (int i = 0; i < n; i++) {
      char c = in[i];
      if (lineStart && (c == '-' || c == '+' || c == '\u2022') && i + 1 < n && in[i + 1] == ' ') {
        i++; // list bullet
        lineStart = false;
        continue;
      }
      if (c == '\n' || c == '\r') {
        lineStart = true;
        o[len++] = c;
        continue;
      }
      if (c == ' ' || c == '\t') {
        o[len++] = c;
        continue; // indentation keeps lineStart
      }
      lineStart = false;
      if (c < 0x80 && c != '[') {
        o[len++] = c;
        continue;
      }
      if (c == '[') {
        int close = s.indexOf(']', i + 1);
        if (close > i && close + 1 < n && in[close + 1] == '(') {
          int paren = s.indexOf(')', close + 2);
          int newline = s.indexOf('\n', i);
          if (paren > 0 && (newline < 0 || newline > paren)) {
            len = appendFolded(in, n, i + 1, close, o, len);
            i = paren;
            continue;
          }
        }
      }
      int end = Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(in[i + 1]) ? i + 2 : i + 1;
      len = appendFolded(in, n, i, end, o, len);
      i = end - 1;
    }
    out.length = len;
  }

  /** Appends {@code in[from, to)} folded to {@code o} at {@code len}; returns the new length. */
  private static int appendFolded(char[] in, int n, int from, int to, char[] o, int len) {
    for (int i = from; i < to; i++) {
      char c = in[i];
      if (c < 0x80) {
        o[len++] = c;
        continue;
      }
      if (Character.isSurrogate(c)) {
        int cp = Character.codePointAt(in, i, n);
        if (Character.charCount(cp) == 2 && i + 1 < to) {
          i++;
          // Tag characters (U+E0000..E007F) and supplementary variation selectors are invisible.
          if (Character.getType(cp) == Character.FORMAT || (cp >= 0xE0100 && cp <= 0xE01EF)) {
            continue;
          }
          o[len++] = Character.highSurrogate(cp);
          o[len++] = Character.lowSurrogate(cp);
          continue;
        }
      }
      if (Character.getType(c) == Character.FORMAT || (c >= '\uFE00' && c <= '\uFE0F') || c == '\u034F') {
        continue; // invisible: bidi marks, joiners, variation selectors, combining grapheme joiner
      }
      o[len++] = fold(c);
    }
    return len;
  }

  /** The pre-pass's reusable buffers: the raw characters in, the output {@code chars[0, length)}. */
  private static final class Chars {
    private char[] input;
    char[] chars;
    int length;

    Chars(int capacity) {
      input = new char[Math.max(capacity, 16)];
      chars = new char[Math.max(capacity, 16)];
    }

    char[] input(int n) {
      if (input.length < n) {
        input = new char[n];
      }
      return input;
    }

    char[] output(int n) {
      if (chars.length < n) {
        chars = new char[n];
      }
      return chars;
    }

    /** Drops buffers grown for one huge text, so that they are not kept per thread. */
    void trim() {
      if (chars.length > 1 << 16) {
        chars = new char[1024];
        input = new char[1024];
      }
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
