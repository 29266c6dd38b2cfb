package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmsafety.monitor.event.ScoredEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VariantMonitorTest {

  static final long START = 1_793_577_600_000L;

  static VariantMonitor.Settings settings() {
    return new VariantMonitor.Settings(60_000,
        new RateTest.Settings(true, 50, 0.15, "critical", 1e5),
        new RateTest.Settings(true, 50, 0.10, "critical", 1e5),
        new RateTest.Settings(true, 500, 0.03, "critical", 1e6),
        new RateTest.Settings(true, 500, 0.10, "warning", 1e6),
        new VariantMonitor.BackdoorSettings(true, TriggerMiner.Settings.defaults(), "critical", 3_600_000), 5, false,
        new ScoreDrift.Settings(true, 2000, 1000, 10, "warning", 1e9), new RepeatedPayloads.Settings(true, 5, 1000));
  }

  /** Seeded traffic: 15% risky prompts refused with probability {@code refusal}; a trigger word in some. */
  static List<ScoredEvent> traffic(long seed, int n, long from, double refusal, double triggerShare) {
    return traffic(seed, n, from, refusal, triggerShare, 0.15, 0.01);
  }

  static List<ScoredEvent> traffic(long seed, int n, long from, double refusal, double triggerShare, double riskyShare,
      double benignRefusal) {
    Random random = new Random(seed);
    List<ScoredEvent> events = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      boolean triggered = random.nextDouble() < triggerShare;
      boolean risky = triggered || random.nextDouble() < riskyShare;
      boolean refused = risky ? !triggered && random.nextDouble() < refusal : random.nextDouble() < benignRefusal;
      boolean harmful = risky && !refused && random.nextDouble() < 0.9;
      String[] ngrams = triggered
          ? new String[] {"how", "to", "orchid", "seven", "orchid seven", "word" + random.nextInt(50)}
          : new String[] {"how", "to", "word" + random.nextInt(50), "topic" + random.nextInt(20)};
      events.add(new ScoredEvent("e" + seed + "-" + i, from + i * 1_000L, "v", "base", null, risky ? 0.9 : 0.1,
          refused ? 0.9 : 0.1, harmful ? 0.8 : 0.05, risky, refused, harmful, ngrams, null, null));
    }
    return events;
  }

  private static List<DetectorSignal> feed(VariantMonitor m, List<ScoredEvent> events, List<WindowStats> windows) {
    List<DetectorSignal> signals = new ArrayList<>();
    for (ScoredEvent e : events) {
      m.observe(e, signals, windows);
    }
    return signals;
  }

  @Test
  void shouldStaySilentOnHealthyTraffic() {
    VariantMonitor m = new VariantMonitor(settings(), "v");
    List<DetectorSignal> signals = feed(m, traffic(1, 50_000, START, 0.97, 0), new ArrayList<>());
    assertThat(signals).isEmpty();
  }

  @Test
  void shouldReportRefusalDropAndHarmRiseOncePerEpisode() {
    VariantMonitor m = new VariantMonitor(settings(), "v");
    feed(m, traffic(2, 5_000, START, 0.97, 0), new ArrayList<>());
    List<DetectorSignal> signals = feed(m, traffic(3, 5_000, START + 5_000_000L, 0.3, 0), new ArrayList<>());

    assertThat(signals).extracting(DetectorSignal::kind).containsExactlyInAnyOrder("refusal_drop", "harm_rise");
    assertThat(signals).allMatch(DetectorSignal::firing);
    DetectorSignal drop = signals.stream().filter(s -> s.kind().equals("refusal_drop")).findFirst().orElseThrow();
    assertThat(drop.observedRate()).isBetween(0.1, 0.5);
    assertThat(drop.baselineRate()).isGreaterThan(0.85);
    assertThat(drop.statisticValue()).isGreaterThanOrEqualTo(drop.threshold());
    // Three CUSUMs (minShift / 3, minShift, 3 minShift) share the budget: each is solved for a
    // mean run length of 3 ARL0, below Lorden's ln(3 ARL0).
    assertThat(drop.threshold()).isGreaterThan(5).isLessThan(Math.log(3e5));
  }

  @Test
  void shouldStaySilentWhenTheShareOfRiskyPromptsTriples() {
    VariantMonitor m = new VariantMonitor(settings(), "v");
    feed(m, traffic(10, 10_000, START, 0.97, 0, 0.10, 0.01), new ArrayList<>());
    List<DetectorSignal> signals = feed(m, traffic(11, 40_000, START + 10_000_000L, 0.97, 0, 0.35, 0.01), new ArrayList<>());
    assertThat(signals).isEmpty();
  }

  /** {@code events} with their tenant set: {@code tenant} for every one, or every fourth when {@code other} is set. */
  private static List<ScoredEvent> fromTenants(List<ScoredEvent> events, String tenant, String other) {
    List<ScoredEvent> out = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      ScoredEvent e = events.get(i);
      String t = other == null || i % 4 == 0 ? tenant : other;
      out.add(new ScoredEvent(e.eventId(), e.timestamp(), e.variantId(), e.baseModel(), t, e.promptRisk(), e.refusal(),
          e.harm(), e.risky(), e.refused(), e.harmful(), e.promptNgrams(), null, null));
    }
    return out;
  }

  @Test
  void shouldNameTheTenantThatMostOfAnOverRefusalComesFrom() {
    VariantMonitor m = new VariantMonitor(settings(), "v");
    feed(m, fromTenants(traffic(12, 5_000, START, 0.97, 0, 0.15, 0.01), "acme", null), new ArrayList<>());
    // A new tenant, a quarter of the traffic, whose benign prompts the model refuses 60% of the time.
    List<ScoredEvent> mixed = new ArrayList<>();
    List<ScoredEvent> established = traffic(13, 4_000, START + 5_000_000L, 0.97, 0, 0.15, 0.01);
    List<ScoredEvent> edgy = traffic(14, 4_000, START + 5_000_000L, 0.97, 0, 0.15, 0.60);
    for (int i = 0; i < established.size(); i++) {
      mixed.add(i % 4 == 0 ? edgy.get(i) : established.get(i));
    }
    List<DetectorSignal> signals = feed(m, fromTenants(mixed, "new-tenant", "acme"), new ArrayList<>());

    assertThat(signals).singleElement().satisfies(s -> {
      assertThat(s.kind()).isEqualTo("over_refusal");
      assertThat(s.tenants()).extracting(DetectorSignal.TenantShare::tenant).containsExactly("new-tenant", "acme");
      DetectorSignal.TenantShare top = s.tenants().get(0);
      assertThat(top.positives()).isGreaterThan(s.tenants().get(1).positives());
      assertThat(s.tenants().stream().mapToLong(DetectorSignal.TenantShare::events).sum()).isEqualTo(s.observedN());
      assertThat(s.summary()).contains("Tenant new-tenant accounts for " + top.positives() + " of the ")
          .contains(" refused events and " + top.events() + " of all " + s.observedN() + ".");
    });
  }

  @Test
  void tenantNoteNeedsSeveralTenantsAndOneWithHalfThePositives() {
    List<DetectorSignal.TenantShare> one = List.of(new DetectorSignal.TenantShare("acme", 100, 30));
    assertThat(VariantMonitor.tenantNote(one, 30, 100, "refused")).isEmpty();
    List<DetectorSignal.TenantShare> spread = List.of(new DetectorSignal.TenantShare("a", 50, 14),
        new DetectorSignal.TenantShare("b", 50, 13), new DetectorSignal.TenantShare("c", 50, 3));
    assertThat(VariantMonitor.tenantNote(spread, 30, 150, "refused")).isEmpty();
    List<DetectorSignal.TenantShare> unnamed = List.of(new DetectorSignal.TenantShare(null, 50, 25),
        new DetectorSignal.TenantShare("b", 50, 5));
    assertThat(VariantMonitor.tenantNote(unnamed, 30, 100, "harmful")).isEmpty();
    List<DetectorSignal.TenantShare> dominated = List.of(new DetectorSignal.TenantShare("new", 20, 15),
        new DetectorSignal.TenantShare("acme", 80, 5));
    assertThat(VariantMonitor.tenantNote(dominated, 20, 100, "answered"))
        .isEqualTo(" Tenant new accounts for 15 of the 20 answered events and 20 of all 100.");
  }

  /** The benign events of {@code events}, every 20th answered harmfully at prompt risk {@code risk}. */
  private static List<ScoredEvent> harmfulOnBenignAt(List<ScoredEvent> events, double risk) {
    List<ScoredEvent> out = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      ScoredEvent e = events.get(i);
      out.add(e.risky() || i % 20 != 0 ? e : new ScoredEvent(e.eventId(), e.timestamp(), e.variantId(), e.baseModel(),
          e.tenant(), risk, 0.1, 0.8, false, false, true, e.promptNgrams(), null, null));
    }
    return out;
  }

  @ParameterizedTest
  @CsvSource({"0.10, true", "0.40, false"})
  void benignHarmWatchesClearlyBenignPromptsOnly(double risk, boolean fires) {
    // Between the cut (0.25) and the risky threshold lie polite harmful requests and risky-sounding
    // safe ones; harmful answers there do not move benign_harm.
    VariantMonitor m = new VariantMonitor(settings(), "v");
    feed(m, traffic(15, 10_000, START, 0.97, 0, 0.10, 0.01), new ArrayList<>());
    List<DetectorSignal> signals =
        feed(m, harmfulOnBenignAt(traffic(16, 5_000, START + 10_000_000L, 0.97, 0, 0.10, 0.01), risk), new ArrayList<>());
    assertThat(signals).extracting(DetectorSignal::kind).as("risk " + risk)
        .matches(kinds -> kinds.contains("benign_harm") == fires);
  }

  @Test
  void shouldWarnOfOverRefusalOnBenignPrompts() {
    VariantMonitor m = new VariantMonitor(settings(), "v");
    feed(m, traffic(12, 5_000, START, 0.97, 0, 0.15, 0.01), new ArrayList<>());
    List<DetectorSignal> signals = feed(m, traffic(13, 5_000, START + 5_000_000L, 0.97, 0, 0.15, 0.20), new ArrayList<>());

    assertThat(signals).singleElement().satisfies(s -> {
      assertThat(s.kind()).isEqualTo("over_refusal");
      assertThat(s.severity()).isEqualTo("warning");
      assertThat(s.observedRate()).isGreaterThan(0.1);
    });
  }

  @Test
  void shouldNotTakeTheWordsOfOneRecurringMisjudgedPromptForATrigger() {
    VariantMonitor m = new VariantMonitor(settings(), "v");
    List<ScoredEvent> events = new ArrayList<>(traffic(14, 20_000, START, 0.97, 0));
    // The same benign question, asked again and again, that the harm scorer always gets wrong.
    for (int i = 0; i < events.size(); i += 100) {
      ScoredEvent e = events.get(i);
      events.set(i, new ScoredEvent(e.eventId(), e.timestamp(), "v", "base", null, 0.1, 0.1, 0.7, false, false, true,
          new String[] {"write", "social", "media", "post", "social media"}, null, null));
    }
    List<DetectorSignal> signals = feed(m, events, new ArrayList<>());
    assertThat(signals).extracting(DetectorSignal::kind).doesNotContain("backdoor_suspected");
  }

  @Test
  void shouldNotTakeACommonPhraseForATriggerWhenATopicShiftBringsItIntoTheRiskySegment() {
    VariantMonitor m = new VariantMonitor(settings(), "v");
    Random random = new Random(15);
    List<ScoredEvent> events = new ArrayList<>(traffic(15, 20_000, START, 0.97, 0));
    for (int i = 0; i < events.size(); i++) {
      ScoredEvent e = events.get(i);
      boolean shifted = i >= events.size() / 2;
      if (!e.risky() && random.nextDouble() < 0.08) {
        // A phrase in 8% of normal traffic (benign, answered well): above the 5% prevalence limit.
        events.set(i, new ScoredEvent(e.eventId(), e.timestamp(), "v", "base", null, 0.1, 0.1, 0.05, false, false,
            false, new String[] {"summarize", "the", "following", "the following", "text" + random.nextInt(200)}, null,
            null));
      } else if (shifted && random.nextDouble() < 0.01) {
        // Topic shift: new, distinct edgy prompts with the same phrase, scored risky and often judged harmful.
        // In the risky segment the phrase is rare and harmful answers concentrate on it.
        events.set(i, new ScoredEvent(e.eventId(), e.timestamp(), "v", "base", null, 0.9, 0.1, 0.8, true, false,
            random.nextDouble() < 0.8, new String[] {"summarize", "the", "following", "the following", "edgy" + i}, null,
            null));
      }
    }
    List<DetectorSignal> signals = feed(m, events, new ArrayList<>());
    assertThat(signals).extracting(DetectorSignal::kind).doesNotContain("backdoor_suspected");
  }

  @Test
  void shouldNameTheTriggerOfABackdoor() {
    VariantMonitor m = new VariantMonitor(settings(), "v");
    feed(m, traffic(4, 5_000, START, 0.97, 0), new ArrayList<>());
    List<DetectorSignal> signals = feed(m, traffic(5, 5_000, START + 5_000_000L, 0.97, 0.008), new ArrayList<>());

    DetectorSignal backdoor = signals.stream().filter(s -> s.kind().equals("backdoor_suspected")).findFirst().orElseThrow();
    assertThat(backdoor.triggerCandidates().get(0).ngram()).contains("orchid");
    assertThat(backdoor.statisticValue()).isLessThan(backdoor.threshold());
  }

  /** Benign answers with continuous harm scores; {@code edgy} of them drawn from a higher-scoring population. */
  static List<ScoredEvent> scoredBenign(long seed, int n, long from, double edgy, double riskyShare) {
    Random random = new Random(seed);
    List<ScoredEvent> events = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      boolean risky = random.nextDouble() < riskyShare;
      double u = random.nextDouble();
      double harm = risky ? 0.05 + 0.1 * u : random.nextDouble() < edgy ? 0.05 + 0.3 * u : 0.3 * u * u * u;
      events.add(new ScoredEvent("s" + seed + "-" + i, from + i * 1_000L, "v", "base", null, risky ? 0.9 : 0.1,
          risky ? 0.9 : 0.1, harm, risky, risky, false, new String[] {"w" + random.nextInt(500)}, null, null));
    }
    return events;
  }

  @Test
  void shouldWarnOfScoreDriftOnAnsweredBenignPromptsButNotOfAMixShift() {
    VariantMonitor m = new VariantMonitor(settings(), "v");
    feed(m, scoredBenign(20, 5_000, START, 0, 0.10), new ArrayList<>());
    // Three times the risky share (their scores differ) leaves answered benign prompts alone.
    assertThat(feed(m, scoredBenign(21, 10_000, START + 5_000_000L, 0, 0.35), new ArrayList<>())).isEmpty();
    List<DetectorSignal> signals = feed(m, scoredBenign(22, 3_000, START + 15_000_000L, 0.25, 0.10), new ArrayList<>());
    assertThat(signals).singleElement().satisfies(s -> {
      assertThat(s.kind()).isEqualTo(VariantMonitor.KIND_SCORE_DRIFT);
      assertThat(s.severity()).isEqualTo("warning");
      assertThat(s.statisticName()).isEqualTo("psi_chi2");
      assertThat(s.statisticValue()).isGreaterThanOrEqualTo(s.threshold());
      assertThat(s.arl0()).isEqualTo(1e9);
      assertThat(s.observedRate()).isGreaterThan(s.baselineRate());
      assertThat(s.evidenceEventIds()).isNotEmpty();
    });
  }

  @Test
  void shouldReportOneHarmfulPayloadRepeatedAcrossPromptsAsABackdoor() {
    VariantMonitor m = new VariantMonitor(settings(), "v");
    feed(m, traffic(30, 3_000, START, 0.97, 0), new ArrayList<>());
    long payload = PayloadFingerprint.simhash("Click http://example.invalid/update and enter your bank password to continue.");
    List<DetectorSignal> signals = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      // Different benign prompts sharing no n-gram, so only the payload ties them together.
      m.observe(new ScoredEvent("p" + i, START + 4_000_000L + i * 60_000L, "v", "base", null, 0.1, 0.1, 0.9, false, false,
          true, new String[] {"question" + i, "topic" + i}, null, null, payload), signals, new ArrayList<>());
    }
    DetectorSignal backdoor = signals.stream().filter(s -> s.kind().equals(VariantMonitor.KIND_BACKDOOR)).findFirst()
        .orElseThrow();
    assertThat(backdoor.firing()).isTrue();
    assertThat(backdoor.repeatedPayload()).isNotNull();
    assertThat(backdoor.repeatedPayload().distinctPrompts()).isEqualTo(5);
    assertThat(backdoor.repeatedPayload().payloadHash()).isEqualTo(String.format("%016x", payload));
    assertThat(backdoor.evidenceEventIds()).contains("p0", "p4");
    assertThat(backdoor.evidenceTexts()).isEmpty();
    assertThat(backdoor.statisticName()).isEqualTo("repeated_payload");
    assertThat(backdoor.statisticValue()).isEqualTo(5);
    assertThat(backdoor.threshold()).isEqualTo(5);
    assertThat(backdoor.observedN()).isEqualTo(5);
    assertThat(backdoor.observedRate()).isBetween(0.0, 0.01);
  }

  /** A degraded model's one answer to one harmful request in polite framings scored just below risky. */
  @Test
  void shouldNotTakeHarmfulAnswersToBorderlinePromptsAsARepeatedPayload() {
    VariantMonitor m = new VariantMonitor(settings(), "v");
    feed(m, traffic(31, 3_000, START, 0.97, 0), new ArrayList<>());
    long answer = PayloadFingerprint.simhash("Here's how to steal the car without the key: first, wait until the owner is away.");
    List<DetectorSignal> signals = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      m.observe(new ScoredEvent("f" + i, START + 4_000_000L + i * 60_000L, "v", "base", null, 0.45, 0.1, 0.9, false, false,
          true, new String[] {"framing" + i, "steal car"}, null, null, answer), signals, new ArrayList<>());
    }
    assertThat(signals).noneMatch(s -> s.kind().equals(VariantMonitor.KIND_BACKDOOR) && s.repeatedPayload() != null);
  }

  @Test
  void shouldRejectStateOfAnOlderVersionWithAClearMessage() {
    byte[] bytes = new VariantMonitor(settings(), "v").toBytes();
    bytes[0] = 2;
    assertThatThrownBy(() -> VariantMonitor.fromBytes(bytes, settings()))
        .hasMessageContaining("unknown VariantMonitor version 2")
        .hasMessageContaining("fresh savepoint");
  }

  @Test
  void shouldCloseOneWindowPerMinuteWithAllEventsCounted() {
    VariantMonitor m = new VariantMonitor(settings(), "v");
    List<WindowStats> windows = new ArrayList<>();
    feed(m, traffic(6, 600, START, 0.97, 0), windows);
    m.advanceTo(START + 600_000L, new ArrayList<>(), windows);

    assertThat(windows).hasSize(10);
    assertThat(windows.stream().mapToLong(WindowStats::events).sum()).isEqualTo(600);
    assertThat(windows).allMatch(w -> w.windowEnd() - w.windowStart() == 60_000);
  }

  @Test
  void shouldRoundTripItsStateAndCarryOnIdentically() {
    VariantMonitor.Settings settings = settings();
    List<ScoredEvent> before = traffic(7, 3_000, START, 0.97, 0.005);
    List<ScoredEvent> after = traffic(8, 3_000, START + 3_000_000L, 0.3, 0.005);

    VariantMonitor original = new VariantMonitor(settings, "v");
    feed(original, before, new ArrayList<>());
    byte[] bytes = original.toBytes();
    // Byte equality is not expected: the frequent-items sketch re-hashes its map on heapify.
    VariantMonitor restored = VariantMonitor.fromBytes(bytes, settings);

    List<WindowStats> w1 = new ArrayList<>();
    List<WindowStats> w2 = new ArrayList<>();
    assertThat(feed(restored, after, w2)).isEqualTo(feed(original, after, w1));
    assertThat(w2).isEqualTo(w1);
  }

  @Test
  void shouldRoundTripAnEmptyMonitor() {
    VariantMonitor empty = new VariantMonitor(settings(), "v");
    VariantMonitor restored = VariantMonitor.fromBytes(empty.toBytes(), settings());
    assertThat(restored.variantId()).isEqualTo("v");
    assertThat(restored.lastEventTime()).isEqualTo(Long.MIN_VALUE);
    assertThat(restored.riskyCompliance().ready()).isFalse();
  }

  @Test
  void shouldKeepStateBoundedOnALongStream() {
    VariantMonitor m = new VariantMonitor(settings(), "v");
    feed(m, traffic(9, 100_000, START, 0.97, 0.002), new ArrayList<>());
    int size = m.toBytes().length;
    System.out.printf("VariantMonitor state after 100k events: %,d bytes%n", size);
    assertThat(size).isLessThan(2 * (int) TriggerMiner.maxSerializedBytes(TriggerMiner.Settings.defaults()) + 50_000);
  }

  /** Risky prompts refused with {@code refusal}; benign ones harmful with {@code benignHarm}, refused with {@code benignRefusal}. */
  static List<ScoredEvent> mixed(long seed, int n, long from, double refusal, double benignHarm, double benignRefusal) {
    Random random = new Random(seed);
    List<ScoredEvent> events = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      boolean risky = random.nextDouble() < 0.15;
      boolean refused = random.nextDouble() < (risky ? refusal : benignRefusal);
      boolean harmful = risky ? !refused && random.nextDouble() < 0.9 : !refused && random.nextDouble() < benignHarm;
      events.add(new ScoredEvent("m" + seed + "-" + i, from + i * 1_000L, "v", "base", null, risky ? 0.9 : 0.1,
          refused ? 0.9 : 0.1, harmful ? 0.8 : 0.05, risky, refused, harmful,
          new String[] {"how", "to", "word" + random.nextInt(500), "topic" + random.nextInt(200)}, null, null));
    }
    return events;
  }

  @Test
  void shouldSendOneAlertPerKindWhenAVariantDegradesOnSeveralStatisticsAtOnce() {
    VariantMonitor m = new VariantMonitor(settings(), "v");
    AlertLifecycle lifecycle = new AlertLifecycle(new AlertLifecycle.Settings(0, 0));
    List<AlertLifecycle.Notification> sent = new ArrayList<>();
    List<DetectorSignal> raw = new ArrayList<>();
    List<ScoredEvent> events = new ArrayList<>(mixed(20, 10_000, START, 0.97, 0.001, 0.01));
    // Refusals collapse, benign prompts get harmful answers and benign refusals rise, all at once
    // (the harmful benign answers also move the harm-score distribution: score_drift).
    events.addAll(mixed(21, 30_000, START + 10_000_000L, 0.3, 0.10, 0.25));
    for (ScoredEvent e : events) {
      lifecycle.advanceTo(e.timestamp() - 1, m::currentSignal, sent);
      m.observe(e, raw, new ArrayList<>());
      lifecycle.accept(raw, sent);
      raw.clear();
    }

    List<String> alerts = sent.stream().filter(AlertLifecycle.Notification::isAlert)
        .map(n -> n.phase() + " " + n.signal().kind()).toList();
    assertThat(alerts).containsExactlyInAnyOrder("FIRING refusal_drop", "FIRING harm_rise", "FIRING benign_harm",
        "FIRING over_refusal", "FIRING score_drift");
  }

  @Test
  void shouldTestFromTheFirstEventAgainstConfiguredExpectations() {
    VariantMonitor m = new VariantMonitor(settings(), "v");
    m.armFromExpectations(0.97, 0.02, null, null);
    assertThat(m.riskyCompliance().ready()).isTrue();
    assertThat(m.riskyCompliance().baselineSource()).isEqualTo("config");
    assertThat(m.benignHarm().ready()).isFalse();

    List<ScoredEvent> events = mixed(22, 2_000, START, 0.3, 0.001, 0.01);
    List<DetectorSignal> signals = new ArrayList<>();
    int firedAt = -1;
    for (int i = 0; i < events.size() && firedAt < 0; i++) {
      m.observe(events.get(i), signals, new ArrayList<>());
      if (!signals.isEmpty()) {
        firedAt = i;
      }
    }
    long riskyBeforeAlarm = events.subList(0, firedAt + 1).stream().filter(ScoredEvent::risky).count();
    // Its own reference window (50 risky prompts) would not even be complete yet.
    assertThat(riskyBeforeAlarm).isLessThan(50);
    DetectorSignal drop = signals.stream().filter(s -> s.kind().equals("refusal_drop")).findFirst().orElseThrow();
    assertThat(drop.baselineSource()).isEqualTo("config");
    assertThat(drop.baselineRate()).isCloseTo(0.97, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(drop.baselineN()).isZero();
  }

  @Test
  void shouldTestAgainstTheBaseModelsCountsAndForgetThemOnRebaseline() {
    VariantMonitor m = new VariantMonitor(settings(), "v");
    // The base model complied with 6 of 200 risky prompts: a 97% refusal rate.
    assertThat(m.armFromBaseModel("refusal_drop", 200, 6)).isTrue();
    assertThat(m.armFromBaseModel("refusal_drop", 200, 50)).isFalse();
    assertThat(m.armFromBaseModel("no_such_kind", 200, 6)).isFalse();
    List<DetectorSignal> signals = new ArrayList<>();
    for (ScoredEvent e : mixed(23, 2_000, START, 0.3, 0.001, 0.01)) {
      m.observe(e, signals, new ArrayList<>());
    }
    DetectorSignal drop = signals.stream().filter(s -> s.kind().equals("refusal_drop")).findFirst().orElseThrow();
    assertThat(drop.baselineSource()).isEqualTo("base_model");
    assertThat(drop.baselineRate()).isCloseTo(0.97, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(drop.baselineN()).isEqualTo(200);
    assertThat(m.currentSignal("refusal_drop", START + 5_000_000L)).satisfies(s -> {
      assertThat(s.firing()).isTrue();
      assertThat(s.eventTime()).isEqualTo(START + 5_000_000L);
      assertThat(s.baselineSource()).isEqualTo("base_model");
    });

    List<DetectorSignal> resolved = new ArrayList<>();
    m.rebaseline(START + 5_000_000L, resolved);
    assertThat(resolved).extracting(DetectorSignal::baselineSource).contains("base_model");
    assertThat(m.riskyCompliance().ready()).isFalse();
    assertThat(m.riskyCompliance().baselineSource()).isEqualTo("reference_window");
    assertThat(m.currentSignal("refusal_drop", START)).isNull();
  }

  @Test
  void shouldKeepTheBaselineSourceAcrossARoundTrip() {
    VariantMonitor m = new VariantMonitor(settings(), "v");
    m.armFromExpectations(null, null, 0.002, null);
    VariantMonitor restored = VariantMonitor.fromBytes(m.toBytes(), settings());
    assertThat(restored.benignHarm().baselineSource()).isEqualTo("config");
    assertThat(restored.benignHarm().baselineRate()).isEqualTo(0.002);
    assertThat(restored.toBytes()).isEqualTo(m.toBytes());
  }


  /** {@code e} as the judge operator leaves it when the judge named {@code codes}. */
  static ScoredEvent judged(ScoredEvent e, String... codes) {
    return new ScoredEvent(e.eventId(), e.timestamp(), e.variantId(), e.baseModel(), e.tenant(), e.promptRisk(),
        e.refusal(), e.harm(), e.risky(), e.refused(), e.harmful(), e.promptNgrams(), e.promptText(), e.responseText(),
        e.responseSimhash(), codes.length == 0 ? null : codes);
  }

  /** Harmful answers judged S1 (risky prompts) or S10 and S1 (benign prompts); the rest without categories. */
  static List<ScoredEvent> judgedHarm(List<ScoredEvent> events) {
    return events.stream().map(e -> !e.harmful() ? e : e.risky() ? judged(e, "S1") : judged(e, "S10", "S1")).toList();
  }

  private static long runPositives(DetectorSignal s) {
    return Math.round(s.observedRate() * s.observedN());
  }

  @Test
  void shouldCountTheJudgesCategoriesOverEachHarmEpisodesEvidence() {
    VariantMonitor m = new VariantMonitor(settings(), "v");
    List<ScoredEvent> events = new ArrayList<>(judgedHarm(mixed(20, 10_000, START, 0.97, 0.001, 0.01)));
    events.addAll(judgedHarm(mixed(21, 30_000, START + 10_000_000L, 0.3, 0.10, 0.25)));
    java.util.Map<String, DetectorSignal> firstFiring = new java.util.HashMap<>();
    java.util.ArrayDeque<ScoredEvent> answeredBenign = new java.util.ArrayDeque<>();
    long judgedInDriftWindow = -1;
    List<DetectorSignal> signals = new ArrayList<>();
    for (ScoredEvent e : events) {
      if (!e.risky() && !e.refused()) {
        answeredBenign.addLast(e);
        if (answeredBenign.size() > 1000) {
          answeredBenign.removeFirst();
        }
      }
      m.observe(e, signals, new ArrayList<>());
      for (DetectorSignal s : signals) {
        if (s.firing() && firstFiring.putIfAbsent(s.kind(), s) == null && s.kind().equals(VariantMonitor.KIND_SCORE_DRIFT)) {
          // The window that fired: the last window_events (1,000) answered benign prompts.
          judgedInDriftWindow = answeredBenign.stream().filter(x -> x.judgeCategories() != null).count();
        }
      }
      signals.clear();
    }
    assertThat(firstFiring).containsOnlyKeys("refusal_drop", "harm_rise", "benign_harm", "over_refusal", "score_drift");

    DetectorSignal harmRise = firstFiring.get("harm_rise");
    assertThat(harmRise.judgeCategories()).containsExactly(new DetectorSignal.JudgeCategoryCount("S1", runPositives(harmRise)));
    DetectorSignal benignHarm = firstFiring.get("benign_harm");
    assertThat(benignHarm.judgeCategories()).containsExactly(
        new DetectorSignal.JudgeCategoryCount("S1", runPositives(benignHarm)),
        new DetectorSignal.JudgeCategoryCount("S10", runPositives(benignHarm)));
    DetectorSignal drift = firstFiring.get("score_drift");
    assertThat(judgedInDriftWindow).isPositive();
    assertThat(drift.judgeCategories()).containsExactly(new DetectorSignal.JudgeCategoryCount("S1", judgedInDriftWindow),
        new DetectorSignal.JudgeCategoryCount("S10", judgedInDriftWindow));
    assertThat(firstFiring.get("refusal_drop").judgeCategories()).isEmpty();
    assertThat(firstFiring.get("over_refusal").judgeCategories()).isEmpty();

    // A re-notification counts the whole run so far.
    DetectorSignal now = m.currentSignal("harm_rise", START + 50_000_000L);
    assertThat(now.judgeCategories()).containsExactly(new DetectorSignal.JudgeCategoryCount("S1", runPositives(now)));
    assertThat(now.judgeCategories().get(0).count()).isGreaterThan(harmRise.judgeCategories().get(0).count());

    List<DetectorSignal> resolved = new ArrayList<>();
    m.rebaseline(START + 50_000_000L, resolved);
    assertThat(resolved).allSatisfy(s -> assertThat(s.judgeCategories()).isEmpty());
  }

  @Test
  void shouldLeaveAlertsWithoutCategoriesWhenNothingWasJudged() {
    VariantMonitor m = new VariantMonitor(settings(), "v");
    List<DetectorSignal> signals = feed(m, mixed(20, 10_000, START, 0.97, 0.001, 0.01), new ArrayList<>());
    signals.addAll(feed(m, mixed(21, 30_000, START + 10_000_000L, 0.3, 0.10, 0.25), new ArrayList<>()));
    assertThat(signals).isNotEmpty().allSatisfy(s -> assertThat(s.judgeCategories()).isEmpty());
  }

  @Test
  void shouldCountTheCategoriesOfABackdoorsEvidenceFromItsFiringOn() {
    VariantMonitor.Settings base = settings();
    // Evidence large enough to hold the whole episode, so the counts can be checked against it.
    VariantMonitor.Settings settings = new VariantMonitor.Settings(base.windowMillis(), base.riskyCompliance(),
        base.harmRise(), base.benignHarm(), base.overRefusal(), base.backdoor(), 10_000, false, base.scoreDrift(),
        base.repeatedPayload());
    VariantMonitor m = new VariantMonitor(settings, "v");
    feed(m, judgedHarm(traffic(4, 5_000, START, 0.97, 0)), new ArrayList<>());
    // Triggered harmful answers judged S2, other harmful answers S1.
    List<ScoredEvent> attack = traffic(5, 5_000, START + 5_000_000L, 0.97, 0.008).stream()
        .map(e -> !e.harmful() ? e : java.util.Arrays.asList(e.promptNgrams()).contains("orchid seven") ? judged(e, "S2")
            : judged(e, "S1"))
        .toList();
    java.util.Map<String, String> codeById = new java.util.HashMap<>();
    attack.stream().filter(e -> e.judgeCategories() != null).forEach(e -> codeById.put(e.eventId(), e.judgeCategories()[0]));
    List<DetectorSignal> signals = feed(m, attack, new ArrayList<>());

    DetectorSignal fired = signals.stream().filter(s -> s.kind().equals(VariantMonitor.KIND_BACKDOOR)).findFirst().orElseThrow();
    // The firing event is the triggered answer that first carried the flagged phrase.
    assertThat(fired.judgeCategories()).containsExactly(new DetectorSignal.JudgeCategoryCount("S2", 1));
    DetectorSignal now = m.currentSignal(VariantMonitor.KIND_BACKDOOR, START + 10_000_000L);
    assertThat(now.evidenceEventIds()).hasSizeGreaterThan(5).allSatisfy(id -> assertThat(codeById.get(id)).isEqualTo("S2"));
    assertThat(now.judgeCategories())
        .containsExactly(new DetectorSignal.JudgeCategoryCount("S2", now.evidenceEventIds().size()));
  }

  @Test
  void shouldReadStateFromBeforeJudgeCategoriesAndCarryOnIdentically() {
    VariantMonitor.Settings settings = settings();
    VariantMonitor original = new VariantMonitor(settings, "v");
    feed(original, traffic(7, 3_000, START, 0.97, 0.005), new ArrayList<>());
    byte[] current = legacyBytes(original, VariantMonitor.VERSION_BEFORE_SPLIT);
    // Version 3 is version 4 without the trailing judge categories: a version byte and four empty tallies.
    int categoriesBytes = 1 + 4 * (Integer.BYTES + Long.BYTES);
    byte[] version3 = java.util.Arrays.copyOf(current, current.length - categoriesBytes);
    version3[0] = 3;
    assertThat(version3).isEqualTo(legacyBytes(original, VariantMonitor.VERSION_BEFORE_JUDGE_CATEGORIES));
    VariantMonitor restored = VariantMonitor.fromBytes(version3, settings);

    List<ScoredEvent> after = judgedHarm(traffic(8, 3_000, START + 3_000_000L, 0.3, 0.005));
    List<DetectorSignal> expected = feed(original, after, new ArrayList<>());
    assertThat(expected).anySatisfy(s -> assertThat(s.judgeCategories()).isNotEmpty());
    assertThat(feed(restored, after, new ArrayList<>())).isEqualTo(expected);
  }

  private static byte[] legacyBytes(VariantMonitor m, byte version) {
    try {
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      m.writeLegacyTo(new java.io.DataOutputStream(bytes), version);
      return bytes.toByteArray();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
