package io.llmsafety.monitor.jobs.config;

import java.io.Serializable;
import java.util.Objects;

/** Topic names (DESIGN.md sections 2-4). All distinct: reading our own output would loop. */
public record TopicsSpec(String input, String alerts, String deadLetter, String windowMetrics, String control)
    implements Serializable {

  public TopicsSpec {
    Objects.requireNonNull(input, "input");
    Objects.requireNonNull(alerts, "alerts");
    Objects.requireNonNull(deadLetter, "deadLetter");
    Objects.requireNonNull(windowMetrics, "windowMetrics");
    Objects.requireNonNull(control, "control");
  }
}
