package io.llmsafety.monitor.detectors;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Per-event cost of the built-in scorers on one core, on real prompt/response pairs whose
 * response is about {@code responseBytes} long (UTF-8, within -20%/+25%): AlpacaEval answers
 * (benign traffic) and HarmBench classifier-validation generations (harmful and refused
 * completions), up to 64 pairs per length, taken in file order. Each call scores the next pair,
 * so caches and branch predictors see varied text as in production rather than one string
 * repeated. Reads {@code -Dshared.data.dir}; run as documented in {@code detectors/README.md},
 * with {@code -prof gc} for bytes allocated per event.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ScorerBenchmark {

  static final int POOL = 64;

  @Param({"256", "1024", "4096"})
  public int responseBytes;

  private final ScorerSet builtin = ScorerSet.builtin();
  private final LexiconRefusalScorer refusalV1 = LexiconRefusalScorer.builtin();
  private String[] prompts;
  private String[] responses;
  private int next;

  @Setup(Level.Trial)
  public void load() {
    List<String[]> pairs = pairs(responseBytes);
    prompts = pairs.stream().map(p -> p[0]).toArray(String[]::new);
    responses = pairs.stream().map(p -> p[1]).toArray(String[]::new);
  }

  /** Up to {@link #POOL} real (prompt, response) pairs with a response of about {@code bytes}. */
  static List<String[]> pairs(int bytes) {
    List<String[]> alpaca = pairs("benign_alpaca_eval/alpaca_eval_outputs_dev.jsonl", "instruction", "output", bytes);
    List<String[]> harmbench = pairs("harmbench/harmbench_text_classifier_val.jsonl", "test_case", "generation", bytes);
    List<String[]> out = new ArrayList<>();
    for (int i = 0; out.size() < POOL && (i < alpaca.size() || i < harmbench.size()); i++) {
      if (i < alpaca.size()) {
        out.add(alpaca.get(i));
      }
      if (i < harmbench.size() && out.size() < POOL) {
        out.add(harmbench.get(i));
      }
    }
    if (out.isEmpty()) {
      throw new IllegalStateException("no shared-data responses of about " + bytes + " bytes");
    }
    return out;
  }

  private static List<String[]> pairs(String file, String promptField, String responseField, int bytes) {
    List<String[]> out = new ArrayList<>();
    for (JsonNode row : SharedData.jsonl(file)) {
      String prompt = row.path(promptField).asText("");
      String response = row.path(responseField).asText("");
      int n = response.getBytes(StandardCharsets.UTF_8).length;
      if (n >= bytes * 4 / 5 && n < bytes * 5 / 4) {
        out.add(new String[] {prompt, response});
      }
    }
    return out;
  }

  private int advance() {
    int i = next;
    next = i + 1 == prompts.length ? 0 : i + 1;
    return i;
  }

  /** Refusal v2, the pipeline's refusal scorer. */
  @Benchmark
  public double refusal() {
    return builtin.refusal().score(responses[advance()]);
  }

  /** The v1 refusal lexicon on its own (the fallback {@link ScorerSet#v1}). */
  @Benchmark
  public double refusalV1() {
    return refusalV1.score(responses[advance()]);
  }

  @Benchmark
  public double promptRisk() {
    return builtin.promptRisk().score(prompts[advance()]);
  }

  /** Harm on its own, called as the pipeline calls it (the refusal score is not one of its features). */
  @Benchmark
  public double harm() {
    int i = advance();
    return builtin.harm().score(prompts[i], responses[i], 0.1);
  }

  /** What the pipeline does per event: prompt risk, refusal, then harm. */
  @Benchmark
  public double allThree() {
    int i = advance();
    String prompt = prompts[i];
    String response = responses[i];
    double risk = builtin.promptRisk().score(prompt);
    double refusal = builtin.refusal().score(response);
    return risk + refusal + builtin.harm().score(prompt, response, refusal);
  }

  /**
   * Before/after cross-check on a loaded machine: thread CPU time and bytes allocated per event of
   * the production scorers and of the frozen pre-optimisation copies in {@code
   * detectors.reference} (refusal v2 as merged, before its hot-path work; the others before
   * theirs; they read the same shipped model files, so after a retrain with cheaper features they
   * show the old code on the new models), interleaved in short slices in one JVM so both see the same load
   * (other processes inflate wall time, and contention inflates even CPU time, but equally for
   * both). Prints the median slice after warm-up. Run with {@code java -Dshared.data.dir=... -cp
   * ... io.llmsafety.monitor.detectors.ScorerBenchmark [bytes...]}.
   */
  public static void main(String[] args) {
    com.sun.management.ThreadMXBean mx =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long self = Thread.currentThread().getId();
    int[] lengths = args.length == 0 ? new int[] {256, 1024, 4096}
        : java.util.Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
    var refRefusal = io.llmsafety.monitor.detectors.reference.LinearRefusalScorer.builtin();
    var refRefusalV1 = io.llmsafety.monitor.detectors.reference.LexiconRefusalScorer.builtin();
    var refRisk = io.llmsafety.monitor.detectors.reference.LinearPromptRiskScorer.builtin();
    var refHarm = io.llmsafety.monitor.detectors.reference.LinearHarmScorer.builtin();
    double[] sink = new double[1];
    for (int bytes : lengths) {
      ScorerBenchmark b = new ScorerBenchmark();
      b.responseBytes = bytes;
      b.load();
      java.util.Map<String, java.util.function.DoubleSupplier> ops = new java.util.LinkedHashMap<>();
      ops.put("refusal", b::refusal);
      ops.put("promptRisk", b::promptRisk);
      ops.put("refusalV1", b::refusalV1);
      ops.put("harm", b::harm);
      ops.put("allThree", b::allThree);
      ops.put("refusal (before)", () -> refRefusal.score(b.responses[b.advance()]));
      ops.put("refusalV1 (before)", () -> refRefusalV1.score(b.responses[b.advance()]));
      ops.put("promptRisk (before)", () -> refRisk.score(b.prompts[b.advance()]));
      ops.put("harm (before)", () -> {
        int i = b.advance();
        return refHarm.score(b.prompts[i], b.responses[i]);
      });
      ops.put("allThree (before)", () -> {
        int i = b.advance();
        double risk = refRisk.score(b.prompts[i]);
        double refusal = refRefusal.score(b.responses[i]);
        return risk + refusal + refHarm.score(b.prompts[i], b.responses[i]);
      });
      int warmup = 20;
      int rounds = 60;
      int n = 400;
      java.util.Map<String, long[]> cpu = new java.util.LinkedHashMap<>();
      java.util.Map<String, long[]> alloc = new java.util.LinkedHashMap<>();
      for (int round = 0; round < warmup + rounds; round++) {
        for (var op : ops.entrySet()) {
          long t0 = mx.getCurrentThreadCpuTime();
          long a0 = mx.getThreadAllocatedBytes(self);
          for (int i = 0; i < n; i++) {
            sink[0] += op.getValue().getAsDouble();
          }
          long t = mx.getCurrentThreadCpuTime() - t0;
          long a = mx.getThreadAllocatedBytes(self) - a0;
          if (round >= warmup) {
            cpu.computeIfAbsent(op.getKey(), k -> new long[rounds])[round - warmup] = t;
            alloc.computeIfAbsent(op.getKey(), k -> new long[rounds])[round - warmup] = a;
          }
        }
      }
      double promptChars = java.util.Arrays.stream(b.prompts).mapToInt(String::length).average().orElse(0);
      double responseChars = java.util.Arrays.stream(b.responses).mapToInt(String::length).average().orElse(0);
      System.out.printf("%d B responses: %d pairs, mean prompt %.0f chars, mean response %.0f chars%n",
          bytes, b.prompts.length, promptChars, responseChars);
      for (String op : ops.keySet()) {
        long[] t = cpu.get(op);
        long[] a = alloc.get(op);
        java.util.Arrays.sort(t);
        java.util.Arrays.sort(a);
        System.out.printf("  %-20s %8.0f ns/event CPU (median of %d; quartiles %.0f-%.0f)  %7.0f B/event%n",
            op, (double) t[rounds / 2] / n, rounds, (double) t[rounds / 4] / n,
            (double) t[3 * rounds / 4] / n, (double) a[rounds / 2] / n);
      }
    }
    System.out.println(sink[0] > 0 ? "" : " ");
  }
}
