package io.llmsafety.monitor.jobs.config;

import java.io.Serializable;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * Flink runtime settings the job sets itself.
 *
 * @param checkpointDir e.g. {@code s3://bucket/checkpoints}; null leaves it to the Flink configuration
 */
public record FlinkSpec(int parallelism, Duration checkpointInterval, StateBackend stateBackend, String checkpointDir)
    implements Serializable {

  public enum StateBackend {
    /** Production: state larger than the heap, incremental checkpoints. */
    ROCKSDB,
    /** Demo and tests: fastest, state must fit in the heap. */
    HASHMAP;

    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public FlinkSpec {
    Objects.requireNonNull(checkpointInterval, "checkpointInterval");
    Objects.requireNonNull(stateBackend, "stateBackend");
  }
}
