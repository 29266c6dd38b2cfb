package io.llmsafety.monitor.jobs;

import io.llmsafety.monitor.alerts.AlertFactory;
import io.llmsafety.monitor.detectors.VariantMonitor;
import java.io.Serializable;

/** What the job graph needs from a job spec, resolved once into serializable values. */
public record PipelineSettings(
    ScoringSettings scoring,
    VariantMonitor.Settings monitor,
    AlertFactory alerts,
    long maxOutOfOrdernessMillis,
    long idlenessMillis,
    long dedupHorizonMillis,
    long variantTtlMillis) implements Serializable {}
