package io.llmsafety.monitor.jobs;

import static io.llmsafety.monitor.jobs.TestSettings.ONE_MINUTE;
import static io.llmsafety.monitor.jobs.TestSettings.ONE_SECOND;
import static io.llmsafety.monitor.jobs.TestSettings.START;
import static io.llmsafety.monitor.jobs.TestSettings.TTL;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmsafety.monitor.event.BaseModelBaseline;
import io.llmsafety.monitor.event.ControlCommand;
import io.llmsafety.monitor.event.ScoredEvent;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BaseModelBaselineFunctionTest {

  /** Risky reference of 4 events, benign of 3, as in a small job spec. */
  private KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, ControlCommand> harness;

  @BeforeEach
  void setUp() throws Exception {
    harness = ProcessFunctionTestHarnesses.forKeyedCoProcessFunction(new BaseModelBaselineFunction(4, 3, TTL),
        BaseModelBaselineFunction::lineageKey, ControlCommand::variantId, Types.STRING);
    harness.open();
  }

  @AfterEach
  void tearDown() throws Exception {
    harness.close();
  }

  static ScoredEvent event(String id, long time, String variant, String base, boolean risky, boolean refused, boolean harmful) {
    return new ScoredEvent(id, time, variant, base, null, risky ? 0.9 : 0.1, refused ? 0.9 : 0.1, harmful ? 0.8 : 0.05, risky,
        refused, harmful, new String[] {"how"}, null, null);
  }

  private void send(ScoredEvent e) throws Exception {
    harness.processElement1(e, e.timestamp());
  }

  private List<BaseModelBaseline> offersTo(String variant) {
    return harness.extractOutputValues().stream().filter(c -> c.variantId().equals(variant)).map(ControlCommand::baseline).toList();
  }

  /** The base served as itself: 4 risky (one complied harmfully), 3 benign (one refused). */
  private long sendBaseReference(long t) throws Exception {
    send(event("b1", t += ONE_SECOND, "base", null, true, true, false));
    send(event("b2", t += ONE_SECOND, "base", null, true, false, true));
    send(event("b2", t, "base", null, true, false, true)); // a producer retry: counted once
    send(event("b3", t += ONE_SECOND, "base", "base", false, false, false));
    send(event("b4", t += ONE_SECOND, "base", null, true, true, false));
    send(event("b5", t += ONE_SECOND, "base", null, false, true, false));
    send(event("b6", t += ONE_SECOND, "base", null, true, true, false));
    send(event("b7", t += ONE_SECOND, "base", null, false, false, false));
    return t;
  }

  @Test
  void shouldOfferTheBasesWindowsToVariantsSeenBeforeTheyCompleted() throws Exception {
    send(event("a1", START, "adapter", "base", true, true, false));
    long end = sendBaseReference(START);
    assertThat(harness.extractOutputValues()).isEmpty();

    harness.processBothWatermarks(new Watermark(end));
    assertThat(offersTo("adapter")).containsExactly(
        new BaseModelBaseline("base", "refusal_drop", START + 6 * ONE_SECOND, 4, 1),
        new BaseModelBaseline("base", "harm_rise", START + 6 * ONE_SECOND, 4, 1),
        new BaseModelBaseline("base", "benign_harm", START + 7 * ONE_SECOND, 3, 0),
        new BaseModelBaseline("base", "over_refusal", START + 7 * ONE_SECOND, 3, 1));
    assertThat(offersTo("base")).isEmpty();
  }

  @Test
  void shouldEmitTheOfferBeforeTheWatermarkPassesTheCompletion() throws Exception {
    send(event("a1", START, "adapter", "base", true, true, false));
    long end = sendBaseReference(START);
    harness.processBothWatermarks(new Watermark(end + ONE_MINUTE));

    // In the output queue, the first offers precede the first watermark at or past their completion.
    List<Object> output = List.copyOf(harness.getOutput());
    int firstOffer = -1;
    int firstWatermarkPastCompletion = -1;
    for (int i = 0; i < output.size(); i++) {
      if (firstOffer < 0 && output.get(i) instanceof StreamRecord<?>) {
        firstOffer = i;
      }
      if (firstWatermarkPastCompletion < 0 && output.get(i) instanceof Watermark w && w.getTimestamp() >= START + 6 * ONE_SECOND) {
        firstWatermarkPastCompletion = i;
      }
    }
    assertThat(firstOffer).isNotNegative().isLessThan(firstWatermarkPastCompletion);
  }

  @Test
  void shouldOfferAtOnceToAVariantFirstSeenAfterTheCompletionAndNotRepeatIt() throws Exception {
    long end = sendBaseReference(START);
    harness.processBothWatermarks(new Watermark(end));
    send(event("n1", end + ONE_SECOND, "newcomer", "base", true, true, false));
    send(event("n2", end + 2 * ONE_SECOND, "newcomer", "base", true, true, false));

    assertThat(offersTo("newcomer")).hasSize(4).allMatch(b -> b.baseModel().equals("base"));
  }

  @Test
  void shouldLearnTheWindowAgainAfterTheBaseIsRebaselined() throws Exception {
    send(event("a1", START, "adapter", "base", true, true, false));
    long end = sendBaseReference(START);
    harness.processBothWatermarks(new Watermark(end));
    harness.processElement2(new ControlCommand("rebaseline", "base", "new base weights"), end);
    long t = end;
    for (int i = 0; i < 4; i++) {
      send(event("c" + i, t += ONE_SECOND, "base", null, true, false, false));
    }
    harness.processBothWatermarks(new Watermark(t));

    assertThat(offersTo("adapter")).filteredOn(b -> b.kind().equals("refusal_drop"))
        .extracting(BaseModelBaseline::positives).containsExactly(1L, 4L);
  }

  @Test
  void shouldDropAllStateOfAKeySilentForTheTtl() throws Exception {
    send(event("a1", START, "adapter", "base", true, true, false));
    long end = sendBaseReference(START);
    harness.processBothWatermarks(new Watermark(end));
    assertThat(harness.numKeyedStateEntries()).isPositive();

    harness.processBothWatermarks(new Watermark(end + TTL + 2 * 3_600_000));
    assertThat(harness.numKeyedStateEntries()).isZero();
    assertThat(harness.numEventTimeTimers()).isZero();
  }

  @Test
  void shouldIgnoreEventsBehindTheWatermark() throws Exception {
    harness.processBothWatermarks(new Watermark(START + ONE_MINUTE));
    sendBaseReference(START);
    harness.processBothWatermarks(new Watermark(START + 2 * ONE_MINUTE));
    assertThat(harness.extractOutputValues()).isEmpty();
    assertThat(harness.numKeyedStateEntries()).isZero();
  }
}
