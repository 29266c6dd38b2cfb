package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LinearTextModelTest {

  private static final HashedTextFeatures SPEC = new HashedTextFeatures(10, true, 3, 4, 500);

  private static double[] randomWeights(long seed, int dense) {
    Random random = new Random(seed);
    double[] w = new double[SPEC.buckets() + dense + 1];
    for (int i = 0; i < w.length; i++) {
      w[i] = random.nextGaussian();
    }
    return w;
  }

  @Test
  void shouldRoundTripThroughBytes() throws IOException {
    LinearTextModel m = LinearTextModel.quantise("harm", SPEC, List.of("a", "b"), randomWeights(1, 2));
    byte[] bytes = m.toBytes();
    LinearTextModel back = LinearTextModel.read(new ByteArrayInputStream(bytes));
    assertThat(back.toBytes()).isEqualTo(bytes);
    assertThat(back.kind()).isEqualTo("harm");
    assertThat(back.features()).isEqualTo(SPEC);
    assertThat(back.denseNames()).containsExactly("a", "b");
    double[] dense = {0.3, 0.7};
    assertThat(back.logit("sure here is how", dense)).isEqualTo(m.logit("sure here is how", dense));
  }

  @Test
  void shouldRoundTripAModelWithoutDenseFeatures() throws IOException {
    LinearTextModel m = LinearTextModel.quantise("prompt-risk", SPEC, List.of(), randomWeights(2, 0));
    assertThat(LinearTextModel.read(new ByteArrayInputStream(m.toBytes())).logit("", new double[0]))
        .isEqualTo(m.logit("", new double[0]));
  }

  @Test
  void shouldKeepQuantisationErrorWithinHalfAStepPerFeature() {
    double[] w = randomWeights(3, 0);
    LinearTextModel m = LinearTextModel.quantise("harm", SPEC, List.of(), w);
    // Unquantised log-odds of one word: bias + sign * w[bucket] / sqrt(1) + chars.
    String text = "x";
    double[] exact = {w[w.length - 1]};
    double[] features = {0};
    SPEC.extract(text, new HashedTextFeatures.Sink() {
      double group;
      @Override public void add(int bucket, float sign) {
        group += sign * w[bucket];
        features[0]++;
      }
      @Override public void endGroup(int count) {
        exact[0] += count > 0 ? group / Math.sqrt(count) : 0;
        group = 0;
      }
    });
    double max = 0;
    for (int i = 0; i < SPEC.buckets(); i++) {
      max = Math.max(max, Math.abs(w[i]));
    }
    double halfStep = max / Short.MAX_VALUE / 2;
    assertThat(m.logit(text, new double[0])).isCloseTo(exact[0], within(features[0] * halfStep + 1e-9));
  }

  @Test
  void shouldRejectGarbage() {
    assertThatThrownBy(() -> LinearTextModel.read(new ByteArrayInputStream(new byte[] {1, 2, 3})))
        .isInstanceOf(IOException.class);
  }
}
