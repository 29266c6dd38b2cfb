package io.llmsafety.monitor.metrics;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Metrics setup for the JVMs that run the operators. On a cluster, `run` executes in the JobManager
 * (or the `flink run` client) while the operators run in TaskManagers, so the label bounds and the
 * /metrics port travel as Flink global job parameters, and the first operator opened in each
 * TaskManager JVM applies them and starts that JVM's endpoint (DESIGN.md section 5: each TaskManager
 * serves its own). Without the parameters (tests, replay) nothing happens here.
 */
public final class WorkerMetrics {

  public static final String PORT = "safety-monitor.metrics.port";
  public static final String MAX_VARIANT_LABELS = "safety-monitor.metrics.max-variant-labels";
  public static final String VARIANT_ALLOWLIST = "safety-monitor.metrics.variant-allowlist";
  /** Variant ids are free text; a newline cannot occur in a YAML list item we accept. */
  private static final String SEPARATOR = "\n";

  private static boolean configured;

  private WorkerMetrics() {}

  public static Map<String, String> parameters(int port, int maxVariantLabels, List<String> allowlist) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put(PORT, Integer.toString(port));
    p.put(MAX_VARIANT_LABELS, Integer.toString(maxVariantLabels));
    p.put(VARIANT_ALLOWLIST, String.join(SEPARATOR, allowlist));
    return p;
  }

  /**
   * Applies the parameters once per JVM (later calls are no-ops, so the label ranking is not reset
   * by every operator's open()) and starts /metrics unless the port is -1.
   *
   * @return true when the parameters were present
   */
  public static synchronized boolean ensureConfigured(Map<String, String> jobParameters) {
    if (jobParameters == null || !jobParameters.containsKey(PORT)) {
      return false;
    }
    if (!configured) {
      configured = true;
      String allow = jobParameters.getOrDefault(VARIANT_ALLOWLIST, "");
      SafetyMetrics.get().configureLabels(Integer.parseInt(jobParameters.getOrDefault(MAX_VARIANT_LABELS, "100")),
          allow.isEmpty() ? new HashSet<>() : new HashSet<>(List.of(allow.split(SEPARATOR))));
      MetricsServer.ensureStarted(Integer.parseInt(jobParameters.get(PORT)));
    }
    return true;
  }
}
