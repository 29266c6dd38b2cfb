package io.llmsafety.monitor.cli;

import io.llmsafety.monitor.jobs.config.JobSpec;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --job} option shared by commands: a YAML spec, or the packaged production defaults. */
final class JobSpecOption {

  @Option(names = "--job", paramLabel = "FILE", description = "Job spec (YAML). Default: the packaged production defaults (jobs/default.yaml).")
  Path job;

  JobSpec load() {
    return job == null ? JobSpec.defaults() : JobSpec.load(job);
  }
}
