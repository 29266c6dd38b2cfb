package io.llmsafety.monitor.event;

/** Outcome of parsing one input record: an event, or a dead letter with its reason. */
public sealed interface ParseResult {

  record Accepted(InteractionEvent event) implements ParseResult {}

  record Rejected(DeadLetter deadLetter) implements ParseResult {}
}
