package io.llmsafety.monitor.jobs.config;

import java.io.Serializable;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Kafka connection and topics.
 *
 * @param transactionalIdPrefix prefix of the exactly-once sinks' transactional ids; must be unique
 *     per job on the cluster, or two jobs fence each other
 * @param properties extra client properties for every Kafka client (security.protocol, sasl.*,
 *     ssl.*), with {@code ${ENV}} placeholders already resolved. Values may be secrets: {@link
 *     #toString()} shows the keys only.
 */
public record KafkaSpec(
    String bootstrapServers,
    String groupId,
    StartingOffsets startingOffsets,
    String transactionalIdPrefix,
    TopicsSpec topics,
    Map<String, String> properties)
    implements Serializable {

  /** Where a consumer group without committed offsets starts. */
  public enum StartingOffsets {
    /** Resume from the group's committed offsets; earliest when there are none. */
    COMMITTED,
    EARLIEST,
    LATEST;

    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public KafkaSpec {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(groupId, "groupId");
    Objects.requireNonNull(startingOffsets, "startingOffsets");
    Objects.requireNonNull(transactionalIdPrefix, "transactionalIdPrefix");
    Objects.requireNonNull(topics, "topics");
    properties = properties == null ? Map.of() : Map.copyOf(properties);
  }

  /** For the demo and tests, whose broker address is known only at runtime. */
  public KafkaSpec withBootstrapServers(String servers) {
    return new KafkaSpec(servers, groupId, startingOffsets, transactionalIdPrefix, topics, properties);
  }

  @Override
  public String toString() {
    return "KafkaSpec[bootstrapServers=" + bootstrapServers + ", groupId=" + groupId + ", startingOffsets=" + startingOffsets
        + ", transactionalIdPrefix=" + transactionalIdPrefix + ", topics=" + topics
        + ", properties=" + new java.util.TreeSet<>(properties.keySet()) + " (values redacted)]";
  }
}
