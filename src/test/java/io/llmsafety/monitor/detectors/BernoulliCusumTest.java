package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.llmsafety.monitor.detectors.BernoulliCusum.Transition;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BernoulliCusumTest {

  private static final double ARL0_TARGET = 500;
  private static final double H = BernoulliCusum.thresholdForArl0(ARL0_TARGET);

  @ParameterizedTest(name = "p0={0}, p1={1}")
  @CsvSource({"0.03, 0.40", "0.03, 0.10", "0.20, 0.50"})
  void inControlRunLengthIsAtLeastTheArl0Target(double p0, double p1) {
    Random random = new Random(42);
    int runs = 400;
    double total = 0;
    for (int run = 0; run < runs; run++) {
      total += runLength(BernoulliCusum.create(p0, p1, H), p0, random);
    }
    // ARL0 >= e^h is a bound, not an estimate: the sample mean (standard error ~5% at 400 runs)
    // should clear it; the margin by which it does is how conservative ln(arl0) is.
    assertThat(total / runs).isGreaterThanOrEqualTo(ARL0_TARGET);
  }

  @Test
  void detectionDelayFromThreeToFortyPercentIsWithinTwiceLordensApproximation() {
    double p0 = 0.03;
    double p1 = 0.40;
    double bound = BernoulliCusum.expectedDetectionDelay(p0, p1, H);
    Random random = new Random(7);
    int runs = 2000;
    double total = 0;
    for (int run = 0; run < runs; run++) {
      total += runLength(BernoulliCusum.create(p0, p1, H), p1, random);
    }
    double meanDelay = total / runs;
    assertThat(meanDelay).isBetween(bound / 2, bound * 2);
  }

  @Test
  void firesOncePerEpisodeAndClearsAfterRecovery() {
    BernoulliCusum cusum = BernoulliCusum.create(0.03, 0.40, H);
    List<Transition> transitions = new ArrayList<>();
    Random random = new Random(3);
    for (int episode = 0; episode < 3; episode++) {
      for (int i = 0; i < 300; i++) {
        record(transitions, cusum.update(random.nextDouble() < 0.03));
      }
      for (int i = 0; i < 200; i++) {
        record(transitions, cusum.update(random.nextDouble() < 0.60));
      }
      for (int i = 0; i < 400; i++) {
        record(transitions, cusum.update(false));
      }
    }
    assertThat(transitions)
        .containsExactly(
            Transition.FIRED, Transition.CLEARED,
            Transition.FIRED, Transition.CLEARED,
            Transition.FIRED, Transition.CLEARED);
    assertThat(cusum.alarmed()).isFalse();
    assertThat(cusum.statistic()).isZero();
  }

  @Test
  void statisticIsCappedAtTwiceTheThresholdWhileAlarmed() {
    BernoulliCusum cusum = BernoulliCusum.create(0.03, 0.40, H);
    for (int i = 0; i < 1000; i++) {
      cusum.update(true);
    }
    assertThat(cusum.alarmed()).isTrue();
    assertThat(cusum.statistic()).isEqualTo(2 * cusum.threshold());
    // The threshold in nats is Lorden's, rounded up to a whole lattice level.
    assertThat(cusum.threshold()).isBetween(H, H + CusumLattice.forRates(0.03, 0.40).unit());
  }

  @Test
  void solvedThresholdIsBelowLordensAndItsRunLengthStillMeetsTheTarget() {
    Random random = new Random(23);
    int runs = 400;
    double total = 0;
    for (int run = 0; run < runs; run++) {
      BernoulliCusum cusum = BernoulliCusum.createForArl0(0.03, 0.10, ARL0_TARGET);
      assertThat(cusum.threshold()).isLessThan(H - 1);
      total += runLength(cusum, 0.03, random);
    }
    // The solved threshold is exact, not a bound: the mean sits at the target (standard error ~5%).
    assertThat(total / runs).isBetween(0.85 * ARL0_TARGET, 1.3 * ARL0_TARGET);
  }

  @Test
  void readsTheContinuousStateOfEarlierBuildsOntoTheLattice() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeByte(1);
    out.writeDouble(0.03);
    out.writeDouble(0.40);
    out.writeDouble(H);
    out.writeDouble(4.0);
    out.writeBoolean(false);
    out.writeLong(120);
    out.writeLong(9);
    BernoulliCusum restored =
        BernoulliCusum.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    double unit = CusumLattice.forRates(0.03, 0.40).unit();
    assertThat(restored.statistic()).isBetween(4.0 - unit, 4.0);
    assertThat(restored.threshold()).isBetween(H, H + unit);
    assertThat(restored.observations()).isEqualTo(120);
    assertThat(restored.positives()).isEqualTo(9);
    assertRoundTrip(restored);
  }

  @Test
  void doesNotRefireOrClearWhileRateStaysHigh() {
    BernoulliCusum cusum = BernoulliCusum.create(0.03, 0.40, H);
    Random random = new Random(11);
    List<Transition> transitions = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      record(transitions, cusum.update(random.nextDouble() < 0.40));
    }
    assertThat(transitions).containsExactly(Transition.FIRED);
  }

  @Test
  void clearsOnlyWhenTheStatisticReturnsToZero() {
    BernoulliCusum cusum = BernoulliCusum.create(0.03, 0.40, H);
    while (cusum.update(true) != Transition.FIRED) {
      // drive to the alarm
    }
    double llrNegative = Math.log1p(-0.40) - Math.log1p(-0.03);
    int stepsToDrain = (int) Math.ceil(cusum.statistic() / -llrNegative);
    for (int i = 1; i < stepsToDrain; i++) {
      assertThat(cusum.update(false)).isEqualTo(Transition.NONE);
      assertThat(cusum.alarmed()).isTrue();
    }
    assertThat(cusum.update(false)).isEqualTo(Transition.CLEARED);
  }

  @Test
  void freshInstanceIsQuiet() {
    BernoulliCusum cusum = BernoulliCusum.create(0.1, 0.2, 5);
    assertThat(cusum.statistic()).isZero();
    assertThat(cusum.alarmed()).isFalse();
    assertThat(cusum.observations()).isZero();
    assertThat(cusum.positives()).isZero();
  }

  @Test
  void countsObservationsAndPositives() {
    BernoulliCusum cusum = BernoulliCusum.create(0.1, 0.2, 5);
    cusum.update(true);
    cusum.update(false);
    cusum.update(false);
    assertThat(cusum.observations()).isEqualTo(3);
    assertThat(cusum.positives()).isEqualTo(1);
  }

  @Test
  void zerosNeverMoveTheStatisticBelowZero() {
    BernoulliCusum cusum = BernoulliCusum.create(0.1, 0.2, 5);
    for (int i = 0; i < 100; i++) {
      assertThat(cusum.update(false)).isEqualTo(Transition.NONE);
    }
    assertThat(cusum.statistic()).isZero();
  }

  @Test
  void thresholdForArl0IsTheNaturalLog() {
    assertThat(BernoulliCusum.thresholdForArl0(1e6)).isCloseTo(Math.log(1e6), within(1e-12));
    assertThat(BernoulliCusum.guaranteedArl0(BernoulliCusum.thresholdForArl0(1e6)))
        .isCloseTo(1e6, within(1e-6));
  }

  @Test
  void klDivergenceMatchesClosedFormAndHandlesEndpoints() {
    assertThat(BernoulliCusum.klBernoulli(0.4, 0.03))
        .isCloseTo(0.4 * Math.log(0.4 / 0.03) + 0.6 * Math.log(0.6 / 0.97), within(1e-12));
    assertThat(BernoulliCusum.klBernoulli(0.3, 0.3)).isZero();
    assertThat(BernoulliCusum.klBernoulli(1, 0.5)).isCloseTo(Math.log(2), within(1e-12));
    assertThat(BernoulliCusum.klBernoulli(0, 0.5)).isCloseTo(Math.log(2), within(1e-12));
  }

  @ParameterizedTest(name = "p0={0}, p1={1}, h={2}")
  @CsvSource({
    "0, 0.5, 5, p0 must be in (0,1)",
    "1, 0.5, 5, p0 must be in (0,1)",
    "NaN, 0.5, 5, p0 must be in (0,1)",
    "0.3, 0.3, 5, p1 must be in (p0,1)",
    "0.3, 0.2, 5, p1 must be in (p0,1)",
    "0.3, 1, 5, p1 must be in (p0,1)",
    "0.1, 0.2, 0, threshold must be finite and > 0",
    "0.1, 0.2, -1, threshold must be finite and > 0",
    "0.1, 0.2, NaN, threshold must be finite and > 0",
    "0.1, 0.2, Infinity, threshold must be finite and > 0"
  })
  void rejectsInvalidArguments(double p0, double p1, double h, String message) {
    assertThatThrownBy(() -> BernoulliCusum.create(p0, p1, h))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }

  @ParameterizedTest
  @CsvSource({"1", "0.5", "NaN", "Infinity"})
  void rejectsArl0ThatIsNotAboveOne(double arl0) {
    assertThatThrownBy(() -> BernoulliCusum.thresholdForArl0(arl0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("arl0");
  }

  @Test
  void roundTripsFreshState() throws IOException {
    assertRoundTrip(BernoulliCusum.create(0.03, 0.4, H));
  }

  @Test
  void roundTripsStateAfterUpdates() throws IOException {
    BernoulliCusum cusum = BernoulliCusum.create(0.03, 0.4, H);
    cusum.update(true);
    cusum.update(false);
    assertRoundTrip(cusum);
  }

  @Test
  void roundTripsAlarmedStateAndContinuesIdentically() throws IOException {
    BernoulliCusum cusum = BernoulliCusum.create(0.03, 0.4, H);
    while (cusum.update(true) != Transition.FIRED) {
      // drive to the alarm
    }
    BernoulliCusum copy = assertRoundTrip(cusum);
    for (int i = 0; i < 50; i++) {
      assertThat(copy.update(false)).isEqualTo(cusum.update(false));
      assertThat(copy.statistic()).isEqualTo(cusum.statistic());
    }
  }

  @Test
  void rejectsUnknownSerialVersion() {
    byte[] bytes = {99};
    assertThatThrownBy(
            () -> BernoulliCusum.readFrom(new DataInputStream(new ByteArrayInputStream(bytes))))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("version 99");
  }

  private static BernoulliCusum assertRoundTrip(BernoulliCusum original) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    original.writeTo(new DataOutputStream(bytes));
    BernoulliCusum copy =
        BernoulliCusum.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    assertThat(copy).usingRecursiveComparison().isEqualTo(original);
    return copy;
  }

  private static long runLength(BernoulliCusum cusum, double rate, Random random) {
    while (cusum.update(random.nextDouble() < rate) != Transition.FIRED) {
      // count until the first alarm
    }
    return cusum.observations();
  }

  private static void record(List<Transition> transitions, Transition t) {
    if (t != Transition.NONE) {
      transitions.add(t);
    }
  }
}
