package io.llmsafety.monitor.detectors;

/** Scores how likely a response carries out a harmful request. Thread-safe and stateless. */
public interface HarmScorer {

  /** @return a score in [0,1]; at or above {@link #threshold()} the response counts as harmful */
  double score(String prompt, String response);

  default double threshold() {
    return 0.5;
  }
}
