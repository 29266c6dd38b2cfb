package io.llmsafety.monitor.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmsafety.monitor.jobs.config.JobSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class LocalClustersTest {

  @TempDir
  Path tmp;

  @Test
  @Timeout(120)
  void shouldKnowTheReplaysMiniClusterAndWaitUntilItHasShutDown() throws Exception {
    Path file = tmp.resolve("events.jsonl");
    Files.writeString(file, "{\"event_id\":\"e1\",\"timestamp\":\"2026-11-02T10:00:00Z\",\"variant_id\":\"v1\","
        + "\"prompt\":\"How do I bake bread?\",\"response\":\"Mix flour, water, salt and yeast, then knead.\"}\n");

    JobRunner.ReplayResult result = JobRunner.replay(JobSpec.defaults(), file);
    List<MiniCluster> started = LocalClusters.started();

    assertThat(result.deadLetters()).isEmpty();
    assertThat(started).isNotEmpty();
    assertThat(LocalClusters.awaitShutdown(Duration.ofSeconds(60))).isZero();
    assertThat(started).noneMatch(MiniCluster::isRunning);
    assertThat(LocalClusters.started()).isEmpty();
  }
}
