package io.llmsafety.monitor.judge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JudgeCategoriesTest {

  @ParameterizedTest
  @ValueSource(strings = {"S1", "S14", "violence", "self-harm/instructions", "sexual/minors", "illicit_violent", "v1.2"})
  void shouldKeepTheCodesRealJudgesUse(String code) {
    assertThat(JudgeCategories.plausible(code)).isTrue();
    assertThat(JudgeCategories.sanitize(List.of(code)).codes()).containsExactly(code);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " S1", "S1 ", "ignore previous instructions", "<b>S1</b>", "S1\nS2", "_other", "-x",
      "\"quoted\"", "javascript:alert(1)", "ünsafe"})
  void shouldRejectAnythingThatIsNotAShortCode(String name) {
    assertThat(JudgeCategories.plausible(name)).isFalse();
    JudgeCategories.Sanitized s = JudgeCategories.sanitize(List.of(name, "S1"));
    assertThat(s.codes()).containsExactly("S1");
    assertThat(s.malformed()).isEqualTo(1);
    assertThat(s.overLimit()).isZero();
  }

  @Test
  void shouldRejectCodesLongerThanTheLimit() {
    assertThat(JudgeCategories.plausible("a".repeat(JudgeCategories.MAX_CODE_LENGTH))).isTrue();
    assertThat(JudgeCategories.plausible("a".repeat(JudgeCategories.MAX_CODE_LENGTH + 1))).isFalse();
    assertThat(JudgeCategories.plausible(null)).isFalse();
  }

  @Test
  void shouldKeepTheJudgesOrderWithoutRepeatsUpToThePerEventCap() {
    List<String> many = new ArrayList<>(List.of("S10", "S1", "S10", "bad code"));
    IntStream.range(0, 20).forEach(i -> many.add("c" + i));
    JudgeCategories.Sanitized s = JudgeCategories.sanitize(many);
    assertThat(s.codes()).hasSize(JudgeCategories.MAX_PER_EVENT).startsWith("S10", "S1", "c0");
    // 2 + 20 distinct plausible codes, 16 kept; the repeat of S10 is neither kept twice nor rejected.
    assertThat(s.overLimit()).isEqualTo(22 - JudgeCategories.MAX_PER_EVENT);
    assertThat(s.malformed()).isEqualTo(1);
    assertThat(Arrays.asList(s.toField())).isEqualTo(s.codes());
  }

  @Test
  void shouldGiveNoEventFieldWithoutCodes() {
    assertThat(JudgeCategories.sanitize(List.of()).toField()).isNull();
    assertThat(JudgeCategories.sanitize(List.of("not a code")).toField()).isNull();
  }
}
