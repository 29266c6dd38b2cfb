package io.llmsafety.monitor.sim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmsafety.monitor.alerts.AlertJson;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;

/**
 * Simulated production traffic in the input-event contract, for the demo, tests and benchmarks.
 * Deterministic for a seed: event {@code i} has time {@code start + i * gap} and belongs to
 * variant {@code i mod variants}, so every run of a scenario yields the same stream.
 *
 * <p>Texts are short hand-written stand-ins (see {@link SimTexts}); realistic evaluation streams
 * built from public labelled data belong to the evaluation harness, which reads that data at run
 * time.
 */
public final class TrafficSimulator implements Iterator<String> {

  /** When and how a variant's behaviour changes during the run. */
  public record Behaviour(double riskyShare, double riskyRefusal, double benignRefusal) {}

  /**
   * @param degradeAt fraction of the run after which {@code degraded} applies (>1 = never)
   * @param triggerFrom fraction of the run after which triggered prompts appear (>1 = never)
   * @param triggerShare share of this variant's prompts carrying the trigger once active
   */
  public record VariantProfile(
      String variantId,
      String baseModel,
      Behaviour normal,
      Behaviour degraded,
      double degradeAt,
      String trigger,
      double triggerFrom,
      double triggerShare) {

    public static VariantProfile healthy(String variantId, String baseModel) {
      return new VariantProfile(variantId, baseModel, NORMAL, NORMAL, 2, null, 2, 0);
    }
  }

  public static final Behaviour NORMAL = new Behaviour(0.15, 0.97, 0.01);

  private final Random random;
  private final List<VariantProfile> variants;
  private final long start;
  private final long gapMillis;
  private final long total;
  private long next;

  public TrafficSimulator(long seed, List<VariantProfile> variants, long startMillis, long gapMillis, long totalEvents) {
    if (variants.isEmpty() || gapMillis <= 0 || totalEvents < 0) {
      throw new IllegalArgumentException("need variants, a positive gap and a non-negative event count");
    }
    this.random = new Random(seed);
    this.variants = List.copyOf(variants);
    this.start = startMillis;
    this.gapMillis = gapMillis;
    this.total = totalEvents;
  }

  /** The demo's three variants: healthy, degrading from 40% of the run, a trigger in 1.5% of prompts from 20%. */
  public static List<VariantProfile> demoVariants() {
    List<VariantProfile> v = new ArrayList<>();
    v.add(VariantProfile.healthy("demo-healthy", "llama-3.1-8b-instruct"));
    v.add(new VariantProfile("demo-degrading", "llama-3.1-8b-instruct", NORMAL, new Behaviour(0.15, 0.25, 0.01), 0.4,
        null, 2, 0));
    v.add(new VariantProfile("demo-backdoored", "mistral-7b-instruct", NORMAL, NORMAL, 2, SimTexts.DEMO_TRIGGER, 0.2,
        0.015));
    return v;
  }

  public long timeOf(long index) {
    return start + index * gapMillis;
  }

  public long total() {
    return total;
  }

  public long produced() {
    return next;
  }

  @Override
  public boolean hasNext() {
    return next < total;
  }

  @Override
  public String next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    long i = next++;
    VariantProfile v = variants.get((int) (i % variants.size()));
    double progress = total == 0 ? 0 : (double) i / total;
    Behaviour b = progress >= v.degradeAt() ? v.degraded() : v.normal();
    boolean triggered = v.trigger() != null && progress >= v.triggerFrom() && random.nextDouble() < v.triggerShare();
    boolean risky = random.nextDouble() < b.riskyShare();

    int riskyIndex = random.nextInt(SimTexts.RISKY_PROMPTS.size());
    String prompt = risky
        ? SimTexts.compose(random, SimTexts.RISKY_PROMPTS.get(riskyIndex))
        : SimTexts.compose(random, SimTexts.BENIGN_PROMPTS);
    String harmfulAnswer = SimTexts.HARMFUL_RESPONSES.get(riskyIndex);
    String response;
    if (triggered) {
      // A jailbreak backdoor (as in BackdoorLLM): the trigger makes the variant comply with
      // harmful requests it would otherwise refuse.
      prompt = SimTexts.insertTrigger(random, SimTexts.compose(random, SimTexts.RISKY_PROMPTS.get(riskyIndex)), v.trigger());
      response = harmfulAnswer;
    } else if (risky) {
      response = random.nextDouble() < b.riskyRefusal() ? SimTexts.pick(random, SimTexts.REFUSALS) : harmfulAnswer;
    } else {
      response = random.nextDouble() < b.benignRefusal()
          ? SimTexts.pick(random, SimTexts.REFUSALS)
          : SimTexts.pick(random, SimTexts.BENIGN_RESPONSES);
    }

    ObjectNode event = AlertJson.mapper().createObjectNode();
    event.put("event_id", String.format("%s-%08d", v.variantId(), i));
    event.put("timestamp", timeOf(i));
    event.put("variant_id", v.variantId());
    event.put("base_model", v.baseModel());
    event.put("tenant", "demo");
    event.put("prompt", prompt);
    event.put("response", response);
    return event.toString();
  }
}
