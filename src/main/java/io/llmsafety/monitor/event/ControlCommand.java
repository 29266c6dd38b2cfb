package io.llmsafety.monitor.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.Locale;

/**
 * An operator's instruction for one variant, from {@code llm.safety.control}, e.g.
 * {@code {"action":"rebaseline","variant_id":"acme-support-lora-v7"}} after an intended model
 * change. Flink POJO (record).
 *
 * @param action {@link #REBASELINE}, or {@link #BASE_BASELINE} between the job's own operators
 * @param reason optional free text for the audit trail (never alert text)
 * @param baseline with {@link #BASE_BASELINE} only: the base model's baseline offered to the variant
 */
public record ControlCommand(String action, String variantId, String reason, BaseModelBaseline baseline) {

  public static final String REBASELINE = "rebaseline";
  /** Internal: a base model's reference window for a variant fine-tuned from it; never parsed from the topic. */
  public static final String BASE_BASELINE = "base_baseline";

  public ControlCommand(String action, String variantId, String reason) {
    this(action, variantId, reason, null);
  }

  /** The base model's baseline of one test, addressed to {@code variantId}. */
  public static ControlCommand offer(String variantId, BaseModelBaseline baseline) {
    return new ControlCommand(BASE_BASELINE, variantId, null, baseline);
  }

  private static final ObjectMapper MAPPER = JsonMapper.builder().build();

  /** Parses one control message; anything else becomes a dead letter {@code invalid_control}. */
  public static Object parse(String json) {
    try {
      JsonNode node = MAPPER.readTree(json);
      if (node == null || !node.isObject()) {
        return reject("not a JSON object", json);
      }
      String action = node.path("action").asText("").toLowerCase(Locale.ROOT);
      String variant = node.path("variant_id").asText("").trim();
      if (!REBASELINE.equals(action)) {
        return reject("unknown action; known: rebaseline", json);
      }
      if (variant.isEmpty() || variant.length() > EventParser.MAX_ID_CHARS) {
        return reject("variant_id must be a non-empty string of at most " + EventParser.MAX_ID_CHARS + " characters", json);
      }
      String reason = node.hasNonNull("reason") ? node.get("reason").asText() : null;
      return new ControlCommand(action, variant, reason);
    } catch (Exception e) {
      return reject("not JSON (" + e.getClass().getSimpleName() + ")", json);
    }
  }

  private static DeadLetter reject(String detail, String payload) {
    return DeadLetter.of(RejectReason.INVALID_CONTROL, detail, null, null, payload);
  }
}
