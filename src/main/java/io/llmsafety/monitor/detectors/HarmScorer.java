package io.llmsafety.monitor.detectors;

/** Scores how likely a response carries out a harmful request. Thread-safe and stateless. */
public interface HarmScorer {

  /** @return a score in [0,1]; at or above {@link #threshold()} the response counts as harmful */
  double score(String prompt, String response);

  /**
   * Same as {@link #score(String, String)} when the caller has already scored the response with
   * the refusal scorer of the same {@link ScorerSet}; a scorer that uses refusal as a feature may
   * reuse it instead of scanning the response again. The default ignores it.
   */
  default double score(String prompt, String response, double refusalScore) {
    return score(prompt, response);
  }

  default double threshold() {
    return 0.5;
  }
}
