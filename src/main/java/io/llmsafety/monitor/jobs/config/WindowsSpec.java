package io.llmsafety.monitor.jobs.config;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/** @param size tumbling event-time window for per-variant window metrics */
public record WindowsSpec(Duration size) implements Serializable {

  public WindowsSpec {
    Objects.requireNonNull(size, "size");
  }
}
