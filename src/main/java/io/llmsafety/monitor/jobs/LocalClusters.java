package io.llmsafety.monitor.jobs;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.client.deployment.executors.LocalExecutor;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.core.execution.PipelineExecutor;
import org.apache.flink.core.execution.PipelineExecutorFactory;
import org.apache.flink.core.execution.PipelineExecutorServiceLoader;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The in-process MiniClusters this JVM starts for local runs, so that a command can wait for them
 * to shut down before the JVM exits. Flink closes a job's MiniCluster asynchronously once the job
 * ends; exiting while it is still closing races Pekko's JVM shutdown hook against the closing of
 * the RPC system's class loader, which now and then printed a {@code NoClassDefFoundError} stack
 * trace after a successful run.
 */
public final class LocalClusters implements PipelineExecutorServiceLoader, PipelineExecutorFactory {

  private static final Set<MiniCluster> STARTED = ConcurrentHashMap.newKeySet();

  private LocalClusters() {}

  /** A local environment whose MiniClusters {@link #awaitShutdown} knows about. */
  static StreamExecutionEnvironment environment(Configuration conf) {
    Configuration local = new Configuration(conf);
    local.set(DeploymentOptions.TARGET, LocalExecutor.NAME);
    local.set(DeploymentOptions.ATTACHED, true);
    return new StreamExecutionEnvironment(new LocalClusters(), local, LocalClusters.class.getClassLoader());
  }

  /**
   * Closes every MiniCluster started so far (a finished job's is already closing; closing is
   * idempotent) and waits up to {@code timeout} in all for them to terminate.
   *
   * @return how many were still not terminated when the time ran out
   */
  public static int awaitShutdown(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    int unfinished = 0;
    for (MiniCluster cluster : new ArrayList<>(STARTED)) {
      try {
        cluster.closeAsync().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        STARTED.remove(cluster);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return STARTED.size();
      } catch (Exception e) {
        unfinished++;
      }
    }
    return unfinished;
  }

  /** MiniClusters started and not yet seen terminated by {@link #awaitShutdown}. */
  static List<MiniCluster> started() {
    return List.copyOf(STARTED);
  }

  @Override
  public PipelineExecutorFactory getExecutorFactory(Configuration configuration) {
    return this;
  }

  @Override
  public Stream<String> getExecutorNames() {
    return Stream.of(LocalExecutor.NAME);
  }

  @Override
  public String getName() {
    return LocalExecutor.NAME;
  }

  @Override
  public boolean isCompatibleWith(Configuration configuration) {
    return LocalExecutor.NAME.equalsIgnoreCase(configuration.get(DeploymentOptions.TARGET));
  }

  @Override
  public PipelineExecutor getExecutor(Configuration configuration) {
    return LocalExecutor.createWithFactory(configuration, clusterConfig -> {
      MiniCluster cluster = new MiniCluster(clusterConfig);
      STARTED.add(cluster);
      return cluster;
    });
  }
}
