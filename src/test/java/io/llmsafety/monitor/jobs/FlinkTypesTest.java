package io.llmsafety.monitor.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmsafety.monitor.alerts.Alert;
import io.llmsafety.monitor.detectors.WindowStats;
import io.llmsafety.monitor.event.BaseModelBaseline;
import io.llmsafety.monitor.event.ControlCommand;
import io.llmsafety.monitor.event.DeadLetter;
import io.llmsafety.monitor.event.ScoredEvent;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Records that cross operators must use Flink's POJO serializer: no Kryo fallback. */
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
}
