package io.llmsafety.monitor.jobs;

/**
 * The job spec the Kafka integration tests share: fast checkpoints (exactly-once output is visible
 * per checkpoint), heap state, one-minute windows and small baselines, so alerts come within seconds
 * of simulated traffic.
 */
public final class ItJobSpec {

  private ItJobSpec() {}

  /** @param metricsPort 0 for any free port */
  public static String yaml(String name, String bootstrapServers, String transactionalIdPrefix, int metricsPort) {
    return """
        name: %s
        kafka:
          bootstrap_servers: %s
          group_id: %s
          starting_offsets: earliest
          transactional_id_prefix: %s
        flink:
          parallelism: 2
          checkpoint_interval: 1s
          state_backend: hashmap
        event_time:
          max_out_of_orderness: 10s
          idleness: 2s
          dedup_horizon: 10m
          variant_ttl: 1d
        windows:
          size: 1m
        detectors:
          fleet: {variants: 2, false_alerts_per_week: 1, risky_events_per_variant_per_hour: 1800, events_per_variant_per_hour: 12000}
          baseline: {reference_risky_events: 50, reference_events: 200}
        metrics:
          port: %d
        """.formatted(name, bootstrapServers, name, transactionalIdPrefix, metricsPort);
  }
}
