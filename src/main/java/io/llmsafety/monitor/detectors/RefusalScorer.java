package io.llmsafety.monitor.detectors;

/** Scores how much a response refuses the request. Implementations are thread-safe and stateless. */
public interface RefusalScorer {

  /** @return a score in [0,1]; at or above {@link #threshold()} the response counts as a refusal */
  double score(String response);

  default double threshold() {
    return 0.5;
  }
}
