package io.llmsafety.monitor.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * OpenTelemetry GenAI spans as input events: an OTLP/JSON {@code ExportTraceServiceRequest} (what
 * the OpenTelemetry Collector's Kafka exporter writes with {@code encoding: otlp_json}) becomes one
 * event per model-call span, in the input contract's shape, then validated like any other record.
 *
 * <p>Mapping (GenAI semantic conventions; {@code llm_safety.*} span or resource attributes win):
 *
 * <ul>
 *   <li>{@code event_id}: {@code traceId-spanId}; {@code timestamp}: the span's end time;
 *   <li>{@code variant_id}: {@code llm_safety.variant_id}, else {@code gen_ai.request.model}, else
 *       {@code gen_ai.response.model} (a LoRA adapter is requested by its own model name);
 *   <li>{@code base_model}, {@code tenant}: {@code llm_safety.base_model}, {@code llm_safety.tenant};
 *   <li>prompt: the last user message of {@code gen_ai.input.messages} (semantic conventions 1.37+,
 *       a JSON string or a structured value, text parts joined), else the flattened {@code
 *       gen_ai.prompt.N.role} / {@code .content} attributes (OpenLLMetry), else {@code gen_ai.prompt};
 *   <li>response: the first message of {@code gen_ai.output.messages}, else {@code
 *       gen_ai.completion.0.content}, else {@code gen_ai.completion}.
 *   <li>older conventions' span events count as those last attributes ({@link #contentFromEvents}).
 * </ul>
 *
 * <p>Spans of other operations (embeddings, tools, agents, HTTP) are skipped and counted, not
 * dead-lettered: a trace batch holds many of them. A model-call span without captured content is
 * dead-lettered with a hint: GenAI instrumentations record message content only when asked to.
 */
final class OtlpGenAiSpans {

  /** Operations whose spans are one model call with a prompt and a response. */
  private static final Set<String> INFERENCE = Set.of("chat", "text_completion", "generate_content");
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private OtlpGenAiSpans() {}

  /** Whether {@code root} is an OTLP/JSON trace export rather than an input-contract event. */
  static boolean isTraceExport(JsonNode root) {
    return root.isObject() && root.has("resourceSpans") && !root.has("event_id");
  }

  /** Visits every span of one export with its input-contract object (null for a span that is not a model call). */
  static void forEachSpan(JsonNode root, SpanVisitor visitor) {
    for (JsonNode resourceSpans : root.path("resourceSpans")) {
      Map<String, JsonNode> resource = attributes(resourceSpans.path("resource").path("attributes"));
      for (JsonNode scopeSpans : resourceSpans.path("scopeSpans")) {
        for (JsonNode span : scopeSpans.path("spans")) {
          Map<String, JsonNode> attrs = new HashMap<>(resource);
          attrs.putAll(attributes(span.path("attributes")));
          contentFromEvents(span.path("events"), attrs);
          visitor.visit(span, toEvent(span, attrs));
        }
      }
    }
  }

  interface SpanVisitor {
    /** {@code event} is null when the span is not a model call. */
    void visit(JsonNode span, ObjectNode event);
  }

  private static ObjectNode toEvent(JsonNode span, Map<String, JsonNode> attrs) {
    String operation = string(attrs.get("gen_ai.operation.name"));
    boolean hasContent = attrs.containsKey("gen_ai.input.messages") || attrs.containsKey("gen_ai.output.messages")
        || attrs.containsKey("gen_ai.prompt") || attrs.containsKey("gen_ai.completion")
        || attrs.containsKey("gen_ai.prompt.0.content") || attrs.containsKey("gen_ai.completion.0.content");
    if (operation == null ? !hasContent : !INFERENCE.contains(operation)) {
      return null;
    }
    ObjectNode e = NODES.objectNode();
    String traceId = span.path("traceId").asText("");
    String spanId = span.path("spanId").asText("");
    if (!spanId.isEmpty()) {
      e.put("event_id", traceId.isEmpty() ? spanId : traceId + "-" + spanId);
    }
    JsonNode end = span.path("endTimeUnixNano");
    if (!end.isMissingNode() && !end.isNull()) {
      try {
        e.put("timestamp", Long.parseLong(end.asText().strip()) / 1_000_000L);
      } catch (NumberFormatException bad) {
        e.put("timestamp", end.asText()); // the contract's parser rejects it with its own message
      }
    }
    putIfPresent(e, "variant_id", first(attrs, "llm_safety.variant_id", "gen_ai.request.model", "gen_ai.response.model"));
    putIfPresent(e, "base_model", first(attrs, "llm_safety.base_model"));
    putIfPresent(e, "tenant", first(attrs, "llm_safety.tenant"));
    String prompt = prompt(attrs);
    String response = response(attrs);
    if (prompt != null) {
      e.put("prompt", prompt);
    }
    if (response != null) {
      e.put("response", response);
    }
    ObjectNode metadata = e.putObject("metadata");
    metadata.put("source", "otlp");
    putIfPresent(metadata, "span_name", span.path("name").isTextual() ? span.path("name").asText() : null);
    putIfPresent(metadata, "gen_ai.operation.name", operation);
    putIfPresent(metadata, "gen_ai.provider.name", first(attrs, "gen_ai.provider.name", "gen_ai.system"));
    return e;
  }

  /** Which content attribute a model-call span lacked, for the dead-letter detail; null if none. */
  static String contentHint(ObjectNode event) {
    if (!event.has("prompt") || !event.has("response")) {
      return " (span without gen_ai.input.messages / gen_ai.output.messages: enable content capture in the"
          + " GenAI instrumentation, e.g. OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true)";
    }
    return null;
  }

  /**
   * Content recorded on span events by older GenAI conventions, as the attribute the newer ones
   * use, unless the span has that attribute: {@code gen_ai.content.prompt} / {@code
   * gen_ai.content.completion} events (their {@code gen_ai.prompt} / {@code gen_ai.completion}
   * attribute), and {@code gen_ai.user.message} / {@code gen_ai.choice} events (their {@code
   * content}, or a {@code message} holding it).
   */
  private static void contentFromEvents(JsonNode events, Map<String, JsonNode> attrs) {
    String lastUser = null;
    String firstChoice = null;
    for (JsonNode event : events) {
      Map<String, JsonNode> a = attributes(event.path("attributes"));
      switch (event.path("name").asText("")) {
        case "gen_ai.content.prompt" -> copyIfAbsent(a, "gen_ai.prompt", attrs);
        case "gen_ai.content.completion" -> copyIfAbsent(a, "gen_ai.completion", attrs);
        case "gen_ai.user.message" -> lastUser = eventContent(a, lastUser);
        case "gen_ai.choice" -> firstChoice = firstChoice != null ? firstChoice : eventContent(a, null);
        default -> { }
      }
    }
    if (lastUser != null) {
      attrs.putIfAbsent("gen_ai.prompt", NODES.objectNode().put("stringValue", lastUser));
    }
    if (firstChoice != null) {
      attrs.putIfAbsent("gen_ai.completion", NODES.objectNode().put("stringValue", firstChoice));
    }
  }

  private static void copyIfAbsent(Map<String, JsonNode> from, String key, Map<String, JsonNode> to) {
    if (from.containsKey(key)) {
      to.putIfAbsent(key, from.get(key));
    }
  }

  private static String eventContent(Map<String, JsonNode> a, String otherwise) {
    String content = string(a.get("content"));
    if (content != null) {
      return content;
    }
    JsonNode message = a.get("message");
    if (message != null) {
      JsonNode m = plain(message);
      if (m.isTextual()) {
        m = EventParser.readTreeOrNull(m.asText());
      }
      if (m != null && m.path("content").isTextual()) {
        return m.path("content").asText();
      }
    }
    return otherwise;
  }

  private static String prompt(Map<String, JsonNode> attrs) {
    JsonNode input = messages(attrs.get("gen_ai.input.messages"));
    if (input != null) {
      String last = null;
      for (JsonNode m : input) {
        if ("user".equals(m.path("role").asText())) {
          last = text(m);
        }
      }
      if (last != null) {
        return last;
      }
    }
    String last = null;
    for (int i = 0; attrs.containsKey("gen_ai.prompt." + i + ".content"); i++) {
      String role = string(attrs.get("gen_ai.prompt." + i + ".role"));
      if (role == null || role.equals("user")) {
        last = string(attrs.get("gen_ai.prompt." + i + ".content"));
      }
    }
    return last != null ? last : string(attrs.get("gen_ai.prompt"));
  }

  private static String response(Map<String, JsonNode> attrs) {
    JsonNode output = messages(attrs.get("gen_ai.output.messages"));
    if (output != null && output.size() > 0) {
      String first = text(output.get(0));
      if (first != null) {
        return first;
      }
    }
    String flat = string(attrs.get("gen_ai.completion.0.content"));
    return flat != null ? flat : string(attrs.get("gen_ai.completion"));
  }

  /** A messages attribute as a JSON array: recorded as a JSON string, or structured. */
  private static JsonNode messages(JsonNode anyValue) {
    if (anyValue == null) {
      return null;
    }
    JsonNode value = plain(anyValue);
    if (value.isTextual()) {
      value = EventParser.readTreeOrNull(value.asText());
    }
    return value != null && value.isArray() ? value : null;
  }

  /** The text of one message: its text parts joined by newlines (or a plain {@code content} string). */
  private static String text(JsonNode message) {
    JsonNode content = message.path("content");
    if (content.isTextual()) {
      return content.asText();
    }
    StringBuilder s = new StringBuilder();
    for (JsonNode part : message.path("parts")) {
      String type = part.path("type").asText("text");
      JsonNode c = part.path("content");
      if (type.equals("text") && c.isTextual()) {
        s.append(s.length() == 0 ? "" : "\n").append(c.asText());
      }
    }
    return s.length() == 0 ? null : s.toString();
  }

  private static Map<String, JsonNode> attributes(JsonNode list) {
    Map<String, JsonNode> out = new HashMap<>();
    for (JsonNode kv : list) {
      if (kv.path("key").isTextual()) {
        out.put(kv.path("key").asText(), kv.path("value"));
      }
    }
    return out;
  }

  /** An OTLP AnyValue as plain JSON (kvlists become objects, arrays arrays, int64 strings numbers). */
  static JsonNode plain(JsonNode any) {
    if (any.has("stringValue")) {
      return any.get("stringValue");
    }
    if (any.has("boolValue")) {
      return any.get("boolValue");
    }
    if (any.has("intValue")) {
      JsonNode v = any.get("intValue");
      try {
        return NODES.numberNode(Long.parseLong(v.asText()));
      } catch (NumberFormatException e) {
        return v;
      }
    }
    if (any.has("doubleValue")) {
      return any.get("doubleValue");
    }
    if (any.has("arrayValue")) {
      ArrayNode a = NODES.arrayNode();
      for (JsonNode v : any.get("arrayValue").path("values")) {
        a.add(plain(v));
      }
      return a;
    }
    if (any.has("kvlistValue")) {
      ObjectNode o = NODES.objectNode();
      for (JsonNode kv : any.get("kvlistValue").path("values")) {
        o.set(kv.path("key").asText(), plain(kv.path("value")));
      }
      return o;
    }
    return NODES.nullNode();
  }

  private static String string(JsonNode anyValue) {
    if (anyValue == null) {
      return null;
    }
    JsonNode v = plain(anyValue);
    return v.isTextual() ? v.asText() : null;
  }

  private static String first(Map<String, JsonNode> attrs, String... keys) {
    for (String k : keys) {
      String v = string(attrs.get(k));
      if (v != null && !v.isBlank()) {
        return v;
      }
    }
    return null;
  }

  private static void putIfPresent(ObjectNode o, String field, String value) {
    if (value != null) {
      o.put(field, value);
    }
  }
}
