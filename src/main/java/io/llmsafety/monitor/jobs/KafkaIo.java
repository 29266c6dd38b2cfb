package io.llmsafety.monitor.jobs;

import io.llmsafety.monitor.alerts.Alert;
import io.llmsafety.monitor.alerts.AlertJson;
import io.llmsafety.monitor.alerts.OutputJson;
import io.llmsafety.monitor.detectors.WindowStats;
import io.llmsafety.monitor.event.DeadLetter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.regex.Pattern;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Kafka source and sinks of the production job. Outputs are written with EXACTLY_ONCE
 * transactions (consumers read with {@code isolation.level=read_committed}), keyed by variant so
 * one variant's records stay in order, and without a record timestamp so the broker stamps append
 * time: replayed history with old event times is then not deleted by retention at once.
 */
public final class KafkaIo {

  private KafkaIo() {}

  /** Where the job reads and writes; {@code clientProperties} go to every client (SASL/SSL). */
  public record Endpoints(
      String bootstrapServers,
      String groupId,
      String startingOffsets,
      String transactionalIdPrefix,
      String inputTopic,
      String alertsTopic,
      String deadLetterTopic,
      String windowMetricsTopic,
      String controlTopic,
      Properties clientProperties) {}

  public static KafkaSource<String> source(Endpoints e) {
    return source(e, e.inputTopic());
  }

  /**
   * The control topic's commands. Subscribed by pattern, so a job whose control topic does not
   * exist yet still runs, and picks the topic up within a minute of its creation.
   */
  public static KafkaSource<String> controlSource(Endpoints e) {
    return builder(e).setTopicPattern(Pattern.compile(Pattern.quote(e.controlTopic()))).build();
  }

  private static KafkaSource<String> source(Endpoints e, String topic) {
    return builder(e).setTopics(topic).build();
  }

  private static KafkaSourceBuilder<String> builder(Endpoints e) {
    OffsetsInitializer offsets = switch (e.startingOffsets()) {
      case "earliest" -> OffsetsInitializer.earliest();
      case "latest" -> OffsetsInitializer.latest();
      default -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
    };
    return KafkaSource.<String>builder()
        .setBootstrapServers(e.bootstrapServers())
        .setGroupId(e.groupId())
        .setStartingOffsets(offsets)
        .setProperties(e.clientProperties())
        .setProperty("partition.discovery.interval.ms", "60000")
        .setDeserializer(new RawRecordDeserializer());
  }

  public static KafkaSink<Alert> alertSink(Endpoints e) {
    return sink(e, e.transactionalIdPrefix() + "-alerts", new AlertSerializer(e.alertsTopic()));
  }

  public static KafkaSink<DeadLetter> deadLetterSink(Endpoints e) {
    return sink(e, e.transactionalIdPrefix() + "-dead-letters", new DeadLetterSerializer(e.deadLetterTopic()));
  }

  public static KafkaSink<WindowStats> windowSink(Endpoints e) {
    return sink(e, e.transactionalIdPrefix() + "-windows", new WindowSerializer(e.windowMetricsTopic()));
  }

  private static <T> KafkaSink<T> sink(Endpoints e, String transactionalIdPrefix, KafkaRecordSerializationSchema<T> serializer) {
    return KafkaSink.<T>builder()
        .setBootstrapServers(e.bootstrapServers())
        .setKafkaProducerConfig(e.clientProperties())
        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
        .setTransactionalIdPrefix(transactionalIdPrefix)
        // Must exceed the checkpoint interval plus recovery time, and not exceed the broker's max (15 min default).
        .setProperty("transaction.timeout.ms", "900000")
        .setRecordSerializer(serializer)
        .build();
  }

  /** Values as UTF-8 strings; a null value (tombstone) becomes "" so the parser dead-letters it. */
  static final class RawRecordDeserializer implements KafkaRecordDeserializationSchema<String> {
    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<String> out) throws IOException {
      byte[] value = record.value();
      out.collect(value == null ? "" : new String(value, StandardCharsets.UTF_8));
    }

    @Override
    public TypeInformation<String> getProducedType() {
      return Types.STRING;
    }
  }

  static final class AlertSerializer implements KafkaRecordSerializationSchema<Alert> {
    private static final long serialVersionUID = 1L;
    private final String topic;

    AlertSerializer(String topic) {
      this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Alert alert, KafkaSinkContext context, Long timestamp) {
      return new ProducerRecord<>(topic, null, null, utf8(alert.variantId()), utf8(AlertJson.toJson(alert)));
    }
  }

  static final class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter> {
    private static final long serialVersionUID = 1L;
    private final String topic;

    DeadLetterSerializer(String topic) {
      this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DeadLetter d, KafkaSinkContext context, Long timestamp) {
      return new ProducerRecord<>(topic, null, null, utf8(d.variantId()), utf8(OutputJson.deadLetterJson(d)));
    }
  }

  static final class WindowSerializer implements KafkaRecordSerializationSchema<WindowStats> {
    private static final long serialVersionUID = 1L;
    private final String topic;

    WindowSerializer(String topic) {
      this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(WindowStats w, KafkaSinkContext context, Long timestamp) {
      return new ProducerRecord<>(topic, null, null, utf8(w.variantId()), utf8(OutputJson.windowJson(w)));
    }
  }

  private static byte[] utf8(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }
}
