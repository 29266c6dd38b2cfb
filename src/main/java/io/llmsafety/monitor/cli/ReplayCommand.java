package io.llmsafety.monitor.cli;

import io.llmsafety.monitor.jobs.JobRunner;
import io.llmsafety.monitor.jobs.ReplayInput;
import io.llmsafety.monitor.jobs.config.JobSpec;
import io.llmsafety.monitor.metrics.SafetyMetrics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The job graph on a bounded JSONL file, in event time; deterministic output files. */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = "Replay a JSONL file (.jsonl or .jsonl.gz) of input events through the job graph and write its outputs.")
final class ReplayCommand implements Callable<Integer> {

  @Option(names = "--input", required = true, paramLabel = "FILE", description = "Input events, one JSON object per line (.gz allowed).")
  Path input;

  @Mixin
  JobSpecOption jobOption;

  @Option(names = "--alerts-out", required = true, paramLabel = "FILE", description = "Alerts as JSONL (the alert contract).")
  Path alertsOut;

  @Option(names = "--dead-letters-out", paramLabel = "FILE", description = "Rejected records as JSONL, with reasons.")
  Path deadLettersOut;

  @Option(names = "--windows-out", paramLabel = "FILE", description = "Per-variant window metrics as JSONL.")
  Path windowsOut;

  @Option(names = "--metrics-out", paramLabel = "FILE", description = "Final Prometheus metrics (text format).")
  Path metricsOut;

  @Option(names = "--keep-order", description = "Replay the lines in file order, as a Kafka topic would deliver them:"
      + " events more than event_time.max_out_of_orderness behind the newest are dead-lettered as late. By default a"
      + " file that is not in event-time order is replayed sorted by timestamp.")
  boolean keepOrder;

  @Option(names = "--state-backend", defaultValue = "hashmap", paramLabel = "hashmap|rocksdb",
      description = "Where the replay keeps per-variant state. hashmap (default) is fastest; rocksdb keeps it off the"
          + " heap, for many thousands of variants (about 0.5 MB each). Alerts are the same.")
  String stateBackend;

  @Option(names = "--verbose", description = "Show Flink logs.")
  boolean verbose;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Main.verbose(verbose);
    if (!Files.isReadable(input)) {
      spec.commandLine().getErr().println("replay: cannot read --input " + input);
      return 2;
    }
    if (!stateBackend.equals("hashmap") && !stateBackend.equals("rocksdb")) {
      spec.commandLine().getErr().println("replay: --state-backend must be hashmap or rocksdb, was " + stateBackend);
      return 2;
    }
    JobSpec job = jobOption.load();
    long start = System.nanoTime();
    ReplayInput.Prepared prepared;
    try {
      prepared = keepOrder ? ReplayInput.check(input)
          : ReplayInput.prepare(input, job.eventTime().maxOutOfOrderness().toMillis(),
              Path.of(System.getProperty("java.io.tmpdir")), job.input().fields().get("timestamp"));
    } catch (java.io.IOException e) {
      spec.commandLine().getErr().println("replay: cannot read --input " + input + ": " + e.getMessage());
      return 2;
    }
    if (prepared.sorted()) {
      System.err.printf(Locale.ROOT, "replay: %s is not in event-time order (%,d of %,d lines are more than"
          + " event_time.max_out_of_orderness behind an earlier one); replaying it sorted by timestamp"
          + " (--keep-order replays it as it is)%n", input, prepared.late(), prepared.lines());
    }
    double duplicatesBefore = duplicatesDropped();
    JobRunner.ReplayResult result;
    try {
      result = JobRunner.replay(job, prepared.file(), stateBackend);
    } finally {
      if (prepared.sorted()) {
        Files.deleteIfExists(prepared.file());
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    write(alertsOut, result.alerts());
    if (deadLettersOut != null) {
      write(deadLettersOut, result.deadLetters());
    }
    if (windowsOut != null) {
      write(windowsOut, result.windows());
    }
    if (metricsOut != null) {
      Files.writeString(metricsOut, SafetyMetrics.get().scrape(), StandardCharsets.UTF_8);
    }
    long events = result.windows().stream().mapToLong(ReplayCommand::eventsOf).sum();
    // Counted, not dead-lettered (a producer's retry is not bad input), so said here.
    double duplicates = duplicatesDropped() - duplicatesBefore;
    System.err.printf(Locale.ROOT, "replay: %,d events scored, %,d alerts, %,d dead letters, %s%,d windows in %.1f s (%,.0f events/s)%n",
        events, result.alerts().size(), result.deadLetters().size(),
        duplicates > 0 ? String.format(Locale.ROOT, "%,.0f duplicate event_ids dropped, ", duplicates) : "",
        result.windows().size(), seconds, events / Math.max(seconds, 1e-9));
    return 0;
  }

  /** The process's duplicate counter (one registry per JVM, so a second replay in it starts above 0). */
  private static double duplicatesDropped() {
    return SafetyMetrics.get().registry().find("llm.safety.duplicate.events").counters().stream()
        .mapToDouble(c -> c.count()).sum();
  }

  private static long eventsOf(String windowJson) {
    try {
      return io.llmsafety.monitor.alerts.AlertJson.mapper().readTree(windowJson).path("events").asLong();
    } catch (Exception e) {
      return 0;
    }
  }

  private static void write(Path file, List<String> lines) throws Exception {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.write(file, lines, StandardCharsets.UTF_8);
  }
}
