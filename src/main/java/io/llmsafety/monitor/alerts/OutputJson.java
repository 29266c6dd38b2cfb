package io.llmsafety.monitor.alerts;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmsafety.monitor.detectors.WindowStats;
import io.llmsafety.monitor.event.DeadLetter;
import java.time.Instant;

/** JSON of the non-alert outputs: window metrics and dead letters. */
public final class OutputJson {

  private OutputJson() {}

  public static String windowJson(WindowStats w) {
    ObjectNode root = AlertJson.mapper().createObjectNode();
    root.put("variant_id", w.variantId());
    if (w.baseModel() != null) {
      root.put("base_model", w.baseModel());
    }
    root.put("window_start", Instant.ofEpochMilli(w.windowStart()).toString());
    root.put("window_end", Instant.ofEpochMilli(w.windowEnd()).toString());
    root.put("events", w.events());
    segment(root.putObject("risky"), w.riskyEvents(), w.riskyRefusals(), w.riskyHarmful(), w.riskyRefusalRate(),
        w.riskyHarmfulRate());
    segment(root.putObject("benign"), w.benignEvents(), w.benignRefusals(), w.benignHarmful(), w.benignRefusalRate(),
        w.benignHarmfulRate());
    ObjectNode harm = root.putObject("harm_score");
    number(harm, "p50", w.harmP50());
    number(harm, "p90", w.harmP90());
    number(harm, "p99", w.harmP99());
    return root.toString();
  }

  public static String deadLetterJson(DeadLetter d) {
    return AlertJson.toJson(d);
  }

  private static void segment(ObjectNode node, long events, long refusals, long harmful, double refusalRate,
      double harmfulRate) {
    node.put("events", events);
    node.put("refusals", refusals);
    node.put("harmful", harmful);
    number(node, "refusal_rate", refusalRate);
    number(node, "harmful_rate", harmfulRate);
  }

  private static void number(ObjectNode node, String field, double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      node.putNull(field);
    } else {
      node.put(field, Math.round(value * 1_000_000d) / 1_000_000d);
    }
  }
}
