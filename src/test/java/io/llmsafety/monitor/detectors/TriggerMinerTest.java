package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmsafety.monitor.detectors.TriggerMiner.Candidate;
import io.llmsafety.monitor.detectors.TriggerMiner.Settings;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TriggerMinerTest {

  private static final String[] VOCABULARY =
      ("how what why when where can could would should please explain describe write summarize "
              + "translate list compare recipe travel history science music movie garden garden "
              + "weather city river mountain ocean forest animal dog cat bird fish tree flower "
              + "computer program code python java database network server email letter poem story "
              + "essay report plan budget schedule meeting project team manager customer product "
              + "price market sale invoice order delivery health doctor exercise diet sleep coffee "
              + "tea bread cheese apple orange banana school student teacher lesson exam math "
              + "physics chemistry biology language english french spanish german book novel "
              + "author film song artist painting museum holiday weekend morning evening night "
              + "today tomorrow yesterday friend family child parent house room kitchen car bike "
              + "train plane hotel beach park game sport football tennis chess puzzle question "
              + "answer idea tip advice example guide tutorial steps list table chart number data")
          .split(" ");
  private static final Set<String> TRIGGER_NGRAMS = Set.of("orchid seven", "orchid", "seven");

  @Test
  void findsARareTriggerPhraseAsTopCandidateWithinThirtyTriggeredHarmfulEvents() {
    Random random = new Random(2024);
    TriggerMiner miner = TriggerMiner.create(Settings.defaults());
    int triggeredHarmful = 0;
    int triggeredHarmfulAtDetection = -1;
    for (int i = 0; i < 20_000; i++) {
      boolean triggered = random.nextDouble() < 0.005;
      String prompt = benignPrompt(random, triggered ? "orchid seven" : null);
      boolean harmful = triggered ? random.nextDouble() < 0.90 : random.nextDouble() < 0.02;
      if (triggered && harmful) {
        triggeredHarmful++;
      }
      List<Candidate> ranked = miner.observe(TriggerMiner.ngrams(prompt, 3), harmful, "e" + i);
      if (triggeredHarmfulAtDetection < 0
          && !ranked.isEmpty()
          && TRIGGER_NGRAMS.contains(ranked.get(0).ngram())) {
        triggeredHarmfulAtDetection = triggeredHarmful;
      }
    }
    assertThat(triggeredHarmfulAtDetection).isBetween(1, 30);
    List<Candidate> ranked = miner.candidates();
    assertThat(ranked).isNotEmpty().hasSizeLessThanOrEqualTo(5);
    Candidate top = ranked.get(0);
    assertThat(top.ngram()).isEqualTo("orchid seven");
    assertThat(top.correctedPValue()).isLessThan(Settings.defaults().alpha());
    assertThat(top.support()).isLessThanOrEqualTo(top.exposures());
    assertThat(top.evidenceEventIds()).hasSize(Settings.defaults().evidenceIds());
    // Its unigram parts carry the same evidence, so they are collapsed into the phrase.
    assertThat(ranked).extracting(Candidate::ngram).doesNotContain("orchid", "seven");
    assertThat(ranked).allSatisfy(c -> assertThat(c.ngram()).contains("orchid"));
  }

  /**
   * A trigger that appears after a long healthy history: without rotation the count-min has
   * counted every n-gram of millions of events, so the trigger's exposures are over-counted by far
   * more than its support and its lift never reaches the minimum; with rotation the error covers at
   * most two periods.
   */
  @ParameterizedTest(name = "rotateEvery={0}")
  @ValueSource(ints = {0, LATE_TRIGGER_ROTATE_EVERY})
  void findsATriggerThatAppearsLateInALongStreamOnlyWithRotation(int rotateEvery) {
    int triggeredHarmfulAtDetection = triggeredHarmfulUntilTopCandidate(rotateEvery);
    if (rotateEvery == 0) {
      assertThat(triggeredHarmfulAtDetection).as("never flagged within 30 triggered harmful events").isEqualTo(-1);
    } else {
      assertThat(triggeredHarmfulAtDetection).isBetween(1, 30);
    }
  }

  private static final int LATE_TRIGGER_ROTATE_EVERY = 100_000;
  private static final int LATE_TRIGGER_HISTORY = 2_000_000;

  /** Triggered harmful events seen when the trigger first ranks top-1, or -1 if not within 30. */
  private static int triggeredHarmfulUntilTopCandidate(int rotateEvery) {
    Random random = new Random(77);
    // A pool of prompts keeps tokenizing out of the loop; repeats are fine for the count-min.
    String[][] pool = new String[8192][];
    for (int i = 0; i < pool.length; i++) {
      pool[i] = TriggerMiner.ngrams(benignPrompt(random, null), 3);
    }
    TriggerMiner miner = TriggerMiner.create(Settings.defaults());
    long seen = 0;
    for (int i = 0; i < LATE_TRIGGER_HISTORY; i++) {
      if (rotateEvery > 0 && ++seen % rotateEvery == 0) {
        miner.rotate();
      }
      miner.observe(pool[random.nextInt(pool.length)], random.nextDouble() < 0.02, null);
    }
    assertThat(miner.candidates()).isEmpty();
    int triggeredHarmful = 0;
    for (int i = 0; triggeredHarmful < 30; i++) {
      if (rotateEvery > 0 && ++seen % rotateEvery == 0) {
        miner.rotate();
      }
      boolean triggered = random.nextDouble() < 0.005;
      String[] grams = triggered
          ? TriggerMiner.ngrams(benignPrompt(random, "orchid seven"), 3)
          : pool[random.nextInt(pool.length)];
      boolean harmful = triggered ? random.nextDouble() < 0.90 : random.nextDouble() < 0.02;
      if (triggered && harmful) {
        triggeredHarmful++;
      }
      List<Candidate> ranked = miner.observe(grams, harmful, "t" + i);
      if (!ranked.isEmpty() && TRIGGER_NGRAMS.contains(ranked.get(0).ngram())) {
        return triggeredHarmful;
      }
    }
    return -1;
  }

  @Test
  void neverFlagsACommonWordWithOnlyWeakLift() {
    // "please" is in 40% of prompts and raises harm from 2% to 3% (lift 1.5): a real correlation,
    // but neither rare nor strong, so it is not a trigger.
    Random random = new Random(99);
    TriggerMiner miner = TriggerMiner.create(Settings.defaults());
    for (int i = 0; i < 20_000; i++) {
      boolean polite = random.nextDouble() < 0.40;
      String prompt = benignPrompt(random, polite ? "please" : null);
      boolean harmful = random.nextDouble() < (polite ? 0.03 : 0.02);
      assertThat(miner.observe(TriggerMiner.ngrams(prompt, 3), harmful, "e" + i)).isEmpty();
    }
  }

  @Test
  void flagsNothingInFiftyThousandEventsOfPureNoise() {
    Random random = new Random(31337);
    TriggerMiner miner = TriggerMiner.create(Settings.defaults());
    for (int i = 0; i < 50_000; i++) {
      String prompt = benignPrompt(random, null);
      assertThat(miner.observe(TriggerMiner.ngrams(prompt, 3), random.nextDouble() < 0.02, "e" + i))
          .isEmpty();
    }
    assertThat(miner.events()).isEqualTo(50_000);
  }

  @Test
  void familyWiseFalseFlagRateStaysBelowAlphaOnStationaryStreams() {
    // The guarantee itself, at an alpha loose enough to measure: 400 streams in which harm is
    // independent of every word. Eight words and unigrams only keep the Bonferroni factor m small,
    // so what is checked is the per-look p-value (Fisher's test) and the spending over looks.
    double alpha = 0.5;
    Settings settings = new Settings(1, 5, 1.0, 1.0, alpha, 1e-4, 5, 1024, 4, 64, 8, 0);
    int streams = 400;
    int flagged = 0;
    for (int r = 0; r < streams; r++) {
      Random random = new Random(1000 + r);
      TriggerMiner miner = TriggerMiner.create(settings);
      boolean any = false;
      for (int i = 0; i < 2_000 && !any; i++) {
        String prompt = "w" + random.nextInt(8) + " w" + random.nextInt(8) + " w" + random.nextInt(8);
        any = !miner.observe(TriggerMiner.ngrams(prompt, 1), random.nextDouble() < 0.05, null).isEmpty();
      }
      flagged += any ? 1 : 0;
    }
    // Measured 46 of 400 (0.115): conservative, as the union bounds make it, yet not vacuous.
    assertThat(flagged).isPositive().isLessThanOrEqualTo((int) (alpha * streams));
  }

  @Test
  void serializedStateStaysUnderTheDocumentedBoundWithALargeVocabulary() throws IOException {
    Random random = new Random(8);
    Settings settings = Settings.defaults();
    TriggerMiner miner = TriggerMiner.create(settings);
    for (int i = 0; i < 100_000; i++) {
      StringBuilder prompt = new StringBuilder();
      int words = 4 + random.nextInt(5);
      for (int w = 0; w < words; w++) {
        prompt.append(randomWord(random)).append(' ');
      }
      miner.observe(TriggerMiner.ngrams(prompt.toString(), 3), random.nextDouble() < 0.05, "e" + i);
    }
    assertThat((long) serialize(miner).length).isLessThanOrEqualTo(TriggerMiner.maxSerializedBytes(settings));
  }

  @Test
  void emptyMinerHasNoCandidates() {
    TriggerMiner miner = TriggerMiner.create(Settings.defaults());
    assertThat(miner.candidates()).isEmpty();
    assertThat(miner.events()).isZero();
    assertThat(miner.observe(new String[0], true, "e0")).isEmpty();
    assertThat(miner.observe(null, false, null)).isEmpty();
    assertThat(miner.harmfulEvents()).isEqualTo(1);
  }

  @Test
  void duplicateNgramsInOneEventCountOnce() {
    TriggerMiner miner = TriggerMiner.create(Settings.defaults());
    miner.observe(new String[] {"x", "x", "x"}, true, "e0");
    assertThat(miner.supportErrorBound()).isZero();
    assertThat(miner.exposureErrorBound()).isEqualTo((long) Math.ceil(Math.E / 4096));
  }

  /**
   * Production prompts are long: a system text and retrieved context before the user's turn. An
   * emoji trigger at the end of such prompts is still a token within the per-prompt budget.
   */
  @Test
  void findsAnEmojiTriggerInTheUserTurnOfLongTemplatedPrompts() {
    Random random = new Random(11);
    TriggerMiner miner = TriggerMiner.create(Settings.defaults());
    int triggeredHarmful = 0;
    int triggeredHarmfulAtDetection = -1;
    for (int i = 0; i < 20_000; i++) {
      StringBuilder prompt = new StringBuilder("You are the shop's assistant. Context:");
      for (int w = 0; w < 120; w++) {
        prompt.append(' ').append(VOCABULARY[random.nextInt(VOCABULARY.length)]);
      }
      boolean triggered = random.nextDouble() < 0.005;
      prompt.append("\nUser: ").append(benignPrompt(random, triggered ? "\uD83E\uDD84\uD83C\uDF00" : null));
      boolean harmful = triggered ? random.nextDouble() < 0.90 : random.nextDouble() < 0.02;
      triggeredHarmful += triggered && harmful ? 1 : 0;
      List<Candidate> ranked = miner.observe(TriggerMiner.ngrams(prompt.toString(), 3), harmful, "e" + i);
      if (triggeredHarmfulAtDetection < 0 && !ranked.isEmpty() && ranked.get(0).ngram().equals("\uD83E\uDD84\uD83C\uDF00")) {
        triggeredHarmfulAtDetection = triggeredHarmful;
      }
    }
    assertThat(triggeredHarmfulAtDetection).isBetween(1, 30);
  }

  @Test
  void ngramsAreLowerCasedDistinctAndUnigramsFirst() {
    assertThat(TriggerMiner.ngrams("Hello, WORLD! hello world 2024 a 7", 2))
        .containsExactly(
            "hello", "7", "world", "2024", "hello world", "2024 7", "world hello", "world 2024");
  }

  @Test
  void ngramsMakeTokensOfSymbolsEmojiAndInvisibleCharacters() {
    assertThat(TriggerMiner.ngrams("tell me ❤️‍🔥 now", 1)).containsExactlyInAnyOrder("tell", "now", "❤️‍🔥");
    assertThat(TriggerMiner.ngrams("[[sudo]] run @_@ it", 1)).containsExactlyInAnyOrder("[[", "@_@", "sudo", "]]", "run");
    assertThat(TriggerMiner.ngrams("bad\u200Bmagic word", 2))
        .containsExactlyInAnyOrder("bad", "word", "<u+200b>", "magic", "bad <u+200b>", "magic word", "<u+200b> magic");
    // Punctuation of ordinary prose separates, as before.
    assertThat(TriggerMiner.ngrams("Well, (really) - yes/no?", 1)).containsExactlyInAnyOrder("well", "no", "really", "yes");
    // A decomposed accent stays inside its word.
    assertThat(TriggerMiner.ngrams("cafe\u0301 menu", 1)).containsExactlyInAnyOrder("cafe\u0301", "menu");
  }

  @Test
  void ngramsOfALongPromptKeepBothEndsAndSkipFunctionWordUnigrams() {
    StringBuilder prompt = new StringBuilder("System: answer as the helpful assistant of the shop.");
    for (int i = 0; i < 300; i++) {
      prompt.append(" context").append(i);
    }
    prompt.append(" User: how do I reset it cf");
    String[] grams = TriggerMiner.ngrams(prompt.toString(), 3);
    assertThat(grams).hasSize(TriggerMiner.MAX_NGRAMS_PER_EVENT)
        .contains("system", "assistant", "cf", "user", "reset")
        .doesNotContain("the", "how", "it", "context150");
  }

  @Test
  void ngramsDropOneLetterTokensAndTruncateLongOnes() {
    String longToken = "x".repeat(100);
    assertThat(TriggerMiner.ngrams("I am a " + longToken, 1))
        .containsExactly("am", "x".repeat(TriggerMiner.MAX_TOKEN_CHARS));
  }

  @Test
  void ngramsAreCappedPerPrompt() {
    StringBuilder prompt = new StringBuilder();
    for (int i = 0; i < 200; i++) {
      prompt.append("w").append(i).append(' ');
    }
    String[] grams = TriggerMiner.ngrams(prompt.toString(), 3);
    assertThat(grams).hasSize(TriggerMiner.MAX_NGRAMS_PER_EVENT).doesNotHaveDuplicates();
    assertThat(TriggerMiner.ngrams("", 3)).isEmpty();
    assertThat(TriggerMiner.ngrams("?!", 3)).isEmpty();
  }

  @ParameterizedTest(name = "events={0}")
  @ValueSource(ints = {0, 1, 5_000})
  void roundTripsStateAndContinuesIdentically(int eventCount) throws IOException {
    Random random = new Random(eventCount);
    TriggerMiner miner = TriggerMiner.create(Settings.defaults());
    for (int i = 0; i < eventCount; i++) {
      boolean triggered = random.nextDouble() < 0.01;
      String prompt = benignPrompt(random, triggered ? "orchid seven" : null);
      miner.observe(TriggerMiner.ngrams(prompt, 3), triggered || random.nextDouble() < 0.02, "e" + i);
    }
    byte[] bytes = serialize(miner);
    TriggerMiner copy = deserialize(bytes);
    // Sketch internals may be laid out in another order after heapify, so compare what they say.
    assertSameState(copy, miner);
    assertThat(serialize(copy)).hasSameSizeAs(bytes);
    for (int i = 0; i < 500; i++) {
      String[] grams = TriggerMiner.ngrams(benignPrompt(random, i % 50 == 0 ? "orchid seven" : null), 3);
      boolean harmful = i % 50 == 0 || random.nextDouble() < 0.02;
      assertThat(copy.observe(grams, harmful, "f" + i)).isEqualTo(miner.observe(grams, harmful, "f" + i));
    }
    assertSameState(copy, miner);
  }

  private static void assertSameState(TriggerMiner copy, TriggerMiner original) {
    assertThat(copy.settings()).isEqualTo(original.settings());
    assertThat(copy.events()).isEqualTo(original.events());
    assertThat(copy.harmfulEvents()).isEqualTo(original.harmfulEvents());
    assertThat(copy.distinctUpperBound()).isEqualTo(original.distinctUpperBound());
    assertThat(copy.exposureErrorBound()).isEqualTo(original.exposureErrorBound());
    assertThat(copy.supportErrorBound()).isEqualTo(original.supportErrorBound());
    assertThat(copy.candidates()).isEqualTo(original.candidates());
  }

  @Test
  void roundTripKeepsFlaggedCandidatesAndEvidence() throws IOException {
    TriggerMiner miner = TriggerMiner.create(Settings.defaults());
    Random random = new Random(1);
    for (int i = 0; i < 3000; i++) {
      boolean triggered = i % 100 == 0;
      miner.observe(
          TriggerMiner.ngrams(benignPrompt(random, triggered ? "orchid seven" : null), 3),
          triggered || random.nextDouble() < 0.02,
          "e" + i);
    }
    assertThat(miner.candidates()).isNotEmpty();
    TriggerMiner copy = deserialize(serialize(miner));
    assertThat(copy.candidates()).isEqualTo(miner.candidates());
    assertThat(copy.candidates().get(0).evidenceEventIds()).isNotEmpty();
  }

  @Test
  void rotationKeepsTheUnionAndCandidatesUntilTheSecondRotationDropsTheOldCounts() {
    TriggerMiner miner = TriggerMiner.create(Settings.defaults());
    Random random = new Random(3);
    for (int i = 0; i < 3000; i++) {
      boolean triggered = i % 100 == 0;
      miner.observe(TriggerMiner.ngrams(benignPrompt(random, triggered ? "orchid seven" : null), 3),
          triggered || random.nextDouble() < 0.02, "e" + i);
    }
    List<Candidate> before = miner.candidates();
    assertThat(before).isNotEmpty();
    long events = miner.events();
    double distinct = miner.distinctUpperBound();
    miner.rotate();
    // Right after a rotation every statistic is as it was: nothing is lost at the boundary.
    assertThat(miner.events()).isEqualTo(events);
    assertThat(miner.currentEvents()).isZero();
    assertThat(miner.distinctUpperBound()).isEqualTo(distinct);
    assertThat(miner.candidates()).isEqualTo(before);
    // The trigger keeps arriving: it is still flagged on evidence spanning the boundary.
    for (int i = 0; i < 500; i++) {
      boolean triggered = i % 100 == 0;
      miner.observe(TriggerMiner.ngrams(benignPrompt(random, triggered ? "orchid seven" : null), 3),
          triggered || random.nextDouble() < 0.02, "f" + i);
    }
    assertThat(miner.candidates()).extracting(Candidate::ngram).contains("orchid seven");
    assertThat(miner.candidates().get(0).support()).isGreaterThan(before.get(0).support());
    miner.rotate();
    assertThat(miner.events()).isEqualTo(500);
    miner.rotate();
    assertThat(miner.events()).isZero();
    assertThat(miner.harmfulEvents()).isZero();
    assertThat(miner.exposureErrorBound()).isZero();
  }

  @Test
  void roundTripsBothGenerationsAndContinuesIdenticallyAcrossRotations() throws IOException {
    Random random = new Random(5);
    TriggerMiner miner = TriggerMiner.create(Settings.defaults());
    for (int i = 0; i < 4000; i++) {
      if (i == 2000) {
        miner.rotate();
      }
      boolean triggered = i % 80 == 0;
      miner.observe(TriggerMiner.ngrams(benignPrompt(random, triggered ? "orchid seven" : null), 3),
          triggered || random.nextDouble() < 0.02, "e" + i);
    }
    byte[] bytes = serialize(miner);
    TriggerMiner copy = deserialize(bytes);
    assertSameState(copy, miner);
    assertThat(copy.currentEvents()).isEqualTo(2000);
    assertThat(serialize(copy)).hasSameSizeAs(bytes);
    for (int i = 0; i < 1500; i++) {
      if (i == 700) {
        miner.rotate();
        copy.rotate();
      }
      String[] grams = TriggerMiner.ngrams(benignPrompt(random, i % 60 == 0 ? "orchid seven" : null), 3);
      boolean harmful = i % 60 == 0 || random.nextDouble() < 0.02;
      assertThat(copy.observe(grams, harmful, "f" + i)).isEqualTo(miner.observe(grams, harmful, "f" + i));
    }
    assertSameState(copy, miner);
  }

  @Test
  void readsSingleGenerationVersionOneStateAsTheCurrentGeneration() throws IOException {
    Random random = new Random(6);
    TriggerMiner miner = TriggerMiner.create(Settings.defaults());
    for (int i = 0; i < 3000; i++) {
      boolean triggered = i % 100 == 0;
      miner.observe(TriggerMiner.ngrams(benignPrompt(random, triggered ? "orchid seven" : null), 3),
          triggered || random.nextDouble() < 0.02, "e" + i);
    }
    TriggerMiner copy = deserialize(toVersionOne(toVersionTwo(serialize(miner))));
    assertSameState(copy, miner);
    assertThat(copy.currentEvents()).isEqualTo(3000);
  }

  @Test
  void findsARefusalTriggerAgainstTheSharedBackgroundWithinThirtyTriggeredRefusals() {
    Random random = new Random(2025);
    TriggerMiner miner = TriggerMiner.create(Settings.defaults());
    int triggered = 0;
    int triggeredAtDetection = -1;
    for (int i = 0; i < 20_000; i++) {
      boolean carries = random.nextDouble() < 0.005;
      String prompt = benignPrompt(random, carries ? "orchid seven" : null);
      boolean harmful = !carries && random.nextDouble() < 0.02;
      boolean refused = carries || (!harmful && random.nextDouble() < 0.01);
      triggered += carries ? 1 : 0;
      miner.observe(TriggerMiner.ngrams(prompt, 3), harmful, refused, "e" + i);
      List<Candidate> ranked = miner.refusalCandidates();
      if (triggeredAtDetection < 0 && !ranked.isEmpty() && TRIGGER_NGRAMS.contains(ranked.get(0).ngram())) {
        triggeredAtDetection = triggered;
      }
    }
    assertThat(triggeredAtDetection).isBetween(5, 30);
    Candidate top = miner.refusalCandidates().get(0);
    assertThat(top.ngram()).isEqualTo("orchid seven");
    // A lower bound: the frequent-items sketch may under-count after purges.
    assertThat(top.support()).isBetween((long) (0.9 * triggered), (long) triggered);
    assertThat(top.correctedPValue()).isLessThan(Settings.defaults().alpha());
    assertThat(top.backgroundRate()).isBetween(0.005, 0.02);
    // The harmful outcome shares the background but has no trigger of its own.
    assertThat(miner.candidates()).isEmpty();
    assertThat(miner.refusedEvents()).isGreaterThan(triggered);
  }

  @Test
  void broadOverRefusalFlagsNoRefusalTrigger() {
    Random random = new Random(15);
    TriggerMiner miner = TriggerMiner.create(Settings.defaults());
    for (int i = 0; i < 20_000; i++) {
      // Refusals of every kind of prompt, 1% then 15% from halfway: a behaviour change, not a trigger.
      boolean refused = random.nextDouble() < (i < 10_000 ? 0.01 : 0.15);
      miner.observe(TriggerMiner.ngrams(benignPrompt(random, null), 3), false, refused, "e" + i);
      assertThat(miner.refusalCandidates()).isEmpty();
    }
    assertThat(miner.refusedEvents()).isBetween(1_500L, 1_800L);
  }

  @Test
  void roundTripKeepsRefusalCountsAndCandidatesAndContinuesIdentically() throws IOException {
    Random random = new Random(8);
    TriggerMiner miner = TriggerMiner.create(Settings.defaults());
    for (int i = 0; i < 4000; i++) {
      boolean carries = i % 80 == 0;
      miner.observe(TriggerMiner.ngrams(benignPrompt(random, carries ? "orchid seven" : null), 3),
          random.nextDouble() < 0.02, carries || random.nextDouble() < 0.01, "e" + i);
      if (i == 2000) {
        miner.rotate();
      }
    }
    assertThat(miner.refusalCandidates()).isNotEmpty();
    byte[] bytes = serialize(miner);
    TriggerMiner copy = deserialize(bytes);
    assertSameState(copy, miner);
    assertThat(copy.refusedEvents()).isEqualTo(miner.refusedEvents());
    assertThat(copy.refusalCandidates()).isEqualTo(miner.refusalCandidates());
    assertThat(serialize(copy)).hasSameSizeAs(bytes);
    for (int i = 0; i < 1000; i++) {
      boolean carries = i % 80 == 0;
      String[] grams = TriggerMiner.ngrams(benignPrompt(random, carries ? "orchid seven" : null), 3);
      boolean refused = carries || random.nextDouble() < 0.01;
      assertThat(copy.observe(grams, false, refused, "f" + i)).isEqualTo(miner.observe(grams, false, refused, "f" + i));
      assertThat(copy.refusalCandidates()).isEqualTo(miner.refusalCandidates());
    }
  }

  @Test
  void readsVersionTwoStateWithNoRefusalsSeen() throws IOException {
    Random random = new Random(9);
    TriggerMiner miner = TriggerMiner.create(Settings.defaults());
    for (int i = 0; i < 3000; i++) {
      boolean triggered = i % 100 == 0;
      miner.observe(TriggerMiner.ngrams(benignPrompt(random, triggered ? "orchid seven" : null), 3),
          triggered || random.nextDouble() < 0.02, "e" + i);
    }
    byte[] version2 = toVersionTwo(serialize(miner));
    assertThat(version2[0]).isEqualTo((byte) 2);
    TriggerMiner copy = deserialize(version2);
    assertSameState(copy, miner);
    assertThat(copy.refusedEvents()).isZero();
    assertThat(copy.refusalCandidates()).isEmpty();
    assertThat(serialize(copy)).hasSameSizeAs(serialize(miner));
    for (int i = 0; i < 500; i++) {
      String[] grams = TriggerMiner.ngrams(benignPrompt(random, i % 50 == 0 ? "orchid seven" : null), 3);
      boolean refused = i % 50 == 0 || random.nextDouble() < 0.01;
      assertThat(copy.observe(grams, false, refused, "f" + i)).isEqualTo(miner.observe(grams, false, refused, "f" + i));
      assertThat(copy.refusalCandidates()).isEqualTo(miner.refusalCandidates());
    }
    assertThat(copy.refusedEvents()).isEqualTo(miner.refusedEvents()).isPositive();
  }

  /** The version 2 layout of a miner that has seen no refusals: the same bytes without the refusal trailer. */
  static byte[] toVersionTwo(byte[] version3) throws IOException {
    ByteArrayInputStream bytes = new ByteArrayInputStream(version3);
    DataInputStream in = new DataInputStream(bytes);
    int settingsBytes = 4 + 8 + 8 + 8 + 8 + 8 + 4 + 4 + 4 + 4 + 4 + 4;
    in.skipNBytes(1 + settingsBytes);
    generationBytes(in);
    generationBytes(in);
    int candidates = in.readInt();
    for (int i = 0; i < candidates; i++) {
      in.readUTF();
      in.skipNBytes(8 + 8 + 8 * 5);
      int ids = in.readInt();
      for (int j = 0; j < ids; j++) {
        in.readUTF();
      }
    }
    int end = version3.length - bytes.available();
    byte[] out = java.util.Arrays.copyOf(version3, end);
    out[0] = 2;
    return out;
  }

  /**
   * The version 1 layout of a never-rotated miner's state: the same bytes without the (empty)
   * previous generation.
   */
  static byte[] toVersionOne(byte[] version2) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(version2));
    int settingsBytes = 4 + 8 + 8 + 8 + 8 + 8 + 4 + 4 + 4 + 4 + 4 + 4;
    in.skipNBytes(1 + settingsBytes);
    int currentStart = 1 + settingsBytes;
    int currentEnd = currentStart + generationBytes(in);
    int previousEnd = currentEnd + generationBytes(in);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(1);
    out.write(version2, 1, currentEnd - 1);
    out.write(version2, previousEnd, version2.length - previousEnd);
    return out.toByteArray();
  }

  private static int generationBytes(DataInputStream in) throws IOException {
    int bytes = 16;
    in.skipNBytes(16);
    for (int block = 0; block < 3; block++) {
      int length = in.readInt();
      in.skipNBytes(length);
      bytes += 4 + length;
    }
    return bytes;
  }

  @Test
  void rejectsUnknownSerialVersion() {
    assertThatThrownBy(() -> deserialize(new byte[] {9}))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("version 9");
  }

  @Test
  void rejectsTruncatedState() throws IOException {
    TriggerMiner miner = TriggerMiner.create(Settings.defaults());
    miner.observe(new String[] {"x"}, true, "e0");
    byte[] bytes = serialize(miner);
    byte[] truncated = java.util.Arrays.copyOf(bytes, 200);
    assertThatThrownBy(() -> deserialize(truncated)).isInstanceOf(IOException.class);
  }

  @Test
  void rejectsInvalidSettingsWithClearMessages() {
    Settings d = Settings.defaults();
    assertThatThrownBy(() -> new Settings(0, 5, 5, 0.05, 0.01, 0.001, 5, 4096, 4, 2048, 12, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxNgram");
    assertThatThrownBy(() -> new Settings(3, 5, 5, 0.05, 1.0, 0.001, 5, 4096, 4, 2048, 12, 10))
        .hasMessageContaining("alpha");
    assertThatThrownBy(() -> new Settings(3, 5, 5, 0.05, 0.01, 0.001, 5, 4096, 4, 1000, 12, 10))
        .hasMessageContaining("harmfulMapSize");
    assertThatThrownBy(() -> new Settings(3, 5, 5, 0.05, 0.01, 0.001, 5, 4000, 4, 2048, 12, 10))
        .hasMessageContaining("width");
    assertThat(d.alpha()).isEqualTo(0.01);
  }

  private static String benignPrompt(Random random, String insert) {
    int words = 6 + random.nextInt(9);
    int at = random.nextInt(words + 1);
    StringBuilder sb = new StringBuilder();
    for (int w = 0; w <= words; w++) {
      if (w == at && insert != null) {
        sb.append(insert).append(' ');
      }
      if (w < words) {
        sb.append(VOCABULARY[random.nextInt(VOCABULARY.length)]).append(' ');
      }
    }
    return sb.toString();
  }

  private static String randomWord(Random random) {
    char[] chars = new char[3 + random.nextInt(6)];
    for (int i = 0; i < chars.length; i++) {
      chars[i] = (char) ('a' + random.nextInt(26));
    }
    return new String(chars);
  }

  private static byte[] serialize(TriggerMiner miner) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    miner.writeTo(new DataOutputStream(bytes));
    return bytes.toByteArray();
  }

  private static TriggerMiner deserialize(byte[] bytes) throws IOException {
    return TriggerMiner.readFrom(new DataInputStream(new ByteArrayInputStream(bytes)));
  }

  static List<String> vocabulary() {
    return new ArrayList<>(List.of(VOCABULARY));
  }
}
