package io.llmsafety.monitor.jobs.config;

import java.io.Serializable;
import java.util.List;

/**
 * Prometheus exposition (DESIGN.md section 5).
 *
 * @param port {@code -1} disables the endpoint, {@code 0} picks a free port
 * @param maxVariantLabels top-N variants by traffic get their own {@code model_variant} label; the
 *     rest are {@code _other}, which bounds series cardinality
 * @param variantAllowlist variants that always get their own label, on top of the top-N
 */
public record MetricsSpec(int port, int maxVariantLabels, List<String> variantAllowlist) implements Serializable {

  public static final int DISABLED = -1;

  public MetricsSpec {
    variantAllowlist = variantAllowlist == null ? List.of() : List.copyOf(variantAllowlist);
  }

  public boolean enabled() {
    return port != DISABLED;
  }
}
