package io.llmsafety.monitor.metrics;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps the {@code model_variant} label bounded: allow-listed variants always get their own label,
 * then the first {@code maxLabels} other variants seen; the rest share {@link #OTHER}. First-come
 * rather than top-N by traffic, because a label that moves between series breaks rate() in PromQL.
 */
public final class VariantLabeler {

  public static final String OTHER = "_other";

  private final int maxLabels;
  private final Set<String> allowlist;
  private final Set<String> assigned = ConcurrentHashMap.newKeySet();

  public VariantLabeler(int maxLabels, Set<String> allowlist) {
    if (maxLabels < 0) {
      throw new IllegalArgumentException("maxLabels must be >= 0, got " + maxLabels);
    }
    this.maxLabels = maxLabels;
    this.allowlist = Set.copyOf(allowlist);
  }

  public String label(String variantId) {
    if (variantId == null) {
      return OTHER;
    }
    if (allowlist.contains(variantId) || assigned.contains(variantId)) {
      return variantId;
    }
    synchronized (assigned) {
      if (assigned.size() < maxLabels) {
        assigned.add(variantId);
        return variantId;
      }
    }
    return OTHER;
  }
}
