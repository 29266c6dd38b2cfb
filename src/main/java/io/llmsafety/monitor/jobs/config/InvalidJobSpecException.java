package io.llmsafety.monitor.jobs.config;

/**
 * A job spec that cannot be used. The message names the source and the field path, e.g. {@code
 * jobs/x.yaml: detectors.risky_compliance.min_shift must be in (0, 1), got 1.5}, so an operator can
 * fix the file without reading code.
 */
public final class InvalidJobSpecException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String source;
  private final String fieldPath;

  InvalidJobSpecException(String source, String fieldPath, String problem) {
    this(source, fieldPath, problem, null);
  }

  InvalidJobSpecException(String source, String fieldPath, String problem, Throwable cause) {
    super(source + ": " + (fieldPath == null || fieldPath.isEmpty() ? "" : fieldPath + " ") + problem, cause);
    this.source = source;
    this.fieldPath = fieldPath;
  }

  /** Where the spec came from: a file path or {@code classpath:jobs/default.yaml}. */
  public String source() {
    return source;
  }

  /** Dotted path of the offending field, or null when the problem is the whole document. */
  public String fieldPath() {
    return fieldPath;
  }
}
