package io.llmsafety.monitor.jobs.config;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * Optional push of every alert to Alertmanager's v2 API, beside the Kafka alerts topic.
 *
 * @param url base URL of Alertmanager (e.g. {@code http://alertmanager:9093}); null disables the push
 * @param timeout per HTTP request
 * @param maxAttempts tries per alert (first try included) before it is counted as failed and dropped
 * @param firingTtl {@code endsAt} of a firing alert is this long after the push: Alertmanager resolves
 *     alerts whose end passes, and the job sends a firing alert once per episode (not every
 *     evaluation like Prometheus), so this bounds how long an alert outlives a job that forgot it
 */
public record AlertmanagerSpec(String url, Duration timeout, int maxAttempts, Duration firingTtl) implements Serializable {

  public AlertmanagerSpec {
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(firingTtl, "firingTtl");
  }

  public boolean enabled() {
    return url != null;
  }
}
