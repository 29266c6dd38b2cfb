package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RateTestTest {

  private static final int REFERENCE = 200;

  private static RateTest.Settings settings(double arl0) {
    return new RateTest.Settings(true, REFERENCE, 0.15, "critical", arl0);
  }

  /**
   * The guarantee of the three-chart family with an estimated baseline: on a stationary stream the
   * mean run length after arming is at least ARL0. Each run draws its own reference window, so
   * the estimation error is part of what is measured. Runs are censored at 20 x ARL0, which can
   * only lower the measured mean.
   */
  @ParameterizedTest(name = "p={0}")
  @CsvSource({"0.03", "0.10", "0.30"})
  void meanRunLengthOnAStationaryStreamIsAtLeastTheArl0Target(double p) {
    double arl0 = 300;
    SplittableRandom random = new SplittableRandom(11);
    int runs = 300;
    double total = 0;
    for (int run = 0; run < runs; run++) {
      RateTest test = new RateTest(settings(arl0), 1);
      long armedAt = -1;
      long n = 0;
      while (n < REFERENCE * RateTest.EXTENDED_REFERENCE_FACTOR + 20 * arl0) {
        n++;
        BernoulliCusum.Transition t = test.observe(random.nextDouble() < p, "e", null);
        if (armedAt < 0 && test.ready()) {
          armedAt = n;
        }
        if (t == BernoulliCusum.Transition.FIRED) {
          break;
        }
      }
      total += n - armedAt;
    }
    assertThat(total / runs).isGreaterThanOrEqualTo(arl0);
  }

  @Test
  void thresholdSplitsTheArl0OverThreeCharts() {
    RateTest test = new RateTest(settings(1e5), 1);
    assertThat(test.threshold()).isEqualTo(Math.log(3e5));
  }

  @Test
  void armedChartsGetThresholdsSolvedForTheirShareOfArl0() {
    RateTest test = new RateTest(settings(1e6), 1);
    feed(test, new SplittableRandom(3), 0.05, REFERENCE);
    double p0 = test.tunedP0();
    double[] thresholds = test.chartThresholds();
    double[] shifts = {0.05, 0.15, 0.45};
    assertThat(thresholds).hasSize(3);
    for (int chart = 0; chart < 3; chart++) {
      CusumLattice lattice = CusumLattice.forRates(p0, Math.min(0.999, p0 + shifts[chart]));
      long levels = Math.round(thresholds[chart] / lattice.unit());
      assertThat(lattice.averageRunLength(p0, levels)).isGreaterThanOrEqualTo(3e6);
      assertThat(lattice.averageRunLength(p0, levels - 1)).isLessThan(3e6);
      assertThat(thresholds[chart]).isLessThan(RateTest.thresholdFor(settings(1e6)));
    }
    assertThat(test.threshold()).isIn(thresholds[0], thresholds[1], thresholds[2]);
  }

  @Test
  void secondLookAtTheBaselineTightensTheTunedRate() {
    RateTest test = new RateTest(settings(1e6), 1);
    SplittableRandom random = new SplittableRandom(5);
    feed(test, random, 0.035, REFERENCE);
    double first = test.tunedP0();
    assertThat(first).isGreaterThan(0.035);
    feed(test, random, 0.035, REFERENCE * (RateTest.EXTENDED_REFERENCE_FACTOR - 1) + 2_000);
    assertThat(test.tunedP0()).isLessThan(first).isGreaterThan(0.035);
    assertThat(test.baselineN()).isEqualTo((long) REFERENCE * RateTest.EXTENDED_REFERENCE_FACTOR);
  }

  @Test
  void smallRiseIsCaughtByTheSmallShiftChart() {
    RateTest test = new RateTest(settings(1e5), 1);
    SplittableRandom random = new SplittableRandom(6);
    feed(test, random, 0.03, REFERENCE * RateTest.EXTENDED_REFERENCE_FACTOR + 1_000);
    // A rise of about minShift / 3 above the tuned rate: the small-shift chart is the one tuned for it.
    double p = test.tunedP0() + 0.06;
    for (int i = 0; i < 50_000 && !test.alarmed(); i++) {
      test.observe(random.nextDouble() < p, "e", null);
    }
    assertThat(test.alarmed()).isTrue();
    assertThat(test.alarmedOnSmallShift()).isTrue();
    assertThat(test.alarmedOnLargeShift()).isFalse();
  }

  @Test
  void roundTripsMidwayThroughTheExtendedReferenceAndContinuesIdentically() throws IOException {
    RateTest original = new RateTest(settings(1e5), 3);
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 500; i++) {
      original.observe(random.nextDouble() < 0.05, "e" + i, null);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    original.writeTo(new DataOutputStream(bytes));
    RateTest restored = RateTest.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())),
        settings(1e5), 3);
    SplittableRandom a = new SplittableRandom(8);
    SplittableRandom b = new SplittableRandom(8);
    for (int i = 0; i < 5_000; i++) {
      double p = i < 1_500 ? 0.05 : 0.3;
      assertThat(restored.observe(b.nextDouble() < p, "f" + i, null)).isEqualTo(original.observe(a.nextDouble() < p, "f" + i, null));
    }
    assertThat(restored.statistic()).isEqualTo(original.statistic());
    assertThat(restored.tunedP0()).isEqualTo(original.tunedP0());
    assertThat(restored.evidenceIds()).isEqualTo(original.evidenceIds());
  }

  @Test
  void countsTheRunByTenantAndForgetsItWhenTheStatisticReturnsToZero() throws IOException {
    RateTest test = new RateTest(settings(1e5), 3);
    SplittableRandom random = new SplittableRandom(11);
    for (int i = 0; i < REFERENCE * RateTest.EXTENDED_REFERENCE_FACTOR; i++) {
      test.observe(random.nextDouble() < 0.03, "e" + i, null, "acme");
    }
    // A new tenant whose events are positive half the time: the run is mostly its doing.
    int i = 0;
    while (!test.alarmed()) {
      boolean fromNewTenant = i++ % 4 == 0;
      test.observe(fromNewTenant ? random.nextDouble() < 0.5 : random.nextDouble() < 0.03, "n" + i, null,
          fromNewTenant ? "new-tenant" : "acme");
    }
    List<DetectorSignal.TenantShare> tenants = test.runTenants();
    assertThat(tenants).extracting(DetectorSignal.TenantShare::tenant).containsExactly("new-tenant", "acme");
    assertThat(tenants.stream().mapToLong(DetectorSignal.TenantShare::events).sum()).isEqualTo(test.runN());

    // Version 4 state has no tally; it restores with an empty one and the rest intact.
    ByteArrayOutputStream v4 = new ByteArrayOutputStream();
    test.writeTo(new DataOutputStream(v4), RateTest.VERSION_WITHOUT_TENANTS);
    RateTest restored = RateTest.readFrom(new DataInputStream(new ByteArrayInputStream(v4.toByteArray())),
        settings(1e5), 3);
    assertThat(restored.runTenants()).isEmpty();
    assertThat(restored.statistic()).isEqualTo(test.statistic());
    assertThat(restored.runN()).isEqualTo(test.runN());

    while (test.statistic() > 0) {
      test.observe(false, "q", null, "acme");
    }
    assertThat(test.runTenants()).isEmpty();
  }

  @Test
  void rejectsStateOfAnOlderVersionWithAClearMessage() {
    byte[] old = {2};
    assertThatThrownBy(() -> RateTest.readFrom(new DataInputStream(new ByteArrayInputStream(old)), settings(1e5), 3))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("version 2");
  }

  /** {@code events} observations, each positive with probability {@code rate}. */
  private static void feed(RateTest test, SplittableRandom random, double rate, int events) {
    for (int i = 0; i < events; i++) {
      test.observe(random.nextDouble() < rate, "e", null);
    }
  }
}
