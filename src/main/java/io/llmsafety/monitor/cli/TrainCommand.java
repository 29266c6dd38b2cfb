package io.llmsafety.monitor.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmsafety.monitor.detectors.BinaryMetrics;
import io.llmsafety.monitor.detectors.HashedTextFeatures;
import io.llmsafety.monitor.detectors.LinearTextModel;
import io.llmsafety.monitor.detectors.ScorerTraining;
import io.llmsafety.monitor.detectors.ScorerTraining.CvResult;
import io.llmsafety.monitor.detectors.ScorerTraining.Example;
import io.llmsafety.monitor.detectors.ScorerTraining.Settings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code train refusal|harm|prompt-risk --out detectors/FILE.model.gz [--seed N] [--data DIR]}: builds the
 * task's labelled set from the shared data directory, measures it under grouped cross-validation,
 * fits the final model on all rows and writes the model plus {@code <name>.provenance.json}
 * (data files and their SHA-256, command, seed, settings, CV figures, model SHA-256) beside it.
 * The seed only shuffles the CV folds; the fit itself is deterministic full-batch L-BFGS, so the
 * same data and seed give byte-identical files. The last stdout line is one JSON summary object.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = "Trains the v2 refusal, harm or prompt-risk classifier from labelled data; writes the model"
        + " file and its provenance beside it.")
public final class TrainCommand implements Callable<Integer> {

  static final int EXIT_BAD_INPUT = 1;
  static final int EXIT_USAGE = 2;

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Spec private CommandSpec spec;

  @Parameters(index = "0", paramLabel = "TASK", description = "refusal, harm or prompt-risk")
  String task;

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "model file to write, e.g. detectors/harm-v2.model.gz")
  Path out;

  @Option(names = "--seed", defaultValue = "1", description = "seed of the CV fold shuffle (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--data", paramLabel = "DIR", description = "shared data directory (default: system property shared.data.dir, else ../shared/data)")
  Path data;

  @Option(names = "--folds", description = "CV folds; 0 skips cross-validation (default: 5)")
  Integer folds;

  @Option(names = "--lambda", description = "L2 strength (default: per task)")
  Double lambda;

  @Option(names = "--iterations", description = "L-BFGS iterations (default: per task)")
  Integer iterations;

  @Option(names = "--char-ngrams", paramLabel = "MIN-MAX", description = "character n-gram lengths, e.g. 3-5, or 0 for none (default: per task)")
  String charNgrams;

  @Option(names = "--bucket-bits", description = "log2 of the hashed feature buckets (default: per task)")
  Integer bucketBits;

  @Option(names = "--opening-chars", description = "refusal: characters of the opening region (default: 200)")
  Integer openingChars;

  @Option(names = "--body-chars", description = "refusal: characters of the body region (default: 2000)")
  Integer bodyChars;

  @Option(names = "--alpaca-weight", description = "refusal: example weight of AlpacaEval answers (default: 0.3)")
  Double alpacaWeight;

  @Option(names = "--labels", paramLabel = "FILE.jsonl", description = "refusal: extra labelled responses"
      + " {\"response\", \"label\", \"model\"}, e.g. a platform's own judgements; each model is a CV fold")
  Path labels;

  @Option(names = "--subsample", description = "keep every k-th example per source (tests; default 1)", defaultValue = "1")
  int subsample;

  @Override
  public Integer call() throws IOException {
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (task.equals("refusal")) {
      return RefusalTrain.run(this, stdout, err);
    }
    if (!task.equals("harm") && !task.equals("prompt-risk")) {
      err.println("train: unknown task '" + task + "'; expected refusal, harm or prompt-risk");
      return EXIT_USAGE;
    }
    Settings s = Settings.defaults(task);
    HashedTextFeatures f = s.features();
    if (charNgrams != null) {
      String[] mm = charNgrams.equals("0") ? new String[] {"0", "0"} : charNgrams.split("-");
      f = new HashedTextFeatures(f.bucketBits(), f.wordBigrams(), Integer.parseInt(mm[0]),
          Integer.parseInt(mm[mm.length - 1]), f.scanChars());
    }
    if (bucketBits != null) {
      f = new HashedTextFeatures(bucketBits, f.wordBigrams(), f.charMin(), f.charMax(), f.scanChars());
    }
    s = new Settings(f, lambda != null ? lambda : s.lambda(), iterations != null ? iterations : s.iterations(),
        folds != null ? folds : s.folds());
    Path dir = data != null ? data : Path.of(System.getProperty("shared.data.dir", "../shared/data"));
    List<Example> examples;
    try {
      examples = ScorerTraining.everyKth(ScorerTraining.examples(task, dir), Math.max(1, subsample));
    } catch (IllegalArgumentException e) {
      err.println("train: " + e.getMessage());
      return EXIT_BAD_INPUT;
    }

    ObjectNode prov = JSON.createObjectNode();
    prov.put("model", out.getFileName().toString());
    prov.put("kind", task);
    prov.put("command", "train " + task + " --out " + out + " --seed " + seed
        + (subsample > 1 ? " --subsample " + subsample : ""));
    prov.put("seed", seed);
    ObjectNode settings = prov.putObject("settings");
    settings.put("bucket_bits", f.bucketBits());
    settings.put("word_bigrams", f.wordBigrams());
    settings.put("char_ngrams", f.charMin() == 0 ? "none" : f.charMin() + "-" + f.charMax());
    settings.put("scan_chars", f.scanChars());
    settings.put("lambda", s.lambda());
    settings.put("lbfgs_iterations", s.iterations());
    settings.putPOJO("dense_features", ScorerTraining.denseNames(task));
    ArrayNode files = prov.putArray("data");
    for (String rel : ScorerTraining.files(task)) {
      ObjectNode fn = files.addObject();
      fn.put("path", rel);
      fn.put("sha256", ScorerTraining.sha256(dir.resolve(rel)));
    }
    ObjectNode rows = prov.putObject("training_rows");
    for (Example e : examples) {
      String key = e.source() + (e.label() ? ".positive" : ".negative");
      rows.put(key, rows.path(key).asInt() + 1);
    }

    if (s.folds() >= 2) {
      CvResult cv = ScorerTraining.crossValidate(task, s, examples, seed);
      ObjectNode cvNode = prov.putObject("cross_validation");
      cvNode.put("protocol", s.folds() + "-fold, grouped: " + (task.equals("harm")
          ? "HarmBench by behavior_id, AlpacaEval by instruction, BackdoorLLM by goal"
          : "XSTest by prompt type, HarmBench by behavior_id, AdvBench by goal, AlpacaEval by instruction")
          + "; groups shuffled per source with the seed; threshold 0.5");
      for (Map.Entry<String, BinaryMetrics> en : cv.bySource().entrySet()) {
        cvNode.set(en.getKey(), metricsJson(en.getValue()));
      }
    }

    LinearTextModel model = ScorerTraining.fit(task, s, examples);
    byte[] bytes = model.toBytes();
    prov.put("nonzero_buckets", model.nonZeroBuckets());
    prov.put("model_bytes", bytes.length);
    prov.put("model_sha256", ScorerTraining.sha256(bytes));

    Path parent = out.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.write(out, bytes);
    Path provFile = provenancePath(out);
    Files.writeString(provFile, JSON.writeValueAsString(prov) + "\n");

    ObjectNode summary = JSON.createObjectNode();
    summary.put("task", task);
    summary.put("model", out.toString());
    summary.put("provenance", provFile.toString());
    summary.put("model_sha256", ScorerTraining.sha256(bytes));
    if (prov.has("cross_validation")) {
      summary.set("cross_validation", prov.get("cross_validation"));
    }
    stdout.println(new ObjectMapper().writeValueAsString(summary));
    stdout.flush();
    return 0;
  }

  /** {@code detectors/harm-v2.model.gz} → {@code detectors/harm-v2.provenance.json}. */
  static Path provenancePath(Path model) {
    String name = model.getFileName().toString();
    int dot = name.indexOf('.');
    String base = dot > 0 ? name.substring(0, dot) : name;
    return model.resolveSibling(base + ".provenance.json");
  }

  static ObjectNode metricsJson(BinaryMetrics m) {
    ObjectNode o = JSON.createObjectNode();
    o.put("n", m.n());
    o.put("positives", m.positives());
    put(o, "accuracy", m.accuracy());
    put(o, "precision", m.precision());
    put(o, "recall", m.recall());
    put(o, "false_positive_rate", m.falsePositiveRate());
    put(o, "f1", m.f1());
    put(o, "auroc", m.auroc());
    return o;
  }

  private static void put(ObjectNode o, String k, double v) {
    if (Double.isFinite(v)) {
      o.put(k, Math.round(v * 10000) / 10000.0);
    } else {
      o.putNull(k);
    }
  }
}
