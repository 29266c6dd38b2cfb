package io.llmsafety.monitor.jobs.config;

/** Alert severity as configured; {@link #code()} is the contract value in alerts and rules. */
public enum Severity {
  /** Pages on-call. */
  CRITICAL,
  /** Opens a ticket. */
  WARNING,
  INFO;

  public String code() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
