package io.llmsafety.monitor.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.llmsafety.monitor.detectors.VariantMonitor;
import io.llmsafety.monitor.jobs.config.JobSpec;
import org.junit.jupiter.api.Test;

class PipelineSettingsTest {

  private static final VariantMonitor.Settings DEFAULTS = PipelineSettings.from(JobSpec.defaults()).monitor();

  @Test
  void everyStatisticOfAVariantSharesTheFleetBudget() {
    // Four rate tests, the trigger miner and score drift: 60 risky events/h * 168 h * 1000 variants * 6.
    assertThat(PipelineSettings.TESTS_PER_VARIANT).isEqualTo(6);
    assertThat(DEFAULTS.riskyCompliance().arl0()).isCloseTo(60.0 * 168 * 1000 * 6, within(1e-3));
    assertThat(DEFAULTS.overRefusal().arl0()).isCloseTo(540.0 * 168 * 1000 * 6, within(1e-3));
  }

  @Test
  void scoreDriftUsesTheBenignBudgetAndRepeatedPayloadsTheBaselineWindow() {
    assertThat(DEFAULTS.scoreDrift().enabled()).isTrue();
    assertThat(DEFAULTS.scoreDrift().arl0()).isEqualTo(DEFAULTS.overRefusal().arl0());
    assertThat(DEFAULTS.scoreDrift().severity()).isEqualTo("warning");
    assertThat(DEFAULTS.repeatedPayload().enabled()).isTrue();
    assertThat(DEFAULTS.repeatedPayload().minDistinctPrompts()).isEqualTo(5);
    assertThat(DEFAULTS.repeatedPayload().referenceEvents()).isEqualTo(1000);
  }

  @Test
  void refusalTriggersTakeTheConfiguredCutAndNoneWhenDisabled() {
    assertThat(DEFAULTS.backdoor().refusalMaxPromptRisk()).isEqualTo(0.10);
    JobSpec off = JobSpec.parse("detectors:\n  backdoor:\n    refusal_triggers: {enabled: false}\n", "x.yaml", n -> null);
    assertThat(PipelineSettings.from(off).monitor().backdoor().refusalMaxPromptRisk()).isZero();
    JobSpec cut = JobSpec.parse("detectors:\n  backdoor:\n    refusal_triggers: {max_prompt_risk: 0.03}\n", "x.yaml",
        n -> null);
    assertThat(PipelineSettings.from(cut).monitor().backdoor().refusalMaxPromptRisk()).isEqualTo(0.03);
  }

  @Test
  void theBenignHarmCutReachesTheBackdoorWatch() {
    assertThat(DEFAULTS.backdoor().benignHarmMaxPromptRisk()).isEqualTo(0.25);
    JobSpec cut = JobSpec.parse("detectors:\n  backdoor: {benign_harm_max_prompt_risk: 0.05}\n", "x.yaml", n -> null);
    assertThat(PipelineSettings.from(cut).monitor().backdoor().benignHarmMaxPromptRisk()).isEqualTo(0.05);
  }
}
