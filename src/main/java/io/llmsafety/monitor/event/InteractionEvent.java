package io.llmsafety.monitor.event;

import java.util.Map;
import java.util.Objects;

/**
 * One validated production interaction (DESIGN.md section 3). Plain Java: it lives between parsing
 * and scoring inside one operator and never crosses a Flink network boundary.
 *
 * @param timestampMillis event time, epoch milliseconds
 * @param prompt the last user turn (from {@code prompt}, or the last {@code user} message)
 * @param scores upstream classifier scores in [0,1]; empty when absent
 * @param metadataJson the {@code metadata} object re-serialised, or null; passed through untouched
 */
public record InteractionEvent(
    String eventId,
    long timestampMillis,
    String variantId,
    String baseModel,
    String tenant,
    String prompt,
    String response,
    Map<String, Double> scores,
    String metadataJson) {

  public InteractionEvent {
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(variantId, "variantId");
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(response, "response");
    scores = scores == null ? Map.of() : Map.copyOf(scores);
  }
}
