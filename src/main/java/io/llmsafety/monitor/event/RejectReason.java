package io.llmsafety.monitor.event;

/**
 * Why an input record was not accepted. {@link #code()} is the machine-readable value used in
 * dead-letter records and as the {@code reason} label of {@code llm_safety_dead_letters_total}.
 */
public enum RejectReason {
  MALFORMED_JSON("malformed_json"),
  NOT_AN_OBJECT("not_an_object"),
  MISSING_EVENT_ID("missing_event_id"),
  MISSING_TIMESTAMP("missing_timestamp"),
  INVALID_TIMESTAMP("invalid_timestamp"),
  MISSING_VARIANT_ID("missing_variant_id"),
  MISSING_PROMPT("missing_prompt"),
  MISSING_RESPONSE("missing_response"),
  INVALID_FIELD_TYPE("invalid_field_type"),
  INVALID_SCORE("invalid_score"),
  TOO_LARGE("too_large"),
  /** Arrived after the watermark had passed its event time. */
  LATE("late"),
  /** A control-topic message that is not a known command. */
  INVALID_CONTROL("invalid_control");

  private final String code;

  RejectReason(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }
}
