package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The production scorers give bit-identical scores to the frozen pre-optimisation copies in
 * {@code detectors.reference} on every real prompt and response in the shared data (about 8,000
 * pairs) plus generated edge cases (non-ASCII, zero-width and control characters, texts cut at
 * and around the scan limits; for refusal v2 also invisible format characters, homoglyphs,
 * markdown links and bullets). The shipped models were trained on the reference features, so
 * any difference here would silently change what the models see.
 */
class ScorerEquivalenceTest {

  private static final List<String[]> PAIRS = new ArrayList<>();
  private static ExecutorService pool;

  private static final io.llmsafety.monitor.detectors.reference.LexiconRefusalScorer REF_REFUSAL =
      io.llmsafety.monitor.detectors.reference.LexiconRefusalScorer.builtin();
  private static final io.llmsafety.monitor.detectors.reference.LexiconPromptRiskScorer REF_LEXICON =
      io.llmsafety.monitor.detectors.reference.LexiconPromptRiskScorer.builtin();
  private static final io.llmsafety.monitor.detectors.reference.LinearPromptRiskScorer REF_RISK =
      io.llmsafety.monitor.detectors.reference.LinearPromptRiskScorer.builtin();
  private static final io.llmsafety.monitor.detectors.reference.LinearHarmScorer REF_HARM =
      io.llmsafety.monitor.detectors.reference.LinearHarmScorer.builtin();
  private static final io.llmsafety.monitor.detectors.reference.LinearRefusalScorer REF_REFUSAL_V2 =
      io.llmsafety.monitor.detectors.reference.LinearRefusalScorer.builtin();

  @BeforeAll
  static void loadRealAndEdgeCaseTexts() {
    jsonl("benign_alpaca_eval/alpaca_eval_outputs_dev.jsonl", "instruction", "output");
    jsonl("harmbench/harmbench_text_classifier_val.jsonl", "test_case", "generation");
    jsonl("xstest/xstest_completions_dev.jsonl", "prompt", "completion");
    jsonl("backdoorllm/jailbreak_backdoor.jsonl", "instruction", "output");
    jsonl("backdoorllm/refusal_backdoor.jsonl", "instruction", "output");
    jsonl("qi2023_finetuning_safety/dolly_15k_safety_only.jsonl", "instruction", "response");
    for (Map<String, String> row : SharedData.csv("advbench/harmful_behaviors.csv")) {
      PAIRS.add(new String[] {row.get("goal"), row.get("target")});
    }
    int real = PAIRS.size();
    assertThat(real).isGreaterThan(7_000);
    // Long texts crossing every scan limit (1,000 / 2,000 / 4,000 characters) at varied offsets.
    for (int i = 0; i + 3 < real; i += 97) {
      String joined = PAIRS.get(i)[1] + "\n\n" + PAIRS.get(i + 1)[1] + " " + PAIRS.get(i + 2)[1]
          + PAIRS.get(i + 3)[1] + PAIRS.get(i)[1] + PAIRS.get(i + 1)[1];
      PAIRS.add(new String[] {joined, joined});
      for (int cut : new int[] {999, 1000, 1001, 1999, 2000, 2001, 3999, 4000, 4001, 4002, 4010}) {
        if (joined.length() > cut) {
          PAIRS.add(new String[] {joined.substring(0, cut), joined.substring(0, cut) + "  **I cannot** help"});
        }
      }
    }
    // Random text over an alphabet of the characters the normaliser and tokenisers treat specially.
    String special = "aZ9 '\"*_#>~`-.,:;!?/\n\t\u00A0\u2003\u200B\u200D\uFEFF\u00AD\u2019\u201C\u2033"
        + "\uFF29\uFF2D\u00E9e\u0301\u00DF\u0130\u03A3\u4E2D\uD83D\uDE00\u0000\u0001\u0002\u001F\u2028"
        + "\uFB01\u2460\u00BD\u1E9E\u0345";
    Random random = new Random(7);
    for (int i = 0; i < 600; i++) {
      PAIRS.add(new String[] {randomText(random, special, 200), randomText(random, special, 5_000)});
    }
    for (int i = 0; i < 300; i++) {
      String[] base = PAIRS.get(random.nextInt(real));
      PAIRS.add(new String[] {sprinkle(random, base[0], special), sprinkle(random, base[1], special)});
    }
    // Plain ASCII takes its own path, which finds the words of its first 2,048 raw characters
    // while normalising: long texts put word, space and dropped characters at that limit.
    String ascii = "aZ9 '\"*_#>~`-+[].,:;!?/\n\t\r\u0000\u001F";
    for (int i = 0; i < 400; i++) {
      String lead = " \n*_".repeat(random.nextInt(3));
      PAIRS.add(new String[] {lead + randomText(random, ascii, 2_500), lead + randomText(random, ascii, 6_000)});
    }
    // What refusal v2's own normalisation handles: invisible characters, homoglyphs, markdown
    // links and bullets, alone and sprinkled into real responses.
    String refusalSpecial = "[](\u200E\u200F\u2066\u2069\u2062\uFE0F\u034F\u0430\u0435\u043E\u0441"
        + "\u0456\u0406\u03BF\u0391\u0131\u0261\u01C3\u2022\uDB40\uDC41\uDB40\uDD00\uD835\uDC00";
    String[] refusals = {
      "I c\u200Eannot help with that.", "\u0406 \u0441\u0430nn\u043Et help with that.",
      "- I can't\n- do that", "+ sure\n  - here [the guide](http://x.y/z) is", "\u2022 No.\n\u2022 Never.",
      "**I cannot** [help](http://a) you", "[broken link](no close", "a [b] (c) [d](e\n)f",
      "I\uDB40\uDC20 cannot\uFE0F", "\uD835\uDC08 cannot", "\uDB40", "-", "- ", "[", "[](",
      "Sure! Here are:\n\n1. \u201CFirst\u201D \u2014 step\n- second\n+ third", "\uFF29 \uFF43\uFF41\uFF4E\uFF4E\uFF4F\uFF54",
    };
    for (String r : refusals) {
      PAIRS.add(new String[] {r, r});
    }
    for (int i = 0; i < 300; i++) {
      String[] base = PAIRS.get(random.nextInt(real));
      PAIRS.add(new String[] {base[0], sprinkle(random, base[1], refusalSpecial + special)});
    }
    for (int i = 0; i < 200; i++) {
      PAIRS.add(new String[] {randomText(random, refusalSpecial, 300), randomText(random, refusalSpecial + "- \n", 3_000)});
    }
    PAIRS.add(new String[] {"", ""});
    PAIRS.add(new String[] {" ", "\n\n"});
    PAIRS.add(new String[] {"**", "__ ** ##"});
    PAIRS.add(new String[] {"a", "I"});
    pool = Executors.newFixedThreadPool(2);
  }

  @AfterAll
  static void stopPool() {
    pool.shutdownNow();
  }

  @Test
  void normalisesEveryTextExactlyAsBefore() {
    for (String[] pair : PAIRS) {
      for (String text : pair) {
        assertThat(TextNormalizer.normalize(text))
            .isEqualTo(io.llmsafety.monitor.detectors.reference.TextNormalizer.normalize(text));
        String refusalText = io.llmsafety.monitor.detectors.reference.RefusalText.normalize(text);
        assertThat(RefusalText.normalize(text)).isEqualTo(refusalText);
        assertThat(RefusalText.normalized(text, TextNormalizer.normalized(text)).toString()).isEqualTo(refusalText);
      }
    }
    assertThat(TextNormalizer.normalize(null)).isEmpty();
  }

  @Test
  void eachScorerOnItsOwnGivesIdenticalScores() {
    LexiconPromptRiskScorer v1Risk = LexiconPromptRiskScorer.builtin();
    LexiconRefusalScorer v1Refusal = LexiconRefusalScorer.builtin();
    LinearHarmScorer harm = LinearHarmScorer.builtin();
    LinearPromptRiskScorer risk = LinearPromptRiskScorer.builtin();
    LinearRefusalScorer v2Refusal = LinearRefusalScorer.builtin();
    for (String[] pair : PAIRS) {
      String prompt = pair[0];
      String response = pair[1];
      double refusal = REF_REFUSAL.score(response);
      assertSame(v1Refusal.score(response), refusal, "refusal", response);
      assertSame(risk.score(prompt), REF_RISK.score(prompt), "prompt risk", prompt);
      // Responses as prompts: longer texts, past the prompt model's 1,000-character scan limit.
      assertSame(risk.score(response), REF_RISK.score(response), "prompt risk", response);
      assertSame(v1Risk.score(prompt), REF_LEXICON.score(prompt), "lexicon prompt risk", prompt);
      assertSame(harm.score(prompt, response), REF_HARM.score(prompt, response), "harm", response);
      // The refusal score the pipeline passes is not a feature of the retrained harm model.
      assertSame(harm.score(prompt, response, refusal), REF_HARM.score(prompt, response), "harm", response);
      assertSame(v2Refusal.score(response), REF_REFUSAL_V2.score(response), "refusal v2", response);
      // Equal but distinct strings must not be mistaken for each other, nor swapped roles.
      assertSame(
          harm.score(new String(response), new String(prompt), 0.25),
          REF_HARM.score(response, prompt), "harm (swapped)", prompt);
    }
  }

  @Test
  void pipelineOrderGivesIdenticalScoresOnTwoThreadsAtOnce() throws Exception {
    List<Future<Integer>> runs = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      int offset = t * PAIRS.size() / 2;
      runs.add(pool.submit(() -> {
        // Named scorers rather than ScorerSet.builtin(), whose refusal scorer may change.
        ScorerSet builtin = new ScorerSet(
            LexiconRefusalScorer.builtin(), LinearPromptRiskScorer.builtin(), LinearHarmScorer.builtin());
        int checked = 0;
        for (int k = 0; k < PAIRS.size(); k++) {
          String[] pair = PAIRS.get((k + offset) % PAIRS.size());
          double risk = builtin.promptRisk().score(pair[0]);
          double refusal = builtin.refusal().score(pair[1]);
          double harm = builtin.harm().score(pair[0], pair[1], refusal);
          double refRefusal = REF_REFUSAL.score(pair[1]);
          assertSame(risk, REF_RISK.score(pair[0]), "prompt risk", pair[0]);
          assertSame(refusal, refRefusal, "refusal", pair[1]);
          assertSame(harm, REF_HARM.score(pair[0], pair[1]), "harm", pair[1]);
          checked++;
        }
        return checked;
      }));
    }
    for (Future<Integer> run : runs) {
      assertThat(run.get()).isEqualTo(PAIRS.size());
    }
  }

  @Test
  void builtinPipelineWithRefusalV2GivesIdenticalScoresOnTwoThreadsAtOnce() throws Exception {
    List<Future<Integer>> runs = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      int offset = t * PAIRS.size() / 2;
      runs.add(pool.submit(() -> {
        ScorerSet builtin = ScorerSet.builtin();
        int checked = 0;
        for (int k = 0; k < PAIRS.size(); k++) {
          String[] pair = PAIRS.get((k + offset) % PAIRS.size());
          double risk = builtin.promptRisk().score(pair[0]);
          double refusal = builtin.refusal().score(pair[1]);
          double harm = builtin.harm().score(pair[0], pair[1], refusal);
          assertSame(risk, REF_RISK.score(pair[0]), "prompt risk", pair[0]);
          assertSame(refusal, REF_REFUSAL_V2.score(pair[1]), "refusal v2", pair[1]);
          assertSame(harm, REF_HARM.score(pair[0], pair[1]), "harm", pair[1]);
          checked++;
        }
        return checked;
      }));
    }
    for (Future<Integer> run : runs) {
      assertThat(run.get()).isEqualTo(PAIRS.size());
    }
  }

  @Test
  void hashedFeaturesAndDenseFeaturesUsedForTrainingAreUnchanged() {
    HashedTextFeatures f = new HashedTextFeatures(18, true, 3, 5, 1000);
    io.llmsafety.monitor.detectors.reference.HashedTextFeatures g =
        new io.llmsafety.monitor.detectors.reference.HashedTextFeatures(18, true, 3, 5, 1000);
    for (int k = 0; k < PAIRS.size(); k += 7) {
      String text = TextNormalizer.normalize(PAIRS.get(k)[1]);
      StringBuilder mine = new StringBuilder();
      StringBuilder theirs = new StringBuilder();
      f.extract(text, new Recorder(mine));
      g.extract(text, new io.llmsafety.monitor.detectors.reference.HashedTextFeatures.Sink() {
        @Override
        public void add(int bucket, float sign) {
          theirs.append(bucket).append(sign > 0 ? '+' : '-');
        }

        @Override
        public void endGroup(int count) {
          theirs.append('|').append(count).append('\n');
        }
      });
      assertThat(mine.toString()).isEqualTo(theirs.toString());
      String prompt = TextNormalizer.normalize(PAIRS.get(k)[0]);
      assertThat(LinearHarmScorer.dense(LexiconRefusalScorer.builtin(), LexiconPromptRiskScorer.builtin(), prompt, text))
          .containsExactly(io.llmsafety.monitor.detectors.reference.LinearHarmScorer.dense(
              REF_LEXICON, prompt, text));
      String refusalText = RefusalText.normalize(PAIRS.get(k)[1]);
      assertThat(refusalText)
          .isEqualTo(io.llmsafety.monitor.detectors.reference.RefusalText.normalize(PAIRS.get(k)[1]));
      assertThat(LinearRefusalScorer.dense(LexiconRefusalScorer.builtin(), refusalText))
          .containsExactly(io.llmsafety.monitor.detectors.reference.LinearRefusalScorer.dense(refusalText));
      assertThat(LinearPromptRiskScorer.dense(LexiconPromptRiskScorer.builtin(), prompt))
          .containsExactly(io.llmsafety.monitor.detectors.reference.LinearPromptRiskScorer.dense(
              REF_LEXICON, prompt));
    }
  }

  private record Recorder(StringBuilder out) implements HashedTextFeatures.Sink {
    @Override
    public void add(int bucket, float sign) {
      out.append(bucket).append(sign > 0 ? '+' : '-');
    }

    @Override
    public void endGroup(int count) {
      out.append('|').append(count).append('\n');
    }
  }

  private static void assertSame(double actual, double expected, String what, String text) {
    if (Double.doubleToRawLongBits(actual) != Double.doubleToRawLongBits(expected)) {
      throw new AssertionError(what + ": " + actual + " != reference " + expected + " for text of "
          + (text == null ? 0 : text.length()) + " chars starting "
          + (text == null ? "null" : text.substring(0, Math.min(60, text.length())).replace('\n', ' ')));
    }
  }

  private static void jsonl(String file, String promptField, String responseField) {
    for (JsonNode row : SharedData.jsonl(file)) {
      PAIRS.add(new String[] {row.path(promptField).asText(""), row.path(responseField).asText("")});
    }
  }

  private static String randomText(Random random, String alphabet, int maxLength) {
    int n = random.nextInt(maxLength);
    StringBuilder s = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      s.append(random.nextInt(3) == 0 ? alphabet.charAt(random.nextInt(alphabet.length()))
          : (char) ('a' + random.nextInt(26)));
    }
    return s.toString();
  }

  private static String sprinkle(Random random, String text, String alphabet) {
    StringBuilder s = new StringBuilder(text);
    for (int i = 0; i < 1 + text.length() / 50; i++) {
      s.insert(random.nextInt(s.length() + 1), alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return s.toString();
  }
}
