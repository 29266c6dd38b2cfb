package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RateBaselineTest {

  @Test
  void isNotReadyUntilTheWindowIsFull() {
    RateBaseline baseline = RateBaseline.create(3, 0.001);
    baseline.observe(true);
    baseline.observe(false);
    assertThat(baseline.ready()).isFalse();
    baseline.observe(false);
    assertThat(baseline.ready()).isTrue();
  }

  @Test
  void freezesOnceReady() {
    RateBaseline baseline = RateBaseline.create(2, 0.001);
    baseline.observe(false);
    baseline.observe(false);
    assertThat(baseline.observe(true)).isFalse();
    assertThat(baseline.count()).isEqualTo(2);
    assertThat(baseline.positives()).isZero();
  }

  @Test
  void rateIsTheLaplaceEstimate() {
    RateBaseline baseline = RateBaseline.create(100, 0.001);
    for (int i = 0; i < 100; i++) {
      baseline.observe(i < 9);
    }
    assertThat(baseline.rate()).isCloseTo(10.0 / 102, within(1e-12));
  }

  @Test
  void rateIsNeverBelowTheFloorEvenWithNoPositives() {
    RateBaseline baseline = RateBaseline.create(100_000, 0.005);
    for (int i = 0; i < 100_000; i++) {
      baseline.observe(false);
    }
    assertThat(baseline.rate()).isEqualTo(0.005);
    assertThat(baseline.upperConfidenceBound(1.645)).isGreaterThanOrEqualTo(0.005);
  }

  @Test
  void emptyBaselineHasAnUninformativeRate() {
    RateBaseline baseline = RateBaseline.create(10, 0.01);
    assertThat(baseline.rate()).isEqualTo(0.5);
    assertThat(baseline.upperConfidenceBound(1.645)).isLessThan(1.0).isGreaterThan(0.99);
  }

  @Test
  void upperConfidenceBoundCoversTheTrueRateAtItsNominalLevel() {
    // One-sided 95% Wilson bound: the true rate should lie below it in about 95% of windows.
    Random random = new Random(5);
    double truth = 0.03;
    int windows = 2000;
    int covered = 0;
    for (int w = 0; w < windows; w++) {
      RateBaseline baseline = RateBaseline.create(1000, 1e-6);
      while (!baseline.ready()) {
        baseline.observe(random.nextDouble() < truth);
      }
      if (baseline.upperConfidenceBound(1.645) >= truth) {
        covered++;
      }
    }
    assertThat((double) covered / windows).isBetween(0.93, 0.98);
  }

  @ParameterizedTest(name = "size={0}, floor={1}")
  @CsvSource({"0, 0.01, size", "10, 0, floor", "10, 1, floor", "10, NaN, floor"})
  void rejectsInvalidSettings(long size, double floor, String message) {
    assertThatThrownBy(() -> RateBaseline.create(size, floor))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }

  @ParameterizedTest(name = "observations={0}")
  @CsvSource({"0", "1", "7", "50"})
  void roundTripsState(int observations) throws IOException {
    RateBaseline baseline = RateBaseline.create(20, 0.01);
    for (int i = 0; i < observations; i++) {
      baseline.observe(i % 3 == 0);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    baseline.writeTo(new DataOutputStream(bytes));
    RateBaseline copy =
        RateBaseline.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    assertThat(copy).usingRecursiveComparison().isEqualTo(baseline);
  }

  @Test
  void rejectsUnknownSerialVersion() {
    assertThatThrownBy(
            () -> RateBaseline.readFrom(new DataInputStream(new ByteArrayInputStream(new byte[] {7}))))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("version 7");
  }
}
