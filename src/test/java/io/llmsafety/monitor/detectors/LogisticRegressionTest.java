package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LogisticRegressionTest {

  /** Feature 0 says positive, feature 1 says negative, feature 2 is noise; 30% label noise-free. */
  private static List<LogisticRegression.Row> rows(long seed) {
    Random random = new Random(seed);
    List<LogisticRegression.Row> rows = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      boolean label = random.nextBoolean();
      int signal = label ? 0 : 1;
      rows.add(new LogisticRegression.Row(new int[] {signal, 2}, new float[] {1f, (float) random.nextGaussian()}, label, 1.0));
    }
    return rows;
  }

  @Test
  void shouldSeparateASeparableProblem() {
    List<LogisticRegression.Row> rows = rows(7);
    double[] w = LogisticRegression.fit(rows, 4, 3, 1e-3, 100);
    assertThat(w[0]).isGreaterThan(1);
    assertThat(w[1]).isLessThan(-1);
    assertThat(Math.abs(w[2])).isLessThan(0.5);
    for (LogisticRegression.Row r : rows) {
      assertThat(LogisticRegression.logit(r, w) > 0).isEqualTo(r.label());
    }
  }

  @Test
  void shouldShrinkWeightsAsLambdaGrows() {
    List<LogisticRegression.Row> rows = rows(7);
    double weak = LogisticRegression.fit(rows, 4, 3, 1e-3, 100)[0];
    double strong = LogisticRegression.fit(rows, 4, 3, 1e-1, 100)[0];
    assertThat(strong).isLessThan(weak);
  }

  @Test
  void shouldBeDeterministic() {
    assertThat(LogisticRegression.fit(rows(3), 4, 3, 1e-3, 50))
        .containsExactly(LogisticRegression.fit(rows(3), 4, 3, 1e-3, 50));
  }

  @Test
  void shouldRejectEmptyInput() {
    assertThatThrownBy(() -> LogisticRegression.fit(List.of(), 4, 3, 1e-3, 10))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
