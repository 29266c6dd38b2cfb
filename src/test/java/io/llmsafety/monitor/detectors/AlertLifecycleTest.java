package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmsafety.monitor.detectors.AlertLifecycle.Notification;
import io.llmsafety.monitor.detectors.AlertLifecycle.Phase;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AlertLifecycleTest {

  static final long START = 1_793_577_600_000L;
  static final long MINUTE = 60_000;
  static final long HOUR = 60 * MINUTE;

  static DetectorSignal signal(String kind, boolean firing, long time, double statistic) {
    return new DetectorSignal(kind, "critical", firing, time, 0.4, 30, 0.97, 200, "reference_window", "bernoulli_cusum",
        statistic, 12.2, 2e5, List.of("e1", "e2"), List.of(), List.of(), firing ? kind + " fired" : kind + " cleared");
  }

  private static List<Notification> accept(AlertLifecycle l, DetectorSignal... raw) {
    List<Notification> out = new ArrayList<>();
    l.accept(List.of(raw), out);
    return out;
  }

  private static List<Notification> advance(AlertLifecycle l, long time) {
    List<Notification> out = new ArrayList<>();
    l.advanceTo(time, (kind, t) -> signal(kind, true, t, 20.0), out);
    return out;
  }

  @Test
  void shouldFireAtTheCrossingAndResolveOnceWithoutLifecycleSettings() {
    AlertLifecycle l = new AlertLifecycle(AlertLifecycle.Settings.IMMEDIATE);
    DetectorSignal fired = signal("refusal_drop", true, START, 12.5);

    List<Notification> out = accept(l, fired);
    assertThat(out).singleElement().satisfies(n -> {
      assertThat(n.phase()).isEqualTo(Phase.FIRING);
      assertThat(n.signal()).isSameAs(fired);
      assertThat(n.count()).isEqualTo(1);
      assertThat(n.notifiedAt()).isEqualTo(START);
    });
    assertThat(advance(l, START + 100 * HOUR)).isEmpty();
    assertThat(l.nextDeadline()).isEqualTo(Long.MAX_VALUE);

    assertThat(accept(l, signal("refusal_drop", false, START + HOUR, 0))).extracting(Notification::phase)
        .containsExactly(Phase.RESOLVED);
    assertThat(l.isEmpty()).isTrue();
  }

  @Test
  void shouldKeepOneEpisodePerKindWhenADetectorReportsTheCrossingAgain() {
    AlertLifecycle l = new AlertLifecycle(AlertLifecycle.Settings.IMMEDIATE);
    List<Notification> out = accept(l, signal("harm_rise", true, START, 12.5), signal("harm_rise", true, START + 1, 13),
        signal("refusal_drop", true, START + 2, 12.5));
    assertThat(out).extracting(n -> n.phase() + " " + n.signal().kind())
        .containsExactly("FIRING harm_rise", "FIRING refusal_drop");
  }

  @Test
  void shouldHoldACrossingAsPendingUntilItHasLastedPendingFor() {
    AlertLifecycle l = new AlertLifecycle(new AlertLifecycle.Settings(10 * MINUTE, 0));
    assertThat(accept(l, signal("refusal_drop", true, START, 12.5))).extracting(Notification::phase)
        .containsExactly(Phase.PENDING);
    assertThat(l.pending("refusal_drop")).isTrue();
    assertThat(l.nextDeadline()).isEqualTo(START + 10 * MINUTE);

    assertThat(advance(l, START + 10 * MINUTE - 1)).isEmpty();
    List<Notification> confirmed = advance(l, START + 10 * MINUTE);
    assertThat(confirmed).singleElement().satisfies(n -> {
      assertThat(n.phase()).isEqualTo(Phase.FIRING);
      // Dated at the crossing (like Prometheus' activeAt), with the statistic as it stands now.
      assertThat(n.signal().eventTime()).isEqualTo(START);
      assertThat(n.notifiedAt()).isEqualTo(START + 10 * MINUTE);
      assertThat(n.signal().statisticValue()).isEqualTo(20.0);
    });
    assertThat(l.firing("refusal_drop")).isTrue();
  }

  @Test
  void shouldSendNothingWhenAPendingCrossingClearsInTime() {
    AlertLifecycle l = new AlertLifecycle(new AlertLifecycle.Settings(10 * MINUTE, HOUR));
    accept(l, signal("over_refusal", true, START, 12.5));
    List<Notification> out = accept(l, signal("over_refusal", false, START + 5 * MINUTE, 0));

    assertThat(out).extracting(Notification::phase).containsExactly(Phase.PENDING_CANCELLED);
    assertThat(out).noneMatch(Notification::isAlert);
    assertThat(l.isEmpty()).isTrue();
    assertThat(advance(l, START + 2 * HOUR)).isEmpty();
  }

  @Test
  void shouldRenotifyEveryIntervalWithTheEpisodeStartAndACount() {
    AlertLifecycle l = new AlertLifecycle(new AlertLifecycle.Settings(0, 4 * HOUR));
    accept(l, signal("harm_rise", true, START, 12.5));

    assertThat(advance(l, START + 4 * HOUR - 1)).isEmpty();
    List<Notification> first = advance(l, START + 4 * HOUR);
    assertThat(first).singleElement().satisfies(n -> {
      assertThat(n.phase()).isEqualTo(Phase.RENOTIFY);
      assertThat(n.count()).isEqualTo(2);
      assertThat(n.signal().eventTime()).isEqualTo(START);
      assertThat(n.notifiedAt()).isEqualTo(START + 4 * HOUR);
    });
    assertThat(l.nextDeadline()).isEqualTo(START + 8 * HOUR);
    assertThat(advance(l, START + 8 * HOUR)).extracting(Notification::count).containsExactly(3);
  }

  @Test
  void shouldSendEachMissedRenotificationAtItsOwnTime() {
    AlertLifecycle l = new AlertLifecycle(new AlertLifecycle.Settings(0, 4 * HOUR));
    accept(l, signal("harm_rise", true, START, 12.5));

    List<Notification> out = advance(l, START + 13 * HOUR);
    assertThat(out).extracting(n -> (n.notifiedAt() - START) / HOUR).containsExactly(4L, 8L, 12L);
    assertThat(out).extracting(Notification::count).containsExactly(2, 3, 4);
    assertThat(l.nextDeadline()).isEqualTo(START + 16 * HOUR);
  }

  @Test
  void shouldConfirmAndRenotifyInOneStepWhenTimeJumpsPastBoth() {
    AlertLifecycle l = new AlertLifecycle(new AlertLifecycle.Settings(HOUR, 4 * HOUR));
    accept(l, signal("benign_harm", true, START, 12.5));

    assertThat(advance(l, START + 10 * HOUR)).extracting(n -> n.phase() + "@" + (n.notifiedAt() - START) / HOUR)
        .containsExactly("FIRING@1", "RENOTIFY@5", "RENOTIFY@9");
  }

  @Test
  void shouldFallBackToTheCrossingWhenTheDetectorsCannotSayMore() {
    AlertLifecycle l = new AlertLifecycle(new AlertLifecycle.Settings(0, HOUR));
    DetectorSignal fired = signal("score_drift", true, START, 12.5);
    accept(l, fired);
    List<Notification> out = new ArrayList<>();
    l.advanceTo(START + HOUR, (kind, t) -> null, out);
    assertThat(out).singleElement().satisfies(n -> assertThat(n.signal()).isEqualTo(fired));
  }

  @Test
  void shouldResolveAFiringEpisodeWithItsNotificationCount() {
    AlertLifecycle l = new AlertLifecycle(new AlertLifecycle.Settings(0, HOUR));
    accept(l, signal("harm_rise", true, START, 12.5));
    advance(l, START + 2 * HOUR);
    assertThat(accept(l, signal("harm_rise", false, START + 2 * HOUR + 1, 0))).singleElement()
        .satisfies(n -> {
          assertThat(n.phase()).isEqualTo(Phase.RESOLVED);
          assertThat(n.count()).isEqualTo(4); // firing, re-sent at 1h and 2h, resolved
          assertThat(n.signal().eventTime()).isEqualTo(START + 2 * HOUR + 1);
        });
  }

  /** Reaching a deadline through many small steps or one jump gives the same records. */
  @ParameterizedTest(name = "step {0} ms")
  @ValueSource(longs = {1_000, 60_000, 3_600_000, 36_000_000})
  void shouldNotDependOnHowEventTimeReachesTheDeadlines(long step) {
    AlertLifecycle.Settings settings = new AlertLifecycle.Settings(10 * MINUTE, HOUR);
    AlertLifecycle once = new AlertLifecycle(settings);
    AlertLifecycle stepped = new AlertLifecycle(settings);
    accept(once, signal("harm_rise", true, START, 12.5));
    accept(stepped, signal("harm_rise", true, START, 12.5));

    List<Notification> jump = advance(once, START + 10 * HOUR);
    List<Notification> steps = new ArrayList<>();
    for (long t = START; t < START + 10 * HOUR; t += step) {
      steps.addAll(advance(stepped, t));
    }
    steps.addAll(advance(stepped, START + 10 * HOUR));
    assertThat(steps).isEqualTo(jump).hasSize(10);
    assertThat(stepped.nextDeadline()).isEqualTo(once.nextDeadline());
  }

  @Test
  void shouldRoundTripEmptyOneAndManyEpisodes() {
    AlertLifecycle.Settings settings = new AlertLifecycle.Settings(10 * MINUTE, HOUR);
    AlertLifecycle l = new AlertLifecycle(settings);
    assertThat(AlertLifecycle.fromBytes(l.toBytes(), settings).isEmpty()).isTrue();

    accept(l, signal("harm_rise", true, START, 12.5));
    AlertLifecycle one = AlertLifecycle.fromBytes(l.toBytes(), settings);
    assertThat(one.pending("harm_rise")).isTrue();
    assertThat(one.nextDeadline()).isEqualTo(l.nextDeadline());

    DetectorSignal withCandidates = new DetectorSignal("backdoor_suspected", "critical", true, START + 1, Double.NaN, 0,
        0.01, 1000, "reference_window", "trigger_lift_binomial", 1e-9, 1e-6, Double.NaN, List.of("a"), List.of("x".repeat(70_000)),
        List.of(new DetectorSignal.TriggerCandidateView("orchid seven", 41.0, 37, 1e-9)), null);
    accept(l, withCandidates, signal("refusal_drop", true, START + 2, 12.5));
    advance(l, START + 11 * MINUTE);
    AlertLifecycle many = AlertLifecycle.fromBytes(l.toBytes(), settings);
    assertThat(many.toBytes()).isEqualTo(l.toBytes());
    assertThat(many.firing("harm_rise")).isTrue();
    assertThat(many.firing("backdoor_suspected")).isTrue();
    assertThat(advance(many, START + 2 * HOUR)).isEqualTo(advance(l, START + 2 * HOUR));
  }

  @Test
  void shouldRejectUnknownStateVersions() {
    byte[] bytes = new AlertLifecycle(AlertLifecycle.Settings.IMMEDIATE).toBytes();
    bytes[0] = 99;
    assertThatThrownBy(() -> AlertLifecycle.fromBytes(bytes, AlertLifecycle.Settings.IMMEDIATE))
        .isInstanceOf(UncheckedIOException.class).hasMessageContaining("version 99").hasMessageContaining("fresh savepoint");
  }

  @Test
  void shouldRejectNegativeDurations() {
    assertThatThrownBy(() -> new AlertLifecycle.Settings(-1, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldCloseFiringEpisodesAsResolvedAndCancelPendingOnesWithoutAVerdict() {
    AlertLifecycle l = new AlertLifecycle(new AlertLifecycle.Settings(HOUR, 0));
    accept(l, signal("harm_rise", true, START, 12.5));
    advance(l, START + HOUR);
    accept(l, signal("refusal_drop", true, START + 2 * HOUR, 12.5));

    List<Notification> out = new ArrayList<>();
    l.closeAll(START + 3 * HOUR, "expired", out);
    assertThat(out).extracting(n -> n.phase() + " " + n.signal().kind() + " " + n.signal().firing())
        .containsExactly("RESOLVED harm_rise false", "PENDING_CANCELLED refusal_drop false");
    assertThat(out.get(0).signal().eventTime()).isEqualTo(START + 3 * HOUR);
    assertThat(out.get(0).signal().summary()).isEqualTo("expired");
    assertThat(l.isEmpty()).isTrue();
  }

  static DetectorSignal withEvidence(long time) {
    return new DetectorSignal("score_drift", "warning", true, time, 0.2, 1000, 0.1, 1500, "reference_window", "psi_chi2", 60,
        45.7, 1e9, List.of("e1"), List.of(), List.of(), "drift", new DetectorSignal.RepeatedPayloadView(7, 5, "00ff00ff00ff00ff"),
        List.of(new DetectorSignal.JudgeCategoryCount("S1", 12), new DetectorSignal.JudgeCategoryCount("S10", 3)));
  }

  @Test
  void shouldKeepJudgeCategoriesAndTheRepeatedPayloadOfAPendingCrossingAcrossARestore() {
    AlertLifecycle.Settings settings = new AlertLifecycle.Settings(10 * MINUTE, HOUR);
    AlertLifecycle l = new AlertLifecycle(settings);
    DetectorSignal crossing = withEvidence(START);
    accept(l, crossing);
    AlertLifecycle restored = AlertLifecycle.fromBytes(l.toBytes(), settings);
    assertThat(restored.toBytes()).isEqualTo(l.toBytes());

    // No current view of the kind: confirmation and re-notification fall back to the stored crossing.
    List<Notification> out = new ArrayList<>();
    restored.advanceTo(START + 2 * HOUR, (kind, t) -> null, out);
    // Confirmed at +10 min, sent again at +70 min.
    assertThat(out).extracting(Notification::phase).containsExactly(Phase.FIRING, Phase.RENOTIFY);
    assertThat(out).allSatisfy(n -> {
      assertThat(n.signal().judgeCategories()).isEqualTo(crossing.judgeCategories());
      assertThat(n.signal().repeatedPayload()).isEqualTo(crossing.repeatedPayload());
    });
  }

  /**
   * Older states end each stored signal earlier: version 2 has no tenant count (4 bytes), version 1
   * neither a payload flag (1) nor a category count (4).
   */
  @ParameterizedTest
  @CsvSource({"1, 9", "2, 4"})
  void shouldReadOlderStateWithoutTheLaterEvidence(byte version, int missingBytes) {
    AlertLifecycle.Settings settings = new AlertLifecycle.Settings(10 * MINUTE, 0);
    AlertLifecycle l = new AlertLifecycle(settings);
    accept(l, signal("harm_rise", true, START, 12.5));
    byte[] current = l.toBytes();
    byte[] older = java.util.Arrays.copyOf(current, current.length - missingBytes);
    older[0] = version;
    AlertLifecycle restored = AlertLifecycle.fromBytes(older, settings);
    assertThat(restored.toBytes()).isEqualTo(current);
    assertThat(advance(restored, START + HOUR)).isEqualTo(advance(l, START + HOUR));
  }

  @Test
  void shouldKeepTheTenantBreakdownOfACrossingAcrossARestore() {
    AlertLifecycle.Settings settings = new AlertLifecycle.Settings(10 * MINUTE, HOUR);
    AlertLifecycle l = new AlertLifecycle(settings);
    List<DetectorSignal.TenantShare> tenants = List.of(
        new DetectorSignal.TenantShare("new-tenant", 53, 24), new DetectorSignal.TenantShare(null, 121, 2));
    DetectorSignal crossing = new DetectorSignal("over_refusal", "warning", true, START, 0.149, 174, 0.031, 5000,
        "reference_window", "bernoulli_cusum", 18.2, 17.6, 5e8, List.of("e1"), List.of(), List.of(), "rise", null,
        List.of(), tenants);
    accept(l, crossing);
    AlertLifecycle restored = AlertLifecycle.fromBytes(l.toBytes(), settings);
    assertThat(restored.toBytes()).isEqualTo(l.toBytes());
    List<Notification> out = new ArrayList<>();
    restored.advanceTo(START + 20 * MINUTE, (kind, t) -> null, out);
    assertThat(out).singleElement().satisfies(n -> assertThat(n.signal().tenants()).isEqualTo(tenants));
  }
}
