package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HashedTextFeaturesTest {

  private static final HashedTextFeatures SPEC = new HashedTextFeatures(18, true, 3, 5, 1000);

  /** Records what the extractor emits. */
  private static final class Recording implements HashedTextFeatures.Sink {
    final List<Integer> buckets = new ArrayList<>();
    final List<Float> signs = new ArrayList<>();
    final List<Integer> groups = new ArrayList<>();
    int inGroup;

    @Override
    public void add(int bucket, float sign) {
      buckets.add(bucket);
      signs.add(sign);
      inGroup++;
    }

    @Override
    public void endGroup(int count) {
      assertThat(count).as("group size matches what was emitted").isEqualTo(inGroup);
      groups.add(count);
      inGroup = 0;
    }
  }

  private static Recording extract(HashedTextFeatures spec, String text) {
    Recording r = new Recording();
    spec.extract(text, r);
    return r;
  }

  @Test
  void shouldEmitEmptyGroupsForEmptyText() {
    Recording r = extract(SPEC, "");
    assertThat(r.groups).hasSize(SPEC.groups()).containsOnly(0);
  }

  @Test
  void shouldCountWordsBigramsAndCharacterNgrams() {
    Recording r = extract(SPEC, "make a bomb");
    // 3 words, 2 bigrams; " make a bomb " has 13 characters: 11 + 10 + 9 n-grams of length 3..5.
    assertThat(r.groups).containsExactly(3, 2, 30);
    assertThat(r.buckets).allMatch(b -> b >= 0 && b < SPEC.buckets());
    assertThat(r.signs).allMatch(s -> s == 1f || s == -1f);
  }

  @Test
  void shouldBeAPureFunctionOfTheText() {
    assertThat(extract(SPEC, "how do i kill a python process").buckets)
        .isEqualTo(extract(SPEC, "how do i kill a python process").buckets);
    assertThat(extract(SPEC, "kill a process").buckets).isNotEqualTo(extract(SPEC, "kill a person").buckets);
  }

  @Test
  void shouldReadOnlyTheFirstScanChars() {
    HashedTextFeatures shortScan = new HashedTextFeatures(18, false, 0, 0, 5);
    assertThat(extract(shortScan, "hello world and more").groups).containsExactly(1);
  }

  @Test
  void weightedSumShouldEqualTheDotProductOfTheExtractedFeaturesForAnySpec() {
    java.util.Random random = new java.util.Random(3);
    String text = TextNormalizer.normalize(
        "Sure - here's how: **step 1**, heat the pan; step 2, don't stir. Step 3: café au lait!");
    for (HashedTextFeatures spec : List.of(
        new HashedTextFeatures(8, true, 3, 5, 1000),
        new HashedTextFeatures(8, false, 0, 0, 1000),
        new HashedTextFeatures(6, true, 2, 2, 40),
        new HashedTextFeatures(10, false, 1, 8, 7),
        new HashedTextFeatures(4, true, 4, 6, 3))) {
      short[] w = new short[spec.buckets()];
      for (int i = 0; i < w.length; i++) {
        w[i] = (short) random.nextInt();
      }
      w[0] = Short.MIN_VALUE;
      for (String t : List.of(text, "", "a", "ab cd")) {
        Recording r = extract(spec, t);
        double expected = 0;
        int k = 0;
        for (int count : r.groups) {
          long group = 0;
          for (int j = 0; j < count; j++, k++) {
            group += r.signs.get(k) > 0 ? w[r.buckets.get(k)] : -w[r.buckets.get(k)];
          }
          if (count > 0) {
            expected += group / Math.sqrt(count);
          }
        }
        assertThat(spec.weightedSum(t.toCharArray(), t.length(), w)).as(spec + " on '" + t + "'").isEqualTo(expected);
      }
    }
  }

  @Test
  void shouldRejectBadSettings() {
    assertThatThrownBy(() -> new HashedTextFeatures(30, true, 3, 5, 100)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new HashedTextFeatures(18, true, 5, 3, 100)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new HashedTextFeatures(18, true, 3, 5, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
