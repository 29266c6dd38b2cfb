package io.llmsafety.monitor.event;

/**
 * A rejected input record, as written to {@code llm.safety.dead-letter}. The payload is the
 * original record so it can be fixed and replayed; the topic therefore needs the same access
 * control as the input topic. Flink POJO (record) so it crosses operators without Kryo.
 *
 * @param reason {@link RejectReason#code()}
 * @param detail human-readable detail (field name, parser message); never contains payload text
 * @param eventId the event id when it could be read, else null
 * @param variantId the variant when it could be read, else null
 * @param payload the original record (UTF-8), truncated to {@link #MAX_PAYLOAD_CHARS}
 */
public record DeadLetter(String reason, String detail, String eventId, String variantId, String payload) {

  public static final int MAX_PAYLOAD_CHARS = 1 << 20;

  public static DeadLetter of(RejectReason reason, String detail, String eventId, String variantId, String payload) {
    String kept = payload != null && payload.length() > MAX_PAYLOAD_CHARS ? payload.substring(0, MAX_PAYLOAD_CHARS) : payload;
    return new DeadLetter(reason.code(), detail, eventId, variantId, kept);
  }
}
