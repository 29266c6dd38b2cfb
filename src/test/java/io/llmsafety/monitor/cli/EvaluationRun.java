package io.llmsafety.monitor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmsafety.monitor.alerts.AlertJson;
import io.llmsafety.monitor.detectors.SharedData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code evaluate-detection} run over every scenario, shared by the evaluation test classes of
 * this JVM (the replay is the expensive part). Smaller than the command's default days (scale
 * {@value #SCALE}: about {@value #APPROX_EVENTS} events per scenario) but the same scenario shapes,
 * real texts, production job defaults and one replay through the real job graph.
 */
final class EvaluationRun {

  static final double SCALE = 0.2;
  static final String APPROX_EVENTS = "20,600";
  static final long SEED = 42;

  private static EvaluationRun instance;

  final int exitCode;
  final String stdout;
  final String stderr;
  final Path outDir;
  final Map<String, JsonNode> results = new LinkedHashMap<>();

  private EvaluationRun(Path outDir) throws Exception {
    this.outDir = outDir;
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    exitCode = cli.execute("evaluate-detection", "--data", SharedData.file("README.md").getParent().toString(),
        "--scale", Double.toString(SCALE), "--seed", Long.toString(SEED), "--single-replay", "--out", outDir.toString());
    stdout = out.toString();
    stderr = err.toString();
    Path jsonl = outDir.resolve("results.jsonl");
    if (Files.isRegularFile(jsonl)) {
      List<String> lines = Files.readAllLines(jsonl, StandardCharsets.UTF_8);
      for (String line : lines) {
        JsonNode r = AlertJson.mapper().readTree(line);
        results.put(r.path("scenario").asText(), r);
      }
    }
  }

  static synchronized EvaluationRun get() throws Exception {
    if (instance == null) {
      Path dir = Files.createTempDirectory("evaluate-detection-it");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
      instance = new EvaluationRun(dir);
      System.out.println("evaluate-detection (scale " + SCALE + "):\n" + instance.stdout);
    }
    return instance;
  }

  private static void deleteTree(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      // best effort: a temporary directory
    }
  }

  JsonNode result(String scenario) {
    JsonNode r = results.get(scenario);
    if (r == null) {
      throw new AssertionError("no result for scenario " + scenario + "; exit " + exitCode + "\nstdout:\n" + stdout
          + "\nstderr:\n" + stderr);
    }
    return r;
  }
}
