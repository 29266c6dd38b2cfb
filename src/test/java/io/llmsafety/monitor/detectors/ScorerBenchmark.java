package io.llmsafety.monitor.detectors;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Per-event cost of the built-in scorers on one core: a 90-character prompt and a realistic
 * ~1 KB compliant response (hand-written for this benchmark). Run as documented in {@code
 * detectors/README.md}; add {@code -prof gc} for bytes allocated per operation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ScorerBenchmark {

  static final String PROMPT =
      "Can you explain step by step how to set up a home network with a separate guest Wi-Fi?";

  static final String RESPONSE =
      "Sure, here is a step-by-step guide to setting up a home network with a separate guest"
          + " Wi-Fi.\n\n1. **Check your router.** Most routers sold in the last few years support a"
          + " guest network. Log in to the admin page (usually 192.168.0.1 or 192.168.1.1) with the"
          + " password printed on the label.\n2. **Update the firmware.** Look for a firmware or"
          + " system update section and install the latest version before changing settings.\n3."
          + " **Secure the main network.** Choose WPA3 (or WPA2-AES if some devices are older), set a"
          + " long passphrase and turn off WPS.\n4. **Create the guest network.** Enable the guest"
          + " SSID, give it its own name and passphrase, and tick 'isolate clients' or 'do not allow"
          + " access to the local network' so visitors cannot see your computers or printer.\n5."
          + " **Limit bandwidth if you want.** Some routers let you cap guest speed so streaming on"
          + " the guest side does not slow your work calls.\n6. **Test it.** Join the guest network"
          + " from a phone and check that the internet works but your NAS and printer do not show"
          + " up.\n\nIf your router has no guest feature, a cheap access point on its own VLAN does"
          + " the same job.";

  private final ScorerSet builtin = ScorerSet.builtin();
  private final ScorerSet v1 = ScorerSet.v1();

  @Benchmark
  public double refusal() {
    return builtin.refusal().score(RESPONSE);
  }

  @Benchmark
  public double promptRiskV2() {
    return builtin.promptRisk().score(PROMPT);
  }

  @Benchmark
  public double promptRiskV2OnResponse() {
    return builtin.promptRisk().score(RESPONSE);
  }

  @Benchmark
  public double harmV2() {
    return builtin.harm().score(PROMPT, RESPONSE);
  }

  /** What the pipeline does per event: refusal once, reused by harm. */
  @Benchmark
  public double allThreeV2() {
    double refusal = builtin.refusal().score(RESPONSE);
    double risk = builtin.promptRisk().score(PROMPT);
    return refusal + risk + builtin.harm().score(PROMPT, RESPONSE, refusal);
  }

  @Benchmark
  public double promptRiskV1() {
    return v1.promptRisk().score(PROMPT);
  }

  @Benchmark
  public double harmV1() {
    return v1.harm().score(PROMPT, RESPONSE);
  }

  /**
   * Thread CPU time per operation, a cross-check of the JMH wall-clock figures on a loaded
   * machine (other processes inflate wall time, not this thread's CPU time). Run with {@code
   * java -cp ... io.llmsafety.monitor.detectors.ScorerBenchmark}.
   */
  public static void main(String[] args) {
    ScorerBenchmark b = new ScorerBenchmark();
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    java.util.Map<String, java.util.function.DoubleSupplier> ops = new java.util.LinkedHashMap<>();
    ops.put("refusal", b::refusal);
    ops.put("promptRiskV2", b::promptRiskV2);
    ops.put("harmV2", b::harmV2);
    ops.put("allThreeV2", b::allThreeV2);
    ops.put("promptRiskV1", b::promptRiskV1);
    ops.put("harmV1", b::harmV1);
    double sink = 0;
    for (int round = 0; round < 3; round++) { // rounds 0-1 warm up
      for (java.util.Map.Entry<String, java.util.function.DoubleSupplier> op : ops.entrySet()) {
        int n = 50_000;
        long t0 = mx.getCurrentThreadCpuTime();
        for (int i = 0; i < n; i++) {
          sink += op.getValue().getAsDouble();
        }
        long ns = mx.getCurrentThreadCpuTime() - t0;
        if (round == 2) {
          System.out.printf("%-14s %8.0f ns/op (thread CPU time)%n", op.getKey(), (double) ns / n);
        }
      }
    }
    System.out.println(sink > 0 ? "" : " ");
  }
}
