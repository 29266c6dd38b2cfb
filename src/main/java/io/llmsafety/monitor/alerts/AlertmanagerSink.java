package io.llmsafety.monitor.alerts;

import io.llmsafety.monitor.jobs.config.AlertmanagerSpec;
import io.llmsafety.monitor.metrics.SafetyMetrics;
import java.util.Objects;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * Flink sink (Sink V2) that pushes every alert to Alertmanager through {@link AlertmanagerClient}.
 * At-least-once at best and deliberately so: Alertmanager deduplicates on labels, and the
 * transactional Kafka alerts topic remains the complete record. Failures are counted in
 * {@code llm_safety_alertmanager_pushes_total{outcome}} and never fail the job.
 */
public final class AlertmanagerSink implements Sink<Alert> {

  private static final long serialVersionUID = 1L;
  private final AlertmanagerSpec spec;

  public AlertmanagerSink(AlertmanagerSpec spec) {
    this.spec = Objects.requireNonNull(spec, "spec");
    if (!spec.enabled()) {
      throw new IllegalArgumentException("alertmanager.url is not set");
    }
  }

  @Override
  public SinkWriter<Alert> createWriter(WriterInitContext context) {
    SafetyMetrics metrics = SafetyMetrics.get();
    return new Writer(AlertmanagerClient.create(spec.url(), spec.timeout(), spec.maxAttempts(), spec.firingTtl(),
        metrics::alertmanagerPush));
  }

  static final class Writer implements SinkWriter<Alert> {
    private final AlertmanagerClient client;

    Writer(AlertmanagerClient client) {
      this.client = client;
    }

    @Override
    public void write(Alert alert, Context context) throws InterruptedException {
      client.push(alert);
      if (Thread.currentThread().isInterrupted()) {
        // Cancellation: let Flink see it instead of swallowing it.
        throw new InterruptedException("alertmanager push interrupted");
      }
    }

    @Override
    public void flush(boolean endOfInput) {
      // Every write is synchronous: nothing buffered.
    }

    @Override
    public void close() {
      // java.net.http.HttpClient of Java 17 has nothing to close.
    }
  }
}
