package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class BinaryMetricsTest {

  @Test
  void emptyInputGivesZeroCountsAndUndefinedRatios() {
    BinaryMetrics m = BinaryMetrics.of(new double[0], new boolean[0], 0.5);

    assertThat(m.n()).isZero();
    assertThat(m.accuracy()).isNaN();
    assertThat(m.precision()).isNaN();
    assertThat(m.recall()).isNaN();
    assertThat(m.f1()).isNaN();
    assertThat(m.auroc()).isNaN();
  }

  @Test
  void aurocIsUndefinedWhenOnlyOneClassIsPresent() {
    BinaryMetrics m = BinaryMetrics.of(new double[] {0.1, 0.9}, new boolean[] {true, true}, 0.5);

    assertThat(m.auroc()).isNaN();
    assertThat(m.recall()).isEqualTo(0.5);
    assertThat(m.falsePositiveRate()).isNaN();
  }

  @Test
  void perfectSeparationHasAurocOneAndPerfectFigures() {
    BinaryMetrics m =
        BinaryMetrics.of(
            new double[] {0.1, 0.2, 0.8, 0.9}, new boolean[] {false, false, true, true}, 0.5);

    assertThat(m.auroc()).isEqualTo(1.0);
    assertThat(m.accuracy()).isEqualTo(1.0);
    assertThat(m.precision()).isEqualTo(1.0);
    assertThat(m.recall()).isEqualTo(1.0);
    assertThat(m.f1()).isEqualTo(1.0);
  }

  @Test
  void reversedScoresHaveAurocZero() {
    BinaryMetrics m =
        BinaryMetrics.of(new double[] {0.9, 0.1}, new boolean[] {false, true}, 0.5);

    assertThat(m.auroc()).isEqualTo(0.0);
    assertThat(m.accuracy()).isEqualTo(0.0);
  }

  @Test
  void tiesBetweenClassesCountOneHalf() {
    // One positive and one negative tie at 0.5; the other positive (0.9) beats both negatives.
    // Pairs (pos, neg): (0.5,0.5)=1/2, (0.5,0.2)=1, (0.9,0.5)=1, (0.9,0.2)=1 -> 3.5/4.
    BinaryMetrics m =
        BinaryMetrics.of(
            new double[] {0.5, 0.9, 0.5, 0.2}, new boolean[] {true, true, false, false}, 0.5);

    assertThat(m.auroc()).isCloseTo(0.875, within(1e-12));
  }

  @Test
  void allScoresTiedGiveAurocOneHalf() {
    BinaryMetrics m =
        BinaryMetrics.of(
            new double[] {0.3, 0.3, 0.3}, new boolean[] {true, false, false}, 0.5);

    assertThat(m.auroc()).isEqualTo(0.5);
  }

  @Test
  void thresholdCountsScoresAtItAsPositiveAndMatchesHandCount() {
    // Predictions at 0.5: P P N P N ; labels: T F T T F -> TP=2 FP=1 FN=1 TN=1.
    BinaryMetrics m =
        BinaryMetrics.of(
            new double[] {0.5, 0.7, 0.4, 0.6, 0.1},
            new boolean[] {true, false, true, true, false},
            0.5);

    assertThat(m.truePositives()).isEqualTo(2);
    assertThat(m.falsePositives()).isEqualTo(1);
    assertThat(m.accuracy()).isCloseTo(3.0 / 5, within(1e-12));
    assertThat(m.precision()).isCloseTo(2.0 / 3, within(1e-12));
    assertThat(m.recall()).isCloseTo(2.0 / 3, within(1e-12));
    assertThat(m.f1()).isCloseTo(2.0 / 3, within(1e-12));
    assertThat(m.falsePositiveRate()).isCloseTo(0.5, within(1e-12));
  }

  @Test
  void noPredictedPositivesLeavesPrecisionUndefined() {
    BinaryMetrics m =
        BinaryMetrics.of(new double[] {0.1, 0.2}, new boolean[] {true, false}, 0.5);

    assertThat(m.precision()).isNaN();
    assertThat(m.recall()).isZero();
    assertThat(m.f1()).isNaN();
  }

  @Test
  void rejectsMismatchedLengthsAndNaNScores() {
    assertThatThrownBy(() -> BinaryMetrics.of(new double[1], new boolean[2], 0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("differ in length");
    assertThatThrownBy(() -> BinaryMetrics.of(new double[] {Double.NaN}, new boolean[1], 0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NaN");
  }
}
