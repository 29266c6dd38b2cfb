package io.llmsafety.monitor.jobs;

import static io.llmsafety.monitor.jobs.BaseModelBaselineFunctionTest.event;
import static io.llmsafety.monitor.jobs.TestSettings.ONE_MINUTE;
import static io.llmsafety.monitor.jobs.TestSettings.ONE_SECOND;
import static io.llmsafety.monitor.jobs.TestSettings.START;
import static io.llmsafety.monitor.jobs.TestSettings.TTL;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmsafety.monitor.event.ControlCommand;
import io.llmsafety.monitor.event.ScoredEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

class DependentSightingFilterTest {

  private static final long RESIGHT = TTL / 2;

  private static OneInputStreamOperatorTestHarness<ScoredEvent, ScoredEvent> filter(int maxTracked) throws Exception {
    return ProcessFunctionTestHarnesses.forProcessFunction(new DependentSightingFilter(TTL, maxTracked));
  }

  private static List<String> ids(OneInputStreamOperatorTestHarness<ScoredEvent, ScoredEvent> h) {
    return h.extractOutputValues().stream().map(ScoredEvent::eventId).toList();
  }

  @Test
  void shouldForwardEveryEventOfABaseModelServedAsItself() throws Exception {
    try (var h = filter(10)) {
      h.open();
      for (int i = 0; i < 5; i++) {
        h.processElement(event("plain" + i, START + i, "base", null, true, true, false), START + i);
        h.processElement(event("self" + i, START + i, "base", "base", false, false, false), START + i);
      }
      assertThat(h.extractOutputValues()).hasSize(10);
    }
  }

  @Test
  void shouldForwardAnAdaptersFirstSightingAndThenOnePerResightInterval() throws Exception {
    try (var h = filter(10)) {
      h.open();
      long[] times = {START, START + ONE_MINUTE, START + RESIGHT - 1, START + RESIGHT, START + RESIGHT + ONE_SECOND,
          START + 2 * RESIGHT - 1, START + 2 * RESIGHT};
      for (int i = 0; i < times.length; i++) {
        h.processElement(event("a" + i, times[i], "adapter", "base", true, true, false), times[i]);
      }
      // The interval runs from the last forwarded sighting, as in the keyed operator.
      assertThat(ids(h)).containsExactly("a0", "a3", "a6");
    }
  }

  @Test
  void shouldForwardLateEventsWithoutCountingThemAsSightings() throws Exception {
    try (var h = filter(10)) {
      h.open();
      h.processWatermark(new Watermark(START + ONE_MINUTE));
      h.processElement(event("late", START, "adapter", "base", true, true, false), START);
      h.processElement(event("on-time", START + 2 * ONE_MINUTE, "adapter", "base", true, true, false), START + 2 * ONE_MINUTE);
      assertThat(ids(h)).containsExactly("late", "on-time");
    }
  }

  @Test
  void shouldForgetTheLeastRecentlySeenAdapterBeyondItsBound() throws Exception {
    try (var h = filter(2)) {
      h.open();
      h.processElement(event("x1", START, "x", "base", true, true, false), START);
      h.processElement(event("y1", START + 1, "y", "base", true, true, false), START + 1);
      h.processElement(event("z1", START + 2, "z", "base", true, true, false), START + 2); // evicts x
      h.processElement(event("y2", START + 3, "y", "base", true, true, false), START + 3);
      h.processElement(event("x2", START + 4, "x", "base", true, true, false), START + 4);
      assertThat(ids(h)).containsExactly("x1", "y1", "z1", "x2");
    }
  }

  /**
   * A random stream of a base, its adapters and a variant with no base, out of order within bounds
   * and with late events: the keyed operator makes the same offers, in the same order, behind the
   * filter as on the whole stream, while it sees a fraction of the adapters' events.
   */
  @Test
  void shouldLeaveTheOffersUnchangedWhileThinningTheAdapterTraffic() throws Exception {
    SplittableRandom random = new SplittableRandom(7);
    List<ScoredEvent> stream = new ArrayList<>();
    String[] variants = {"base", "solo", "ad-1", "ad-2", "ad-3", "ad-4"};
    long t = START;
    for (int i = 0; i < 6_000; i++) {
      t += random.nextLong(1, 4 * ONE_SECOND);
      String variant = variants[random.nextInt(i < 300 ? 2 : variants.length)];
      String base = variant.startsWith("ad-") ? "base" : random.nextBoolean() ? null : variant;
      long jitter = random.nextLong(0, 20 * ONE_SECOND);
      stream.add(event("e" + i, t - jitter, variant, base, random.nextInt(4) == 0, random.nextInt(10) > 0,
          random.nextInt(30) == 0));
    }

    var direct = keyed();
    var behind = keyed();
    try (var f = filter(1_000)) {
      f.open();
      long watermark = Long.MIN_VALUE;
      int forwardedAdapterEvents = 0;
      for (int i = 0; i < stream.size(); i++) {
        ScoredEvent e = stream.get(i);
        direct.processElement1(e, e.timestamp());
        int before = f.extractOutputValues().size();
        f.processElement(e, e.timestamp());
        for (ScoredEvent passed : f.extractOutputValues().subList(before, f.extractOutputValues().size())) {
          behind.processElement1(passed, passed.timestamp());
          forwardedAdapterEvents += passed.variantId().startsWith("ad-") ? 1 : 0;
        }
        if (i % 50 == 49) {
          watermark = e.timestamp() - 15 * ONE_SECOND; // some events end up late
          f.processWatermark(new Watermark(watermark));
          direct.processBothWatermarks(new Watermark(watermark));
          behind.processBothWatermarks(new Watermark(watermark));
        }
      }
      direct.processBothWatermarks(new Watermark(watermark + TTL));
      behind.processBothWatermarks(new Watermark(watermark + TTL));

      List<ControlCommand> offers = direct.extractOutputValues();
      assertThat(offers).extracting(ControlCommand::variantId).contains("ad-1", "ad-2", "ad-3", "ad-4");
      assertThat(behind.extractOutputValues()).isEqualTo(offers);
      long adapterEvents = stream.stream().filter(e -> e.variantId().startsWith("ad-")).count();
      assertThat(forwardedAdapterEvents).isLessThan((int) (adapterEvents / 50));
    } finally {
      direct.close();
      behind.close();
    }
  }

  private static KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, ControlCommand> keyed() throws Exception {
    var h = ProcessFunctionTestHarnesses.forKeyedCoProcessFunction(new BaseModelBaselineFunction(40, 100, TTL),
        BaseModelBaselineFunction::lineageKey, ControlCommand::variantId, Types.STRING);
    h.open();
    return h;
  }
}
