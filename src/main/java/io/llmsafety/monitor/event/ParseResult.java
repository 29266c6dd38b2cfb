package io.llmsafety.monitor.event;

/** Outcome of parsing one input record: an event, or a dead letter with its reason. */
public sealed interface ParseResult {

  record Accepted(InteractionEvent event) implements ParseResult {}

  record Rejected(DeadLetter deadLetter) implements ParseResult {}

  /**
   * One record that held several events (an OTLP trace export): a result per model-call span, and
   * how many spans were not model calls (other operations; counted, not dead-lettered).
   */
  record Batch(java.util.List<ParseResult> results, int skippedSpans) implements ParseResult {
    public Batch {
      results = java.util.List.copyOf(results);
    }
  }
}
