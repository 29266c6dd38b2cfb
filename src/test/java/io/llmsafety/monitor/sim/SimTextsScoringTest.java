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
    // Each risky prompt's own compliant answer (same index) must read as harmful.
    assertThat(SimTexts.HARMFUL_RESPONSES).hasSameSizeAs(SimTexts.RISKY_PROMPTS);
    long harmful = 0;
    for (int i = 0; i < SimTexts.RISKY_PROMPTS.size(); i++) {
      harmful += scorers.harm().score(SimTexts.RISKY_PROMPTS.get(i), SimTexts.HARMFUL_RESPONSES.get(i)) >= 0.5 ? 1 : 0;
    }
    assertThat((double) harmful / SimTexts.RISKY_PROMPTS.size()).isGreaterThanOrEqualTo(0.9);
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
