package io.llmsafety.monitor.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmsafety.monitor.jobs.config.JobSpec;
import java.util.List;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;

/**
 * A savepoint maps state to operators by uid. An operator without one gets a hash of the graph's
 * shape, which changes when any operator is added before it: its state would then be left behind
 * (or the restore refused) after an upgrade. Every operator of the production graph, with every
 * optional part switched on, must carry a uid, and the stateful ones must keep theirs.
 */
class OperatorUidTest {

  private static final String FULL_GRAPH = """
      name: uid-check
      kafka: {bootstrap_servers: "127.0.0.1:9", group_id: uid-check, transactional_id_prefix: uid-check}
      scoring:
        judge: {enabled: true, url: "http://127.0.0.1:9"}
      detectors:
        baseline: {source: base_model}
      alertmanager: {url: "http://127.0.0.1:9"}
      """;

  private static StreamGraph productionGraph() {
    JobSpec spec = JobSpec.parse(FULL_GRAPH, "uid-check");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    JobRunner.defineKafkaJob(env, spec);
    return env.getStreamGraph();
  }

  @Test
  void shouldGiveEveryOperatorOfTheProductionGraphAUid() {
    List<StreamNode> nodes = List.copyOf(productionGraph().getStreamNodes());
    assertThat(nodes).hasSizeGreaterThan(10);
    assertThat(nodes).filteredOn(n -> n.getTransformationUID() == null).extracting(StreamNode::getOperatorName)
        .as("operators without a uid").isEmpty();
  }

  @Test
  void shouldKeepTheUidsOfStatefulOperators() {
    // Renaming one of these orphans its state in every existing savepoint.
    assertThat(productionGraph().getStreamNodes()).extracting(StreamNode::getTransformationUID)
        .contains("kafka-interactions", "kafka-control", "remote-judge", "base-model-baselines", "variant-monitor");
  }
}
