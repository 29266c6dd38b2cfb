package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RefusalTextTest {

  @Test
  void plainAsciiIsExactlyTheSharedNormalisation() {
    String text = "I'm  sorry,\n\nbut I **cannot** help with that. It's a well-known trick.";
    assertThat(RefusalText.normalize(text)).isEqualTo(TextNormalizer.normalize(text));
  }

  @Test
  void dropsZeroWidthAndOtherInvisibleCharacters() {
    // zero-width space, word joiner, left-to-right mark, right-to-left override, tag character
    String hidden = "I c\u200Ban\u2060n\u200Eo\u202Et \uDB40\uDC41help";
    assertThat(RefusalText.normalize(hidden)).isEqualTo("i cannot help");
  }

  @Test
  void foldsCyrillicAndGreekLookAlikesToLatin() {
    String cyrillic = "\u0406 \u0441\u0430nn\u043Et h\u0435lp"; // І саnnоt hеlp
    String greek = "\u0399 \u03BFnly \u03BA\u03BDow"; // Ι οnly κνow
    assertThat(RefusalText.normalize(cyrillic)).isEqualTo("i cannot help");
    assertThat(RefusalText.normalize(greek)).isEqualTo("i only kvow");
  }

  @Test
  void foldsFullWidthAndStylisedLettersThroughNfkc() {
    assertThat(RefusalText.normalize("\uFF29 \uFF43\uFF41\uFF4E\uFF4E\uFF4F\uFF54")).isEqualTo("i cannot");
    assertThat(RefusalText.normalize("\uD835\uDC08 \uD835\uDC1C\uD835\uDC1A\uD835\uDC27'\uD835\uDC2D")).isEqualTo("i can't");
  }

  @Test
  void stripsMarkdownEmphasisLinksAndBullets() {
    String md = "## Answer\n\n**I _can't_** help, but [see this guide](https://example.org/x) instead:\n"
        + "- first\n  * second\n1. third";
    assertThat(RefusalText.normalize(md))
        .isEqualTo("answer i can't help, but see this guide instead: first second 1. third");
  }

  @Test
  void keepsBracketsThatAreNotLinks() {
    assertThat(RefusalText.normalize("an array [1, 2] (two items)")).isEqualTo("an array [1, 2] (two items)");
  }

  @Test
  void nullAndEmptyGiveEmpty() {
    assertThat(RefusalText.normalize(null)).isEmpty();
    assertThat(RefusalText.normalize("")).isEmpty();
    assertThat(RefusalText.normalize("\u200B\u200E")).isEmpty();
  }

  @Test
  void findsLinksAndBulletsInAsciiTextAsThePlainCheckDoes() {
    String[] texts = {
      "- item", "+ item", "a\n- item", "a - b", "well-known", "a -b", "-", "- ", "x-", "a+ b",
      "a\n+ b", "see [x]", "no brackets here", "", "a -\n- b", "--- ", "-\n- ", "  - indented",
    };
    for (String t : texts) {
      assertThat(RefusalText.asciiNeedsPrePass(t)).as(t).isEqualTo(RefusalText.needsPrePass(t));
    }
    assertThat(RefusalText.asciiNeedsPrePass("a\n- item")).isTrue();
    assertThat(RefusalText.asciiNeedsPrePass("well-known, a - b")).isTrue(); // space before and after
    assertThat(RefusalText.asciiNeedsPrePass("well-known")).isFalse();
  }
}
