package io.llmsafety.monitor.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmsafety.monitor.alerts.Alert;
import io.llmsafety.monitor.detectors.WindowStats;
import io.llmsafety.monitor.event.BaseModelBaseline;
import io.llmsafety.monitor.event.ControlCommand;
import io.llmsafety.monitor.event.DeadLetter;
import io.llmsafety.monitor.event.ScoredEvent;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.api.java.typeutils.runtime.PojoSerializer;
import org.apache.flink.api.java.typeutils.runtime.PojoSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Records that cross operators or sit in state must use Flink's POJO (record) serializer: no Kryo
 * fallback. Kryo state has no schema evolution, so a savepoint holding it breaks on the first field
 * added; the POJO serializer's snapshot keeps field names and reads older shapes.
 */
class FlinkTypesTest {

  @ParameterizedTest
  @ValueSource(classes = {ScoredEvent.class, Alert.class, DeadLetter.class, WindowStats.class, JobRunner.TaggedOutput.class,
      ControlCommand.class, BaseModelBaseline.class})
  void shouldSerializeAsPojo(Class<?> type) {
    assertThat(TypeInformation.of(type)).isInstanceOf(PojoTypeInfo.class);
  }

  @ParameterizedTest
  @ValueSource(classes = {ScoredEvent.class, Alert.class, ControlCommand.class})
  void shouldNotNeedGenericTypesAnywhereInside(Class<?> type) {
    SerializerConfigImpl config = new SerializerConfigImpl();
    config.setGenericTypes(false);
    // Throws UnsupportedOperationException if any nested field would fall back to Kryo.
    assertThat(TypeInformation.of(type).createSerializer(config)).isNotNull();
  }

  @org.junit.jupiter.api.Test
  void shouldRoundTripAScoredEvent() throws Exception {
    ScoredEvent e = new ScoredEvent("id", 1L, "v", null, "t", 0.9, 0.1, 0.8, true, false, true,
        new String[] {"how", "how to"}, null, "text");
    TypeSerializer<ScoredEvent> serializer = TypeInformation.of(ScoredEvent.class).createSerializer(new SerializerConfigImpl());
    DataOutputSerializer out = new DataOutputSerializer(64);
    serializer.serialize(e, out);
    assertThat(serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()))).isEqualTo(e);
  }

  @org.junit.jupiter.api.Test
  void shouldRoundTripAScoredEventWithJudgeCategories() throws Exception {
    ScoredEvent e = new ScoredEvent("id", 1L, "v", null, "t", 0.9, 0.1, 1.0, true, false, true,
        new String[] {"how"}, null, null, 42L, new String[] {"S1", "S10"});
    TypeSerializer<ScoredEvent> serializer = TypeInformation.of(ScoredEvent.class).createSerializer(new SerializerConfigImpl());
    DataOutputSerializer out = new DataOutputSerializer(64);
    serializer.serialize(e, out);
    ScoredEvent back = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
    assertThat(back).isEqualTo(e);
    assertThat(back.judgeCategories()).containsExactly("S1", "S10");
    assertThat(back).isNotEqualTo(new ScoredEvent("id", 1L, "v", null, "t", 0.9, 0.1, 1.0, true, false, true,
        new String[] {"how"}, null, null, 42L));
  }

  @org.junit.jupiter.api.Test
  void shouldRoundTripAnAlertWithJudgeCategories() throws Exception {
    Alert alert = new io.llmsafety.monitor.alerts.AlertFactory(null, false).toAlert("v", "base",
        new io.llmsafety.monitor.detectors.DetectorSignal("harm_rise", "critical", true, 5L, 0.4, 30, 0.02, 200,
            "reference_window", "bernoulli_cusum", 20, 12, 1e6, java.util.List.of("e1"), java.util.List.of(),
            java.util.List.of(), "rise", null,
            java.util.List.of(new io.llmsafety.monitor.detectors.DetectorSignal.JudgeCategoryCount("S1", 12))));
    SerializerConfigImpl config = new SerializerConfigImpl();
    config.setGenericTypes(false);
    TypeSerializer<Alert> serializer = TypeInformation.of(Alert.class).createSerializer(config);
    DataOutputSerializer out = new DataOutputSerializer(256);
    serializer.serialize(alert, out);
    Alert back = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
    assertThat(back).isEqualTo(alert);
    assertThat(back.evidence().judgeCategories()).containsExactly(new Alert.JudgeCategory("S1", 12));
  }

  @org.junit.jupiter.api.Test
  void shouldRoundTripABaseModelOffer() throws Exception {
    ControlCommand offer = ControlCommand.offer("adapter", new BaseModelBaseline("base", "refusal_drop", 5L, 200, 6));
    TypeSerializer<ControlCommand> serializer = TypeInformation.of(ControlCommand.class).createSerializer(new SerializerConfigImpl());
    DataOutputSerializer out = new DataOutputSerializer(64);
    serializer.serialize(offer, out);
    assertThat(serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()))).isEqualTo(offer);
  }

  /** The event-time buffers hold ScoredEvents: their serializer snapshot must be one that evolves. */
  @ParameterizedTest
  @ValueSource(classes = {ScoredEvent.class, BaseModelBaseline.class})
  void shouldKeepStateTypesOnASerializerWithSchemaEvolution(Class<?> type) {
    SerializerConfigImpl config = new SerializerConfigImpl();
    config.setGenericTypes(false);
    TypeSerializer<?> serializer = TypeInformation.of(type).createSerializer(config);
    assertThat(serializer).isInstanceOf(PojoSerializer.class);
    assertThat(serializer.snapshotConfiguration()).isInstanceOf(PojoSerializerSnapshot.class);
  }

  /**
   * Opens the keyed operators with generic types off and drives every state they keep (buffer,
   * monitor, lifecycle, dedup, base-model offers and counters): a state type that would fall back to
   * Kryo throws when it is registered.
   */
  @org.junit.jupiter.api.Test
  void shouldKeepNoGenericTypeInOperatorState() throws Exception {
    try (KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, Alert> h =
        StateFixtures.variantMonitorHarness()) {
      disableGenericTypes(h);
      h.open();
      long t = StateFixtures.START;
      for (int i = 0; i < 30; i++) {
        ScoredEvent e = StateFixtures.risky(StateFixtures.ARMED, "e" + i, t += StateFixtures.SECOND, i < 20);
        h.processElement1(e, e.timestamp());
      }
      h.processElement2(ControlCommand.offer(StateFixtures.ADAPTER, StateFixtures.ADAPTER_OFFER), t);
      h.processBothWatermarks(new Watermark(t + StateFixtures.MINUTE));
      assertThat(h.extractOutputValues()).extracting(Alert::status).containsExactly(Alert.FIRING);
    }
    try (KeyedTwoInputStreamOperatorTestHarness<String, ScoredEvent, ControlCommand, ControlCommand> h =
        StateFixtures.baseModelHarness()) {
      disableGenericTypes(h);
      h.open();
      long t = StateFixtures.START;
      h.processElement1(StateFixtures.risky(StateFixtures.ADAPTER, "a", t, true), t);
      for (int i = 0; i < StateFixtures.REFERENCE_RISKY_EVENTS; i++) {
        ScoredEvent e = StateFixtures.risky(StateFixtures.BASE, "b" + i, t += StateFixtures.SECOND, true);
        h.processElement1(e, e.timestamp());
      }
      h.processBothWatermarks(new Watermark(t + StateFixtures.MINUTE));
      assertThat(h.extractOutputValues()).hasSize(2);
    }
  }

  /** The check above can fail: state of a type Flink cannot analyse is refused, not silently Kryo. */
  @org.junit.jupiter.api.Test
  void shouldRefuseAGenericTypeInStateWhenGenericTypesAreOff() throws Exception {
    try (KeyedOneInputStreamOperatorTestHarness<String, String, String> h = new KeyedOneInputStreamOperatorTestHarness<>(
        new KeyedProcessOperator<>(new GenericStateFunction()), s -> s, Types.STRING)) {
      disableGenericTypes(h);
      assertThatThrownBy(h::open).isInstanceOf(UnsupportedOperationException.class)
          .hasMessageContaining("Generic types have been disabled");
    }
  }

  private static void disableGenericTypes(AbstractStreamOperatorTestHarness<?> h) {
    ((SerializerConfigImpl) h.getExecutionConfig().getSerializerConfig()).setGenericTypes(false);
  }

  /** Keeps an {@link Object} in state: only Kryo could serialize it. */
  private static final class GenericStateFunction extends KeyedProcessFunction<String, String, String> {
    @Override
    public void open(OpenContext openContext) {
      getRuntimeContext().getState(new ValueStateDescriptor<>("anything", TypeInformation.of(Object.class)));
    }

    @Override
    public void processElement(String value, Context ctx, Collector<String> out) {}
  }
}
