package io.llmsafety.monitor.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmsafety.monitor.detectors.BinaryMetrics;
import io.llmsafety.monitor.detectors.HarmScorer;
import io.llmsafety.monitor.detectors.PromptRiskScorer;
import io.llmsafety.monitor.detectors.RefusalTraining;
import io.llmsafety.monitor.detectors.RefusalScorer;
import io.llmsafety.monitor.detectors.ScorerSet;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code eval refusal|harm|prompt-risk --input FILE.jsonl [--threshold T] [--per-model]
 * [--scorers builtin|v1]}: scores labelled rows with a built-in scorer and prints one JSON object
 * with its figures as the last stdout line. Rows are {@code {"prompt": "...", "response": "...",
 * "label": true|false}}, optionally with a string {@code "model"}; the label means refusal, harmful
 * response or harmful request according to the task. With {@code --per-model} the object also
 * holds {@code "per_model": {MODEL: {n, positives, accuracy, ...}}} (rows without a model under
 * {@code "_unknown"}). With {@code --cv-by-model} (refusal) it also retrains refusal v2 once per
 * model of the file without that model's rows and adds {@code "cv_by_model"}: how the scorer
 * does on a model it was not trained on.
 */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description =
        "Scores labelled JSONL with a built-in scorer and prints one JSON object: n, accuracy,"
            + " precision, recall, f1, auroc, threshold, scorer.")
public final class EvalCommand implements Callable<Integer> {

  static final int EXIT_BAD_INPUT = 1;
  static final int EXIT_USAGE = 2;

  private static final ObjectMapper JSON = new ObjectMapper();

  @Spec private CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "TASK",
      description = "refusal, harm or prompt-risk")
  private String task;

  @Option(
      names = "--input",
      required = true,
      paramLabel = "FILE.jsonl",
      description = "labelled rows: {\"prompt\": ..., \"response\": ..., \"label\": true|false}")
  private Path input;

  @Option(
      names = "--threshold",
      paramLabel = "T",
      description = "decision threshold in [0,1]; default: the scorer's own")
  private Double threshold;

  @Option(
      names = "--per-model",
      description = "add per_model figures, grouping rows by their string \"model\" field")
  private boolean perModel;

  @Option(
      names = "--scorers",
      defaultValue = "builtin",
      paramLabel = "SET",
      description = "builtin (what the pipeline uses: v2 models) or v1 (hand-written lexicons);"
          + " default: ${DEFAULT-VALUE}")
  private String scorers;

  @Option(
      names = "--cv-by-model",
      description = "refusal only: also retrain refusal v2 leaving out one model of the file at a time"
          + " (rows grouped by their \"model\" field) and report each held-out model's figures under"
          + " cv_by_model; with --data the shared training sets are added to every fold")
  private boolean cvByModel;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      description = "with --cv-by-model: shared data directory whose training sets join every fold")
  private Path data;

  static final String UNKNOWN_MODEL = "_unknown";

  /** One labelled task: how to score a row and which fields it needs. */
  private record Task(String name, String scorerName, double defaultThreshold, RowScorer scorer,
      boolean needsPrompt, boolean needsResponse) {}

  @FunctionalInterface
  private interface RowScorer {
    double score(String prompt, String response);
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    ScorerSet set;
    if (scorers.equals("builtin")) {
      set = ScorerSet.builtin();
    } else if (scorers.equals("v1")) {
      set = ScorerSet.v1();
    } else {
      err.println("eval: unknown --scorers '" + scorers + "'; expected builtin or v1");
      return EXIT_USAGE;
    }
    Task t = task(task, set);
    if (t == null) {
      err.println("eval: unknown task '" + task + "'; expected refusal, harm or prompt-risk");
      return EXIT_USAGE;
    }
    if (cvByModel && !task.equals("refusal")) {
      err.println("eval: --cv-by-model is only for the refusal task");
      return EXIT_USAGE;
    }
    if (threshold != null && !(threshold >= 0 && threshold <= 1)) {
      err.println("eval: --threshold must be in [0,1], got " + threshold);
      return EXIT_USAGE;
    }
    List<Double> scores = new ArrayList<>();
    List<Boolean> labels = new ArrayList<>();
    List<String> models = new ArrayList<>();
    try (BufferedReader reader = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
      String line;
      int lineNo = 0;
      while ((line = reader.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        String problem = scoreLine(t, line, scores, labels, models);
        if (problem != null) {
          err.println("eval: " + input + ":" + lineNo + ": " + problem);
          return EXIT_BAD_INPUT;
        }
      }
    } catch (IOException e) {
      err.println("eval: cannot read " + input + ": " + e.getMessage());
      return EXIT_BAD_INPUT;
    }
    if (scores.isEmpty()) {
      err.println("eval: " + input + " has no labelled rows");
      return EXIT_BAD_INPUT;
    }
    double[] s = scores.stream().mapToDouble(Double::doubleValue).toArray();
    boolean[] y = new boolean[labels.size()];
    for (int i = 0; i < y.length; i++) {
      y[i] = labels.get(i);
    }
    double cut = threshold != null ? threshold : t.defaultThreshold();
    ObjectNode result = toJson(t, BinaryMetrics.of(s, y, cut));
    if (perModel) {
      ObjectNode per = result.putObject("per_model");
      Map<String, List<Integer>> rowsByModel = new TreeMap<>();
      for (int i = 0; i < models.size(); i++) {
        rowsByModel.computeIfAbsent(models.get(i), k -> new ArrayList<>()).add(i);
      }
      for (Map.Entry<String, List<Integer>> e : rowsByModel.entrySet()) {
        double[] ms = new double[e.getValue().size()];
        boolean[] my = new boolean[ms.length];
        for (int j = 0; j < ms.length; j++) {
          ms[j] = s[e.getValue().get(j)];
          my[j] = y[e.getValue().get(j)];
        }
        ObjectNode o = toJson(t, BinaryMetrics.of(ms, my, cut));
        o.remove(List.of("task", "scorer", "threshold"));
        per.set(e.getKey(), o);
      }
    }
    if (cvByModel) {
      String problem = crossValidateByModel(result);
      if (problem != null) {
        err.println("eval: " + problem);
        return EXIT_BAD_INPUT;
      }
    }
    out.println(result);
    out.flush();
    return 0;
  }

  /**
   * Leave-one-model-out over the file's models: each model's rows are scored by a refusal v2 model
   * trained on the other models' rows (plus the shared sets with --data), at the default settings
   * and threshold 0.5. Returns a problem description instead when it cannot be done.
   */
  private String crossValidateByModel(ObjectNode result) {
    List<RefusalTraining.Example> examples = new ArrayList<>();
    try {
      if (data != null) {
        examples.addAll(RefusalTraining.examples(data, RefusalTraining.Settings.defaults().alpacaWeight()));
      }
      examples.addAll(RefusalTraining.labelled(input));
      RefusalTraining.CvResult cv =
          RefusalTraining.crossValidateByModel(RefusalTraining.Settings.defaults(), examples, 1);
      ObjectNode node = result.putObject("cv_by_model");
      for (Map.Entry<String, BinaryMetrics[]> e : cv.heldOut().entrySet()) {
        if (e.getKey().startsWith(RefusalTraining.LABELS_PREFIX)) {
          ObjectNode o = toJson(new Task("refusal", "LinearRefusalScorer", 0.5, null, false, true), e.getValue()[0]);
          o.remove(List.of("task", "scorer", "threshold"));
          node.set(e.getKey().substring(RefusalTraining.LABELS_PREFIX.length()), o);
        }
      }
      return null;
    } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
      return e.getMessage();
    }
  }

  /** Scores one row into the lists; returns a problem description instead for a bad row. */
  private static String scoreLine(
      Task t, String line, List<Double> scores, List<Boolean> labels, List<String> models) {
    JsonNode row;
    try {
      row = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      return "not valid JSON (" + e.getOriginalMessage() + ")";
    }
    if (row == null || !row.isObject()) {
      return "expected a JSON object";
    }
    JsonNode label = row.get("label");
    if (label == null || !label.isBoolean()) {
      return "\"label\" must be true or false";
    }
    String prompt = text(row, "prompt");
    String response = text(row, "response");
    if (t.needsPrompt() && prompt == null) {
      return "task " + t.name() + " needs a string \"prompt\"";
    }
    if (t.needsResponse() && response == null) {
      return "task " + t.name() + " needs a string \"response\"";
    }
    scores.add(t.scorer().score(prompt, response));
    labels.add(label.booleanValue());
    String model = text(row, "model");
    models.add(model != null ? model : UNKNOWN_MODEL);
    return null;
  }

  private static String text(JsonNode row, String field) {
    JsonNode v = row.get(field);
    return v != null && v.isTextual() ? v.textValue() : null;
  }

  private static Task task(String name, ScorerSet set) {
    switch (name) {
      case "refusal" -> {
        RefusalScorer r = set.refusal();
        return new Task(name, r.getClass().getSimpleName(), r.threshold(),
            (p, resp) -> r.score(resp), false, true);
      }
      case "prompt-risk" -> {
        PromptRiskScorer r = set.promptRisk();
        return new Task(name, r.getClass().getSimpleName(), r.threshold(),
            (p, resp) -> r.score(p), true, false);
      }
      case "harm" -> {
        HarmScorer h = set.harm();
        return new Task(name, h.getClass().getSimpleName(), h.threshold(), h::score, true, true);
      }
      default -> {
        return null;
      }
    }
  }

  private static ObjectNode toJson(Task t, BinaryMetrics m) {
    ObjectNode o = JSON.createObjectNode();
    o.put("task", t.name());
    o.put("scorer", t.scorerName());
    o.put("n", m.n());
    o.put("positives", m.positives());
    putFinite(o, "accuracy", m.accuracy());
    putFinite(o, "precision", m.precision());
    putFinite(o, "recall", m.recall());
    putFinite(o, "f1", m.f1());
    putFinite(o, "auroc", m.auroc());
    o.put("threshold", m.threshold());
    return o;
  }

  /** JSON has no NaN: an undefined figure (e.g. AUROC with one class) is written as null. */
  private static void putFinite(ObjectNode o, String key, double v) {
    if (Double.isFinite(v)) {
      o.put(key, v);
    } else {
      o.putNull(key);
    }
  }
}
