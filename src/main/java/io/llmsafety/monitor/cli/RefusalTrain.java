package io.llmsafety.monitor.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmsafety.monitor.detectors.BinaryMetrics;
import io.llmsafety.monitor.detectors.HashedTextFeatures;
import io.llmsafety.monitor.detectors.RefusalModel;
import io.llmsafety.monitor.detectors.RefusalTraining;
import io.llmsafety.monitor.detectors.RefusalTraining.CvResult;
import io.llmsafety.monitor.detectors.RefusalTraining.Example;
import io.llmsafety.monitor.detectors.RefusalTraining.Settings;
import io.llmsafety.monitor.detectors.ScorerTraining;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code train refusal}: the refusal v2 model, with leave-one-XSTest-model-out figures beside the
 * v1 lexicon and upstream's string match in the provenance and the stdout summary.
 */
final class RefusalTrain {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private RefusalTrain() {}

  static int run(TrainCommand c, PrintWriter stdout, PrintWriter err) throws IOException {
    Settings d = Settings.defaults();
    HashedTextFeatures opening = d.opening();
    HashedTextFeatures body = d.body();
    if (c.charNgrams != null) {
      String[] mm = c.charNgrams.equals("0") ? new String[] {"0", "0"} : c.charNgrams.split("-");
      opening = new HashedTextFeatures(opening.bucketBits(), opening.wordBigrams(), Integer.parseInt(mm[0]),
          Integer.parseInt(mm[mm.length - 1]), opening.scanChars());
    }
    if (c.bucketBits != null) {
      opening = new HashedTextFeatures(c.bucketBits, opening.wordBigrams(), opening.charMin(), opening.charMax(),
          opening.scanChars());
    }
    if (c.openingChars != null) {
      opening = new HashedTextFeatures(opening.bucketBits(), opening.wordBigrams(), opening.charMin(),
          opening.charMax(), c.openingChars);
    }
    if (c.bodyChars != null) {
      body = new HashedTextFeatures(body.bucketBits(), body.wordBigrams(), body.charMin(), body.charMax(),
          c.bodyChars);
    }
    Settings s = new Settings(opening, body, c.lambda != null ? c.lambda : d.lambda(),
        c.iterations != null ? c.iterations : d.iterations(),
        c.alpacaWeight != null ? c.alpacaWeight : d.alpacaWeight());
    Path dir = c.data != null ? c.data : Path.of(System.getProperty("shared.data.dir", "../shared/data"));
    List<Example> examples;
    try {
      examples = new java.util.ArrayList<>(RefusalTraining.examples(dir, s.alpacaWeight()));
      if (c.labels != null) {
        examples.addAll(RefusalTraining.labelled(c.labels));
      }
      examples = RefusalTraining.everyKth(examples, Math.max(1, c.subsample));
    } catch (IllegalArgumentException e) {
      err.println("train: " + e.getMessage());
      return TrainCommand.EXIT_BAD_INPUT;
    }

    ObjectNode prov = JSON.createObjectNode();
    prov.put("model", c.out.getFileName().toString());
    prov.put("kind", "refusal");
    prov.put("command", "train refusal --out " + c.out + " --seed " + c.seed
        + (c.subsample > 1 ? " --subsample " + c.subsample : "")
        + (c.labels != null ? " --labels " + c.labels : ""));
    prov.put("seed", c.seed);
    ObjectNode settings = prov.putObject("settings");
    region(settings.putObject("opening"), opening);
    region(settings.putObject("body"), body);
    settings.put("lambda", s.lambda());
    settings.put("lbfgs_iterations", s.iterations());
    settings.put("alpaca_weight", s.alpacaWeight());
    settings.put("normalisation", "RefusalText: NFKC, lower case, invisible characters, Cyrillic/Greek"
        + " homoglyphs, markdown emphasis/links/bullets");
    settings.putPOJO("dense_features", RefusalTraining.denseNames());
    ArrayNode files = prov.putArray("data");
    for (String rel : RefusalTraining.files()) {
      ObjectNode fn = files.addObject();
      fn.put("path", rel);
      fn.put("sha256", ScorerTraining.sha256(dir.resolve(rel)));
    }
    ObjectNode hw = files.addObject();
    hw.put("path", "detectors/refusal-handwritten.jsonl");
    hw.put("sha256", RefusalTraining.handwrittenSha256());
    if (c.labels != null) {
      ObjectNode fn = files.addObject();
      fn.put("path", c.labels.toString());
      fn.put("sha256", ScorerTraining.sha256(c.labels));
    }
    ObjectNode rows = prov.putObject("training_rows");
    for (Example e : examples) {
      String key = e.source() + (e.label() ? ".refusal" : ".not_refusal");
      rows.put(key, rows.path(key).asInt() + 1);
    }

    boolean cv = c.folds == null || c.folds != 0;
    if (cv) {
      CvResult r = RefusalTraining.crossValidateByModel(s, examples, c.seed);
      ObjectNode node = prov.putObject("leave_one_model_out");
      node.put("protocol", "one fold per XSTest model set-up: its responses are scored by a model trained"
          + " on the other three set-ups and three quarters of the other sources (AlpacaEval by instruction,"
          + " BackdoorLLM by goal, HarmBench by behaviour, groups shuffled with the seed); refusal = full or"
          + " partial refusal; threshold 0.5; v1 = LexiconRefusalScorer, string_match = upstream strmatch_label"
          + " on the same rows");
      ObjectNode held = node.putObject("xstest_held_out");
      for (Map.Entry<String, BinaryMetrics[]> en : r.heldOut().entrySet()) {
        held.set(en.getKey(), compare(en.getValue()));
      }
      node.set("xstest_pooled", compare(r.pooled()));
      ObjectNode src = node.putObject("by_source");
      for (Map.Entry<String, BinaryMetrics> en : r.bySource().entrySet()) {
        src.set(en.getKey(), TrainCommand.metricsJson(en.getValue()));
      }
    }

    RefusalModel model = RefusalTraining.fit(s, examples);
    byte[] bytes = model.toBytes();
    prov.put("nonzero_buckets", model.nonZeroBuckets());
    prov.put("model_bytes", bytes.length);
    prov.put("model_sha256", ScorerTraining.sha256(bytes));

    Path parent = c.out.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.write(c.out, bytes);
    Path provFile = TrainCommand.provenancePath(c.out);
    Files.writeString(provFile, JSON.writeValueAsString(prov) + "\n");

    ObjectNode summary = JSON.createObjectNode();
    summary.put("task", "refusal");
    summary.put("model", c.out.toString());
    summary.put("provenance", provFile.toString());
    summary.put("model_sha256", ScorerTraining.sha256(bytes));
    if (prov.has("leave_one_model_out")) {
      summary.set("leave_one_model_out", prov.get("leave_one_model_out"));
    }
    stdout.println(new ObjectMapper().writeValueAsString(summary));
    stdout.flush();
    return 0;
  }

  private static void region(ObjectNode o, HashedTextFeatures f) {
    o.put("bucket_bits", f.bucketBits());
    o.put("word_bigrams", f.wordBigrams());
    o.put("char_ngrams", f.charMin() == 0 ? "none" : f.charMin() + "-" + f.charMax());
    o.put("scan_chars", f.scanChars());
  }

  private static ObjectNode compare(BinaryMetrics[] m) {
    ObjectNode o = JSON.createObjectNode();
    o.set("v2", TrainCommand.metricsJson(m[0]));
    o.set("v1", TrainCommand.metricsJson(m[1]));
    o.set("string_match", TrainCommand.metricsJson(m[2]));
    return o;
  }
}
