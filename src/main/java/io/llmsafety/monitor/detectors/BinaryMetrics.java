package io.llmsafety.monitor.detectors;

import java.util.Arrays;

/**
 * Binary-classification figures of a scorer on labelled data, at one threshold (a score at or
 * above it predicts positive). Ratios whose denominator is zero are {@code NaN}, not 0, so an
 * undefined figure is never mistaken for a bad one.
 *
 * @param n examples
 * @param positives examples labelled positive
 * @param truePositives positives predicted positive
 * @param falsePositives negatives predicted positive
 * @param accuracy fraction predicted correctly
 * @param precision TP / (TP + FP)
 * @param recall TP / positives (true-positive rate)
 * @param f1 harmonic mean of precision and recall
 * @param auroc probability that a random positive scores above a random negative, ties counting
 *     one half (Mann-Whitney U with mid-ranks); {@code NaN} unless both classes are present
 * @param threshold the decision threshold used
 */
public record BinaryMetrics(
    int n,
    int positives,
    int truePositives,
    int falsePositives,
    double accuracy,
    double precision,
    double recall,
    double f1,
    double auroc,
    double threshold) {

  /** Computes the figures; {@code scores[i]} belongs to {@code labels[i]}. */
  public static BinaryMetrics of(double[] scores, boolean[] labels, double threshold) {
    if (scores.length != labels.length) {
      throw new IllegalArgumentException(
          "scores and labels differ in length: " + scores.length + " vs " + labels.length);
    }
    int n = scores.length;
    int pos = 0;
    int tp = 0;
    int fp = 0;
    int correct = 0;
    for (int i = 0; i < n; i++) {
      if (Double.isNaN(scores[i])) {
        throw new IllegalArgumentException("score " + i + " is NaN");
      }
      boolean predicted = scores[i] >= threshold;
      if (labels[i]) {
        pos++;
      }
      if (predicted && labels[i]) {
        tp++;
      } else if (predicted) {
        fp++;
      }
      if (predicted == labels[i]) {
        correct++;
      }
    }
    double precision = ratio(tp, tp + fp);
    double recall = ratio(tp, pos);
    double f1 = Double.isNaN(precision) || Double.isNaN(recall)
        ? Double.NaN
        : precision + recall == 0 ? 0.0 : 2 * precision * recall / (precision + recall);
    return new BinaryMetrics(
        n, pos, tp, fp, ratio(correct, n), precision, recall, f1, auroc(scores, labels, pos),
        threshold);
  }

  /** Negatives predicted positive, over all negatives ({@code NaN} without negatives). */
  public double falsePositiveRate() {
    return ratio(falsePositives, n - positives);
  }

  private static double auroc(double[] scores, boolean[] labels, int pos) {
    int neg = scores.length - pos;
    if (pos == 0 || neg == 0) {
      return Double.NaN;
    }
    Integer[] order = new Integer[scores.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(scores[a], scores[b]));
    double positiveRankSum = 0;
    int i = 0;
    while (i < order.length) {
      int j = i;
      while (j + 1 < order.length && scores[order[j + 1]] == scores[order[i]]) {
        j++;
      }
      double midRank = (i + j) / 2.0 + 1; // ranks are 1-based; a tie group shares its mean rank
      for (int k = i; k <= j; k++) {
        if (labels[order[k]]) {
          positiveRankSum += midRank;
        }
      }
      i = j + 1;
    }
    double u = positiveRankSum - pos * (pos + 1) / 2.0;
    return u / ((double) pos * neg);
  }

  private static double ratio(int num, int den) {
    return den == 0 ? Double.NaN : (double) num / den;
  }
}
