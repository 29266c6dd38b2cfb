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
}
