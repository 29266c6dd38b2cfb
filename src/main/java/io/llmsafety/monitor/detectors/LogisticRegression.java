package io.llmsafety.monitor.detectors;

import java.util.Arrays;
import java.util.List;

/**
 * L2-regularised, example-weighted logistic regression fitted by L-BFGS (Nocedal and Wright,
 * Numerical Optimization, algorithm 7.4, memory 10, Armijo backtracking) on sparse rows.
 *
 * <p>The objective is convex, the optimiser is full-batch and every sum runs in a fixed order,
 * so the result is a pure function of the rows and settings: no randomness, and the same
 * weights bit for bit on every run on the same JVM. The last weight is the bias, which is not
 * regularised.
 */
public final class LogisticRegression {

  /** A sparse example: feature indices and values, label, and example weight. */
  public record Row(int[] index, float[] value, boolean label, double weight) {}

  private static final int MEMORY = 10;

  private LogisticRegression() {}

  /**
   * @param rows training rows; indices in {@code [0, dim-1)}, {@code dim-1} is the bias
   * @param dim number of weights including the bias
   * @param regularized weights {@code [0, regularized)} carry the L2 penalty; the rest (a few
   *     dense features and the bias) do not, so a strong prior feature is not shrunk away
   * @param lambda L2 strength per unit of total example weight
   * @param maxIterations L-BFGS iterations
   * @return the weights, bias last
   */
  public static double[] fit(List<Row> rows, int dim, int regularized, double lambda, int maxIterations) {
    if (regularized < 0 || regularized >= dim) {
      throw new IllegalArgumentException("regularized must be in [0, dim)");
    }
    double totalWeight = 0;
    for (Row r : rows) {
      totalWeight += r.weight();
    }
    if (rows.isEmpty() || totalWeight <= 0) {
      throw new IllegalArgumentException("no training rows");
    }
    double[] w = new double[dim];
    double[] g = new double[dim];
    double f = objective(rows, w, g, regularized, lambda, totalWeight);
    double[][] s = new double[MEMORY][];
    double[][] y = new double[MEMORY][];
    double[] rho = new double[MEMORY];
    int stored = 0;
    int head = 0;
    double[] alpha = new double[MEMORY];
    double[] next = new double[dim];
    double[] nextG = new double[dim];
    for (int it = 0; it < maxIterations; it++) {
      double gNorm = Math.sqrt(dot(g, g));
      if (gNorm < 1e-7) {
        break;
      }
      // Two-loop recursion: d = -H g.
      double[] d = new double[dim];
      for (int j = 0; j < dim; j++) {
        d[j] = -g[j];
      }
      for (int k = 0; k < stored; k++) {
        int m = Math.floorMod(head - 1 - k, MEMORY);
        alpha[m] = rho[m] * dot(s[m], d);
        axpy(-alpha[m], y[m], d);
      }
      double gamma = 1.0 / gNorm;
      if (stored > 0) {
        int last = Math.floorMod(head - 1, MEMORY);
        gamma = dot(s[last], y[last]) / dot(y[last], y[last]);
      }
      for (int j = 0; j < dim; j++) {
        d[j] *= gamma;
      }
      for (int k = stored - 1; k >= 0; k--) {
        int m = Math.floorMod(head - 1 - k, MEMORY);
        double beta = rho[m] * dot(y[m], d);
        axpy(alpha[m] - beta, s[m], d);
      }
      double slope = dot(g, d);
      if (slope >= 0) { // not a descent direction: restart from steepest descent
        for (int j = 0; j < dim; j++) {
          d[j] = -g[j] / gNorm;
        }
        slope = dot(g, d);
        stored = 0;
      }
      double step = 1.0;
      double fNext = Double.NaN;
      for (int ls = 0; ls < 40; ls++) {
        for (int j = 0; j < dim; j++) {
          next[j] = w[j] + step * d[j];
        }
        fNext = objective(rows, next, nextG, regularized, lambda, totalWeight);
        if (fNext <= f + 1e-4 * step * slope) {
          break;
        }
        step *= 0.5;
      }
      if (!(fNext < f)) {
        break; // no progress possible at double precision
      }
      double[] sk = s[head] == null ? new double[dim] : s[head];
      double[] yk = y[head] == null ? new double[dim] : y[head];
      for (int j = 0; j < dim; j++) {
        sk[j] = next[j] - w[j];
        yk[j] = nextG[j] - g[j];
      }
      double sy = dot(sk, yk);
      System.arraycopy(next, 0, w, 0, dim);
      System.arraycopy(nextG, 0, g, 0, dim);
      boolean converged = f - fNext < 1e-10 * Math.max(1, Math.abs(f));
      f = fNext;
      if (sy > 1e-12) {
        s[head] = sk;
        y[head] = yk;
        rho[head] = 1.0 / sy;
        head = (head + 1) % MEMORY;
        stored = Math.min(stored + 1, MEMORY);
      } else if (stored == MEMORY) {
        stored--; // the pair at head was overwritten with an unusable one: forget it
      }
      if (converged) {
        break;
      }
    }
    return w;
  }

  /** Log-odds of a row under weights {@code w}. */
  public static double logit(Row r, double[] w) {
    double z = w[w.length - 1];
    int[] idx = r.index();
    float[] val = r.value();
    for (int k = 0; k < idx.length; k++) {
      z += w[idx[k]] * val[k];
    }
    return z;
  }

  private static double objective(
      List<Row> rows, double[] w, double[] grad, int regularized, double lambda, double totalWeight) {
    int bias = w.length - 1;
    double loss = 0;
    for (int j = 0; j < regularized; j++) {
      grad[j] = lambda * w[j];
      loss += 0.5 * lambda * w[j] * w[j];
    }
    Arrays.fill(grad, regularized, w.length, 0.0);
    for (Row r : rows) {
      double z = logit(r, w);
      double c = r.weight() / totalWeight;
      // log(1 + exp(-m)) computed stably for margin m.
      double m = r.label() ? z : -z;
      loss += c * (m > 0 ? Math.log1p(Math.exp(-m)) : -m + Math.log1p(Math.exp(m)));
      double p = 1.0 / (1.0 + Math.exp(-z));
      double err = c * (p - (r.label() ? 1 : 0));
      int[] idx = r.index();
      float[] val = r.value();
      for (int k = 0; k < idx.length; k++) {
        grad[idx[k]] += err * val[k];
      }
      grad[bias] += err;
    }
    return loss;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  private static void axpy(double a, double[] x, double[] y) {
    for (int i = 0; i < x.length; i++) {
      y[i] += a * x[i];
    }
  }
}
