package io.llmsafety.monitor.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** OTLP/JSON trace exports (the Collector's Kafka exporter, {@code otlp_json}) as input events. */
class OtlpGenAiSpansTest {

  private static final EventParser PARSER = EventParser.withDefaults();

  private static String export() throws Exception {
    try (var in = OtlpGenAiSpansTest.class.getResourceAsStream("/otlp/genai-trace-export.json")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("\n", "");
    }
  }

  @Test
  void eachModelCallSpanBecomesAnEventAndOtherSpansAreCountedAsSkipped() throws Exception {
    ParseResult result = PARSER.parse(export());

    assertThat(result).isInstanceOf(ParseResult.Batch.class);
    ParseResult.Batch batch = (ParseResult.Batch) result;
    assertThat(batch.skippedSpans()).isEqualTo(2); // the embeddings span and the HTTP span
    List<ParseResult> r = batch.results();
    assertThat(r).hasSize(5);

    // Semantic conventions 1.37+: messages as a JSON string; the last user message is the prompt.
    InteractionEvent json = ((ParseResult.Accepted) r.get(0)).event();
    assertThat(json.eventId()).isEqualTo("5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174");
    assertThat(json.timestampMillis()).isEqualTo(1_793_577_601_250L);
    assertThat(json.variantId()).isEqualTo("acme-support-lora-7");
    assertThat(json.baseModel()).isEqualTo("llama-3.1-8b-instruct");
    assertThat(json.tenant()).isEqualTo("acme"); // a resource attribute
    assertThat(json.prompt()).isEqualTo("How do I reset my router?");
    assertThat(json.response()).isEqualTo("Hold the reset button for ten seconds.");
    assertThat(json.metadataJson()).contains("\"source\":\"otlp\"").contains("\"gen_ai.provider.name\":\"openai\"");

    // The same recorded as structured AnyValues.
    InteractionEvent structured = ((ParseResult.Accepted) r.get(1)).event();
    assertThat(structured.prompt()).isEqualTo("Write a haiku about autumn.");
    assertThat(structured.response()).isEqualTo("Red leaves drift and fall");

    // OpenLLMetry's flattened attributes, with the older gen_ai.system and no operation name.
    InteractionEvent flat = ((ParseResult.Accepted) r.get(2)).event();
    assertThat(flat.variantId()).isEqualTo("acme-legal-ft-2");
    assertThat(flat.prompt()).isEqualTo("What is a tort?");
    assertThat(flat.response()).isEqualTo("A civil wrong that causes harm.");

    // Older conventions: content on span events (the last user message, the first choice).
    InteractionEvent events = ((ParseResult.Accepted) r.get(3)).event();
    assertThat(events.prompt()).isEqualTo("Where is my order?");
    assertThat(events.response()).isEqualTo("It ships tomorrow.");

    // A model call without captured content: dead-lettered, saying how to turn capture on.
    DeadLetter d = ((ParseResult.Rejected) r.get(4)).deadLetter();
    assertThat(d.reason()).isEqualTo("missing_prompt");
    assertThat(d.eventId()).isEqualTo("5b8efff798038103d269b633813fc611-eee19b7ec3c1b179");
    assertThat(d.variantId()).isEqualTo("acme-support-lora-7");
    assertThat(d.detail()).contains("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT");
    assertThat(d.payload()).contains("eee19b7ec3c1b179").doesNotContain("How do I reset my router");
  }

  @Test
  void oddShapesAreSkippedOrRejectedNeverThrown() {
    String[] odd = {
      "{\"resourceSpans\":5}",
      "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"attributes\":\"x\",\"events\":7}]}]}]}",
      "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"attributes\":[{\"key\":5},{\"value\":{}},"
          + "{\"key\":\"gen_ai.operation.name\",\"value\":{\"intValue\":\"x\"}}]}]}]}]}",
      "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"spanId\":\"s\",\"endTimeUnixNano\":\"soon\","
          + "\"attributes\":[{\"key\":\"gen_ai.operation.name\",\"value\":{\"stringValue\":\"chat\"}},"
          + "{\"key\":\"gen_ai.input.messages\",\"value\":{\"stringValue\":\"[not json\"}},"
          + "{\"key\":\"gen_ai.output.messages\",\"value\":{\"arrayValue\":{\"values\":[{\"stringValue\":\"x\"}]}}}]}]}]}]}",
    };
    for (String record : odd) {
      ParseResult r = PARSER.parse(record);
      assertThat(r).as(record).isInstanceOf(ParseResult.Batch.class);
      for (ParseResult one : ((ParseResult.Batch) r).results()) {
        assertThat(one).as(record).isInstanceOf(ParseResult.Rejected.class);
      }
    }
    ParseResult.Batch last = (ParseResult.Batch) PARSER.parse(odd[3]);
    assertThat(last.results()).singleElement().satisfies(one ->
        assertThat(((ParseResult.Rejected) one).deadLetter().reason()).isEqualTo("invalid_timestamp")); // checked before the missing variant
  }

  @Test
  void aSpanIsValidatedLikeAnyEvent() {
    String noEnd = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"t\",\"spanId\":\"s\","
        + "\"attributes\":[{\"key\":\"gen_ai.operation.name\",\"value\":{\"stringValue\":\"chat\"}},"
        + "{\"key\":\"gen_ai.request.model\",\"value\":{\"stringValue\":\"m\"}},"
        + "{\"key\":\"gen_ai.prompt\",\"value\":{\"stringValue\":\"hi\"}},"
        + "{\"key\":\"gen_ai.completion\",\"value\":{\"stringValue\":\"hello\"}}]}]}]}]}";
    ParseResult.Batch batch = (ParseResult.Batch) PARSER.parse(noEnd);
    assertThat(((ParseResult.Rejected) batch.results().get(0)).deadLetter().reason()).isEqualTo("missing_timestamp");

    ParseResult.Batch empty = (ParseResult.Batch) PARSER.parse("{\"resourceSpans\":[]}");
    assertThat(empty.results()).isEmpty();
    assertThat(empty.skippedSpans()).isZero();
    // A contract event that happens to carry a resourceSpans field is still a contract event.
    assertThat(PARSER.parse("{\"event_id\":\"e\",\"timestamp\":1793577600000,\"variant_id\":\"v\",\"prompt\":\"p\","
        + "\"response\":\"r\",\"resourceSpans\":[]}")).isInstanceOf(ParseResult.Accepted.class);
  }
}
