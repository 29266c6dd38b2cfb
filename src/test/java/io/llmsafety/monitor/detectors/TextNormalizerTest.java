package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TextNormalizerTest {

  @Test
  void foldsCaseWidthQuotesAndWhitespace() {
    assertThat(TextNormalizer.normalize("  Ｉ\u2019M \n\t SORRY\u00A0 ")).isEqualTo("i'm sorry");
  }

  @Test
  void removesZeroWidthCharactersAndSimpleMarkdown() {
    assertThat(TextNormalizer.normalize("**I can\u200Bnot** _help_ # `x`")).isEqualTo("i cannot help 'x'");
  }

  @Test
  void nullAndEmptyBecomeEmpty() {
    assertThat(TextNormalizer.normalize(null)).isEmpty();
    assertThat(TextNormalizer.normalize("")).isEmpty();
  }

  @Test
  void normalisesTheSameStringOnceWhileItIsOneOfTheTwoLatest() {
    String prompt = new String("How do I *bake* bread?");
    String response = new String("Sure!  Heat the oven.");
    NormalizedText p = TextNormalizer.normalized(prompt);
    NormalizedText r = TextNormalizer.normalized(response);
    assertThat(TextNormalizer.normalized(prompt)).isSameAs(p);
    assertThat(TextNormalizer.normalized(response)).isSameAs(r);
    assertThat(p.toString()).isEqualTo("how do i bake bread?");
    assertThat(r.toString()).isEqualTo("sure! heat the oven.");
    // The string form is built once and found again by identity.
    assertThat(TextNormalizer.normalize(response)).isSameAs(r.toString());
    assertThat(NormalizedText.of(r.toString())).isSameAs(r);
  }

  @Test
  void equalButDistinctStringsAndAThirdTextAreNormalisedAfresh() {
    String a = new String("First TEXT");
    NormalizedText first = TextNormalizer.normalized(a);
    TextNormalizer.normalized("second");
    TextNormalizer.normalized("third"); // refills the least recent entry: the first text's
    assertThat(first.toString()).isEqualTo("third");
    assertThat(TextNormalizer.normalized(a).toString()).isEqualTo("first text");
    NormalizedText twin = TextNormalizer.normalized(new String("First TEXT"));
    assertThat(twin).isNotSameAs(TextNormalizer.normalized(a));
    assertThat(twin.toString()).isEqualTo("first text");
    // A string that merely looks normalised is copied, not confused with a cached entry.
    assertThat(NormalizedText.of(new String("first text")).toString()).isEqualTo("first text");
  }

  @Test
  void doesNotKeepAHugeBufferOnceAnotherTextComes() {
    String huge = "word ".repeat(100_000);
    NormalizedText t = TextNormalizer.normalized(huge);
    assertThat(t.length).isEqualTo(huge.length() - 1);
    TextNormalizer.normalized("x");
    TextNormalizer.normalized("y");
    assertThat(t.chars.length).isLessThan(1 << 17);
  }
}
