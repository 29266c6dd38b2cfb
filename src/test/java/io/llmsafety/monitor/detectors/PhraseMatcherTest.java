package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PhraseMatcherTest {

  private static List<String> matches(PhraseMatcher m, List<String> phrases, String text, int limit) {
    List<String> found = new ArrayList<>();
    m.scan(text, limit, (p, start) -> found.add(phrases.get(p) + "@" + start));
    return found;
  }

  @Test
  void findsOverlappingPhrasesOnWordBoundariesOnly() {
    List<String> phrases = List.of("i cannot", "cannot", "can");
    PhraseMatcher m = new PhraseMatcher(phrases);

    assertThat(matches(m, phrases, "i cannot, scan", 100))
        .containsExactly("i cannot@0", "cannot@2");
  }

  @Test
  void trailingStarMatchesAnyWordEnding() {
    List<String> phrases = List.of("explos*", "bomb");
    PhraseMatcher m = new PhraseMatcher(phrases);

    assertThat(matches(m, phrases, "explosives and bombs", 100)).containsExactly("explos*@0");
  }

  @Test
  void ignoresMatchesStartingAtOrAfterTheLimit() {
    List<String> phrases = List.of("no");
    PhraseMatcher m = new PhraseMatcher(phrases);

    assertThat(matches(m, phrases, "no no no", 4)).containsExactly("no@0", "no@3");
  }

  @Test
  void nonAsciiLettersAreWordCharacters() {
    List<String> phrases = List.of("caf");
    PhraseMatcher m = new PhraseMatcher(phrases);

    assertThat(matches(m, phrases, "café caf", 100)).containsExactly("caf@5");
  }

  @Test
  void rejectsPhrasesOutsideTheAlphabet() {
    assertThatThrownBy(() -> new PhraseMatcher(List.of("naïve")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("naïve");
    assertThatThrownBy(() -> new PhraseMatcher(List.of("*")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
