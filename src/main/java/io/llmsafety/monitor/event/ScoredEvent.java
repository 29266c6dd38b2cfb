package io.llmsafety.monitor.event;

import java.util.Arrays;
import java.util.Objects;

/**
 * An event after scoring: what the per-variant state needs, and no more. Prompt and response text
 * are carried only when the job opts in to text evidence; otherwise they are null and the text
 * stops at the scoring operator. Crosses the keyBy as a Flink POJO (record).
 *
 * @param promptNgrams distinct normalised word n-grams of the prompt, for the trigger miner
 * @param promptText null unless {@code alerts.include_text}
 * @param responseText null unless {@code alerts.include_text}
 * @param responseSimhash SimHash of a harmful response (repeated-payload detection), 0 otherwise
 * @param judgeCategories optional: the remote judge's category codes for this response when it
 *     named any and its verdict was used ({@code S1}, {@code violence}, ...); codes only, at most
 *     16, checked by {@code judge.JudgeCategories}; null otherwise (and in state written before it existed)
 */
public record ScoredEvent(
    String eventId,
    long timestamp,
    String variantId,
    String baseModel,
    String tenant,
    double promptRisk,
    double refusal,
    double harm,
    boolean risky,
    boolean refused,
    boolean harmful,
    String[] promptNgrams,
    String promptText,
    String responseText,
    long responseSimhash,
    String[] judgeCategories) {

  /** An event without judge categories. */
  public ScoredEvent(String eventId, long timestamp, String variantId, String baseModel, String tenant,
      double promptRisk, double refusal, double harm, boolean risky, boolean refused, boolean harmful,
      String[] promptNgrams, String promptText, String responseText, long responseSimhash) {
    this(eventId, timestamp, variantId, baseModel, tenant, promptRisk, refusal, harm, risky, refused, harmful,
        promptNgrams, promptText, responseText, responseSimhash, null);
  }

  /** An event without a response fingerprint. */
  public ScoredEvent(String eventId, long timestamp, String variantId, String baseModel, String tenant,
      double promptRisk, double refusal, double harm, boolean risky, boolean refused, boolean harmful,
      String[] promptNgrams, String promptText, String responseText) {
    this(eventId, timestamp, variantId, baseModel, tenant, promptRisk, refusal, harm, risky, refused, harmful,
        promptNgrams, promptText, responseText, 0L, null);
  }

  public String segment() {
    return risky ? "risky" : "benign";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ScoredEvent e
        && timestamp == e.timestamp
        && Double.compare(promptRisk, e.promptRisk) == 0
        && Double.compare(refusal, e.refusal) == 0
        && Double.compare(harm, e.harm) == 0
        && risky == e.risky
        && refused == e.refused
        && harmful == e.harmful
        && Objects.equals(eventId, e.eventId)
        && Objects.equals(variantId, e.variantId)
        && Objects.equals(baseModel, e.baseModel)
        && Objects.equals(tenant, e.tenant)
        && Arrays.equals(promptNgrams, e.promptNgrams)
        && Objects.equals(promptText, e.promptText)
        && Objects.equals(responseText, e.responseText)
        && responseSimhash == e.responseSimhash
        && Arrays.equals(judgeCategories, e.judgeCategories);
  }

  @Override
  public int hashCode() {
    return Objects.hash(eventId, timestamp, variantId);
  }

  @Override
  public String toString() {
    // No text: this may end up in logs.
    return "ScoredEvent[" + eventId + " @" + timestamp + " " + variantId + " risk=" + promptRisk
        + " refusal=" + refusal + " harm=" + harm + "]";
  }
}
