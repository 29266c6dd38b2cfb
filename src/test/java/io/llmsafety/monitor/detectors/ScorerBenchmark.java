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

  @Benchmark
  public double refusal() {
    return builtin.refusal().score(responses[advance()]);
  }

  @Benchmark
  public double promptRisk() {
    return builtin.promptRisk().score(prompts[advance()]);
  }

  /** Harm on its own, given the refusal score (as the pipeline calls it). */
  @Benchmark
  public double harm() {
    int i = advance();
    return builtin.harm().score(prompts[i], responses[i], 0.1);
  }

  /** What the pipeline does per event: prompt risk, refusal, then harm reusing the refusal score. */
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
   * Thread CPU time per operation, a cross-check of the JMH wall-clock figures on a loaded
   * machine (other processes inflate wall time, not this thread's CPU time). Run with {@code
   * java -Dshared.data.dir=... -cp ... io.llmsafety.monitor.detectors.ScorerBenchmark}.
   */
  public static void main(String[] args) {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    double sink = 0;
    for (int bytes : new int[] {256, 1024, 4096}) {
      ScorerBenchmark b = new ScorerBenchmark();
      b.responseBytes = bytes;
      b.load();
      java.util.Map<String, java.util.function.DoubleSupplier> ops = new java.util.LinkedHashMap<>();
      ops.put("refusal", b::refusal);
      ops.put("promptRisk", b::promptRisk);
      ops.put("harm", b::harm);
      ops.put("allThree", b::allThree);
      for (int round = 0; round < 3; round++) { // rounds 0-1 warm up
        for (java.util.Map.Entry<String, java.util.function.DoubleSupplier> op : ops.entrySet()) {
          int n = 50_000;
          long t0 = mx.getCurrentThreadCpuTime();
          for (int i = 0; i < n; i++) {
            sink += op.getValue().getAsDouble();
          }
          long ns = mx.getCurrentThreadCpuTime() - t0;
          if (round == 2) {
            System.out.printf(
                "%5d B  %-11s %8.0f ns/op (thread CPU time, %d pairs)%n",
                bytes, op.getKey(), (double) ns / n, b.prompts.length);
          }
        }
      }
    }
    System.out.println(sink > 0 ? "" : " ");
  }
}
