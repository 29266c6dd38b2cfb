package io.llmsafety.monitor.cli;

import io.llmsafety.monitor.jobs.JobRunner;
import io.llmsafety.monitor.jobs.config.JobSpec;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The production job: Kafka in, Kafka out. Local MiniCluster, or a cluster under {@code flink run}. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run the production job against the Kafka cluster named in the job spec.")
final class RunCommand implements Callable<Integer> {

  @Mixin
  JobSpecOption jobOption;

  @Option(names = "--bootstrap-servers", description = "Override kafka.bootstrap_servers of the job spec.")
  String bootstrapServers;

  @Option(names = "--verbose", description = "Show Flink and Kafka logs.")
  boolean verbose;

  @Override
  public Integer call() throws Exception {
    Main.verbose(verbose);
    JobSpec spec = jobOption.load();
    if (bootstrapServers != null) {
      spec = spec.withKafka(spec.kafka().withBootstrapServers(bootstrapServers));
    }
    System.err.printf("Running %s: %s -> %s, %s, %s on %s%n", spec.name(), spec.kafka().topics().input(),
        spec.kafka().topics().alerts(), spec.kafka().topics().windowMetrics(), spec.kafka().topics().deadLetter(),
        spec.kafka().bootstrapServers());
    JobRunner.runKafkaJob(spec);
    return 0;
  }
}
