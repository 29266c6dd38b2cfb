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

  /**
   * The scan skips word starts whose first three characters begin no phrase and jumps three
   * characters into the trie; on random text over the phrases' own characters it must report
   * exactly what a plain check of every phrase at every word start reports, in the same order
   * (start, then end, then phrase index): one- and two-character phrases, prefixes, phrases at
   * the very end of the text, and a lexicon with a phrase starting with punctuation (no filter).
   */
  @Test
  void filteredScanReportsExactlyWhatCheckingEveryPhraseAtEveryWordStartReports() {
    List<List<String>> lexicons = List.of(
        List.of("i", "1.", "ab", "ab c", "abc", "abc*", "ab*", "ca", "cab", "b c a", "a-b", "i'm", "ba*", "ab"),
        List.of("'s", "ab", "a b", "b*"));
    java.util.Random random = new java.util.Random(7);
    String alphabet = "abci1. '-,é";
    for (List<String> phrases : lexicons) {
      PhraseMatcher m = new PhraseMatcher(phrases);
      for (int t = 0; t < 3000; t++) {
        StringBuilder text = new StringBuilder();
        for (int n = random.nextInt(14); n > 0; n--) {
          text.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        String s = text.toString();
        int limit = random.nextInt(16);
        assertThat(matches(m, phrases, s, limit)).as("'" + s + "' limit " + limit)
            .isEqualTo(everyPhraseAtEveryWordStart(phrases, s, limit));
      }
    }
  }

  private static List<String> everyPhraseAtEveryWordStart(List<String> phrases, String text, int limit) {
    List<int[]> hits = new ArrayList<>();
    for (int i = 0; i < Math.min(limit, text.length()); i++) {
      if (i > 0 && Character.isLetterOrDigit(text.charAt(i - 1))) {
        continue;
      }
      for (int p = 0; p < phrases.size(); p++) {
        boolean prefix = phrases.get(p).endsWith("*");
        String q = prefix ? phrases.get(p).substring(0, phrases.get(p).length() - 1) : phrases.get(p);
        int end = i + q.length();
        if (text.startsWith(q, i)
            && (prefix || end == text.length() || !Character.isLetterOrDigit(text.charAt(end)))) {
          hits.add(new int[] {i, end, p});
        }
      }
    }
    hits.sort(java.util.Comparator.<int[]>comparingInt(h -> h[0]).thenComparingInt(h -> h[1])
        .thenComparingInt(h -> h[2]));
    List<String> out = new ArrayList<>();
    for (int[] h : hits) {
      out.add(phrases.get(h[2]) + "@" + h[0]);
    }
    return out;
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
