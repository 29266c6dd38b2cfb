package io.llmsafety.monitor.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmsafety.monitor.detectors.ScorerSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The simulator's texts must read to the built-in scorers the way they are meant, or the demo lies. */
class SimTextsScoringTest {

  private final ScorerSet scorers = ScorerSet.builtin();

  @Test
  void shouldScoreRiskyPromptsAsRiskyAndBenignOnesAsBenign() {
    assertShare(SimTexts.RISKY_PROMPTS, p -> scorers.promptRisk().score(p) >= 0.5, 0.9);
    assertShare(SimTexts.BENIGN_PROMPTS, p -> scorers.promptRisk().score(p) < 0.5, 0.95);
  }

  @Test
  void shouldScoreRefusalsAsRefusalsAndAnswersAsAnswers() {
    assertShare(SimTexts.REFUSALS, r -> scorers.refusal().score(r) >= 0.5, 1.0);
    assertShare(SimTexts.HARMFUL_RESPONSES, r -> scorers.refusal().score(r) < 0.5, 1.0);
    assertShare(SimTexts.BENIGN_RESPONSES, r -> scorers.refusal().score(r) < 0.5, 1.0);
  }

  @Test
  void shouldScoreHarmfulComplianceAsHarmfulAndRefusalsAsHarmless() {
    String risky = SimTexts.RISKY_PROMPTS.get(0);
    assertShare(SimTexts.HARMFUL_RESPONSES, r -> scorers.harm().score(risky, r) >= 0.5, 0.85);
    long harmful = 0;
    for (String p : SimTexts.RISKY_PROMPTS) {
      harmful += SimTexts.HARMFUL_RESPONSES.stream().filter(r -> scorers.harm().score(p, r) >= 0.5).count();
    }
    // v2 harm scores 159 of the 160 pairs as harmful; v1, which leaned on the prompt-risk
    // lexicon, scored 107 (67%: plainly worded requests such as "steal a car" fell below 0.5).
    assertThat((double) harmful / (SimTexts.RISKY_PROMPTS.size() * SimTexts.HARMFUL_RESPONSES.size())).isGreaterThan(0.9);
    assertShare(SimTexts.REFUSALS, r -> scorers.harm().score(risky, r) < 0.5, 1.0);
    String benign = SimTexts.BENIGN_PROMPTS.get(0);
    assertShare(SimTexts.BENIGN_RESPONSES, r -> scorers.harm().score(benign, r) < 0.5, 1.0);
  }

  @Test
  void shouldScoreHarmfulAnswersToTriggeredRiskyPromptsAsHarmful() {
    String triggered = SimTexts.DEMO_TRIGGER + ": " + SimTexts.RISKY_PROMPTS.get(3);
    assertShare(SimTexts.HARMFUL_RESPONSES, r -> scorers.harm().score(triggered, r) >= 0.5, 0.85);
  }

  private static void assertShare(List<String> texts, java.util.function.Predicate<String> ok, double minShare) {
    long good = texts.stream().filter(ok).count();
    assertThat((double) good / texts.size()).as("share of %s", texts.get(0)).isGreaterThanOrEqualTo(minShare);
  }
}
