package io.llmsafety.monitor.sim;

import java.io.OutputStream;
import java.io.PrintStream;
import io.llmsafety.monitor.jobs.config.TopicsSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A single-node KRaft Kafka broker inside this JVM, from Apache Kafka's own test kit, for the demo
 * and the tests. The test kit is used at runtime (not only in tests) because it does the KRaft
 * storage formatting and listener set-up that a hand-rolled {@code KafkaRaftServer} would repeat.
 */
public final class EmbeddedKafka implements AutoCloseable {

  private final KafkaClusterTestKit cluster;

  private EmbeddedKafka(KafkaClusterTestKit cluster) {
    this.cluster = cluster;
  }

  public static EmbeddedKafka start() throws Exception {
    // The test kit's storage formatter prints to stdout; keep the demo's console clean.
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(OutputStream.nullOutputStream()));
    try {
      return startQuietly();
    } finally {
      System.setOut(stdout);
    }
  }

  private static EmbeddedKafka startQuietly() throws Exception {
    KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
            .setCombined(true)
            .setNumBrokerNodes(1)
            .setNumControllerNodes(1)
            .build())
        .setConfigProp("offsets.topic.replication.factor", "1")
        .setConfigProp("offsets.topic.num.partitions", "4")
        .setConfigProp("transaction.state.log.replication.factor", "1")
        .setConfigProp("transaction.state.log.min.isr", "1")
        .setConfigProp("transaction.state.log.num.partitions", "4")
        .setConfigProp("group.initial.rebalance.delay.ms", "0")
        .setConfigProp("auto.create.topics.enable", "false")
        .build();
    try {
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
    return new EmbeddedKafka(cluster);
  }

  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  /** Creates the job's five topics: the input with {@code inputPartitions}, the others with one. */
  public void createJobTopics(TopicsSpec topics, int inputPartitions) throws Exception {
    Map<String, Integer> partitions = new LinkedHashMap<>();
    partitions.put(topics.input(), inputPartitions);
    partitions.put(topics.alerts(), 1);
    partitions.put(topics.deadLetter(), 1);
    partitions.put(topics.windowMetrics(), 1);
    partitions.put(topics.control(), 1);
    createTopics(partitions);
  }

  /** Creates topics (name → partitions) with replication factor 1. */
  public void createTopics(Map<String, Integer> partitionsByTopic) throws Exception {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    try (Admin admin = Admin.create(props)) {
      List<NewTopic> topics = new ArrayList<>();
      partitionsByTopic.forEach((name, partitions) -> topics.add(new NewTopic(name, partitions, (short) 1)));
      admin.createTopics(topics).all().get();
    }
  }

  @Override
  public void close() throws Exception {
    cluster.close();
  }
}
