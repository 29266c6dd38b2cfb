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
  void shouldRejectBadSettings() {
    assertThatThrownBy(() -> new HashedTextFeatures(30, true, 3, 5, 100)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new HashedTextFeatures(18, true, 5, 3, 100)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new HashedTextFeatures(18, true, 3, 5, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
