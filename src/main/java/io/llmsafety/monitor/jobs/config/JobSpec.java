package io.llmsafety.monitor.jobs.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Function;

/**
 * A job spec: everything an operator tunes without recompiling (DESIGN.md section 7), parsed once at
 * the edge into immutable, validated, serializable records that Flink functions can capture.
 *
 * <p>YAML keys are snake_case. Every section and key is optional and defaults to the production
 * values in the packaged {@code jobs/default.yaml}; unknown keys fail, so a typo cannot silently fall
 * back to a default. {@code ${ENV_VAR}} placeholders in {@code kafka.properties} values are resolved
 * from the environment at load, so secrets stay out of files (they do end up in memory, in the
 * serialized job graph, and must never be logged; {@link KafkaSpec#toString()} redacts them).
 */
public record JobSpec(
    String name,
    KafkaSpec kafka,
    FlinkSpec flink,
    EventTimeSpec eventTime,
    WindowsSpec windows,
    ScoringSpec scoring,
    DetectorsSpec detectors,
    AlertsSpec alerts,
    MetricsSpec metrics,
    AlertmanagerSpec alertmanager,
    InputSpec input)
    implements Serializable {

  public static final String DEFAULT_RESOURCE = "/jobs/default.yaml";

  public JobSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kafka, "kafka");
    Objects.requireNonNull(flink, "flink");
    Objects.requireNonNull(eventTime, "eventTime");
    Objects.requireNonNull(windows, "windows");
    Objects.requireNonNull(scoring, "scoring");
    Objects.requireNonNull(detectors, "detectors");
    Objects.requireNonNull(alerts, "alerts");
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(alertmanager, "alertmanager");
    Objects.requireNonNull(input, "input");
  }

  /** Reads a spec file, resolving placeholders from the process environment. */
  public static JobSpec load(Path file) {
    return load(file, System::getenv);
  }

  /** @param env variable lookup for {@code ${NAME}} placeholders; returns null when unset */
  public static JobSpec load(Path file, Function<String, String> env) {
    String yaml;
    try {
      yaml = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new InvalidJobSpecException(file.toString(), null, "cannot be read: " + e, e);
    }
    return parse(yaml, file.toString(), env);
  }

  /** @param sourceName names the spec in error messages, e.g. its path */
  public static JobSpec parse(String yaml, String sourceName) {
    return parse(yaml, sourceName, System::getenv);
  }

  public static JobSpec parse(String yaml, String sourceName, Function<String, String> env) {
    return new JobSpecParser(sourceName, env).parse(yaml);
  }

  /** The packaged production defaults ({@code jobs/default.yaml} in the jar). */
  public static JobSpec defaults() {
    String source = "classpath:" + DEFAULT_RESOURCE.substring(1);
    try (InputStream in = JobSpec.class.getResourceAsStream(DEFAULT_RESOURCE)) {
      if (in == null) {
        throw new InvalidJobSpecException(source, null, "is missing from the classpath");
      }
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), source);
    } catch (IOException e) {
      throw new InvalidJobSpecException(source, null, "cannot be read: " + e, e);
    }
  }

  public JobSpec withKafka(KafkaSpec kafka) {
    return new JobSpec(name, kafka, flink, eventTime, windows, scoring, detectors, alerts, metrics, alertmanager, input);
  }
}
