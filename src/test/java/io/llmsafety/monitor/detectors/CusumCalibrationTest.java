package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmsafety.monitor.detectors.BernoulliCusum.Transition;
import io.llmsafety.monitor.detectors.CusumCalibration.Arl0Estimate;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class CusumCalibrationTest {

  private static final int DIRECT_RUNS = 1000;

  @ParameterizedTest(name = "p0={0}, p1={1}")
  @CsvSource({"0.03, 0.40", "0.03, 0.10", "0.20, 0.50"})
  void arl0EstimateAgreesWithDirectSimulation(double p0, double p1) {
    double h = Math.log(200);
    Arl0Estimate estimate = CusumCalibration.estimateArl0(p0, p1, h, 20_000, 1);
    double direct = meanRunLength(p0, p1, h, new Random(2));
    // Run lengths are roughly geometric, so the direct mean has relative standard error
    // 1/sqrt(runs); the tolerance is 4 combined standard errors.
    double rse = Math.hypot(estimate.relativeStandardError(), 1 / Math.sqrt(DIRECT_RUNS));
    assertThat(direct / estimate.arl0()).isBetween(1 - 4 * rse, 1 + 4 * rse);
  }

  @ParameterizedTest(name = "p0={0}, p1={1}")
  @CsvSource({"0.03, 0.40", "0.03, 0.10", "0.20, 0.50"})
  void calibratedThresholdIsLowerThanLordenAndStillMeetsTheTarget(double p0, double p1) {
    double target = 500;
    double h = CusumCalibration.thresholdForArl0(p0, p1, target, 1);
    assertThat(h).isLessThan(BernoulliCusum.thresholdForArl0(target));
    double direct = meanRunLength(p0, p1, h, new Random(3));
    // Aimed at the target plus a 3-standard-error Monte Carlo margin; the direct mean itself has
    // a ~3% standard error, hence the lower tolerance of 4 of those.
    assertThat(direct).isBetween(target * (1 - 4 / Math.sqrt(DIRECT_RUNS)), target * 1.5);
  }

  @Test
  void estimateIsReproducibleForASeed() {
    assertThat(CusumCalibration.estimateArl0(0.03, 0.4, 5, 1000, 9))
        .isEqualTo(CusumCalibration.estimateArl0(0.03, 0.4, 5, 1000, 9));
  }

  @Test
  void rejectsTooFewCycles() {
    assertThatThrownBy(() -> CusumCalibration.estimateArl0(0.03, 0.4, 5, 10, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cycles");
  }

  private static double meanRunLength(double p0, double p1, double h, Random random) {
    double total = 0;
    for (int run = 0; run < DIRECT_RUNS; run++) {
      BernoulliCusum cusum = BernoulliCusum.create(p0, p1, h);
      while (cusum.update(random.nextDouble() < p0) != Transition.FIRED) {
        // count until the first alarm
      }
      total += cusum.observations();
    }
    return total / DIRECT_RUNS;
  }
}
