package io.llmsafety.monitor.detectors;

/** Scores how likely a prompt asks for harmful help. Thread-safe and stateless. */
public interface PromptRiskScorer {

  /** @return a score in [0,1]; at or above {@link #threshold()} the prompt is in the risky segment */
  double score(String prompt);

  default double threshold() {
    return 0.5;
  }
}
