package io.llmsafety.monitor.event;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Parses and validates one input record (DESIGN.md section 3) into an {@link InteractionEvent}, or a
 * {@link DeadLetter} saying why not. Never throws: a record that would throw inside a Flink function
 * would restart the job on the same offset forever, so every failure becomes a rejection.
 *
 * <p>Immutable and thread-safe; share one instance per operator (or per JVM). Serializable (only its
 * limits; the Jackson reader is static) so a Flink function can hold it as a plain field.
 *
 * <p>Dead-letter details name the field and the problem, never prompt or response text, and never
 * Jackson's own messages (they quote the offending token, which may be prompt text).
 */
public final class EventParser implements Serializable {

  private static final long serialVersionUID = 1L;

  public static final int DEFAULT_MAX_RECORD_BYTES = 1 << 20;
  /** Bounds prompt, response and message content: scorer cost is linear in text length. */
  public static final int DEFAULT_MAX_TEXT_CHARS = 256 * 1024;
  /** Ids become state keys, Kafka keys and metric labels, so they are bounded tightly. */
  public static final int MAX_ID_CHARS = 256;
  /** Enough to recognise a too-large record in the dead-letter topic without re-publishing it whole. */
  static final int TOO_LARGE_PAYLOAD_PREFIX_CHARS = 4096;

  // Event time outside this range is a producer bug (often epoch seconds or micros), not traffic.
  static final long MIN_TIMESTAMP_MILLIS = Instant.parse("2000-01-01T00:00:00Z").toEpochMilli();
  static final long MAX_TIMESTAMP_MILLIS = Instant.parse("2100-01-01T00:00:00Z").toEpochMilli();

  private static final int MAX_NESTING_DEPTH = 100;
  private static final int MAX_ECHOED_VALUE_CHARS = 64;

  private static final ObjectMapper MAPPER = newMapper();
  private static final ObjectReader READER = MAPPER.reader();
  private static final ObjectWriter COMPACT_WRITER = MAPPER.writer();

  /** Contract field -> JSON Pointer into the record (job spec {@code input.fields}); empty = the contract's own names. */
  private final Map<String, String> fields;
  private transient Map<String, com.fasterxml.jackson.core.JsonPointer> pointers;
  private final int maxRecordBytes;
  private final int maxTextChars;

  public EventParser(int maxRecordBytes, int maxTextChars) {
    this(maxRecordBytes, maxTextChars, Map.of());
  }

  private EventParser(int maxRecordBytes, int maxTextChars, Map<String, String> fields) {
    this.fields = Map.copyOf(fields);
    if (maxRecordBytes < 1) {
      throw new IllegalArgumentException("maxRecordBytes must be >= 1, got " + maxRecordBytes);
    }
    if (maxTextChars < 1) {
      throw new IllegalArgumentException("maxTextChars must be >= 1, got " + maxTextChars);
    }
    this.maxRecordBytes = maxRecordBytes;
    this.maxTextChars = maxTextChars;
  }

  public static EventParser withDefaults() {
    return new EventParser(DEFAULT_MAX_RECORD_BYTES, DEFAULT_MAX_TEXT_CHARS);
  }

  /**
   * This parser reading each mapped contract field from a JSON Pointer into the record instead of
   * from its own name (a producer's format as is: {@code variant_id} from {@code /model}, say).
   * A mapped field the record lacks is absent, even if the record has a field of the contract's name.
   *
   * @throws IllegalArgumentException for a pointer that does not compile
   */
  public EventParser withFields(Map<String, String> contractFieldPointers) {
    EventParser parser = new EventParser(maxRecordBytes, maxTextChars, contractFieldPointers);
    parser.pointers = parser.compiledPointers();
    return parser;
  }

  /** The pointers of {@link #fields}; transient, so rebuilt once after deserialization. */
  private Map<String, com.fasterxml.jackson.core.JsonPointer> compiledPointers() {
    Map<String, com.fasterxml.jackson.core.JsonPointer> p = new HashMap<>();
    for (Map.Entry<String, String> f : fields.entrySet()) {
      p.put(f.getKey(), com.fasterxml.jackson.core.JsonPointer.compile(f.getValue()));
    }
    return p;
  }

  /** The record with its mapped fields moved to their contract names (other fields as they are). */
  private JsonNode mapped(JsonNode root) {
    if (fields.isEmpty()) {
      return root;
    }
    Map<String, com.fasterxml.jackson.core.JsonPointer> p = pointers;
    if (p == null) {
      p = compiledPointers();
      pointers = p;
    }
    com.fasterxml.jackson.databind.node.ObjectNode out = ((com.fasterxml.jackson.databind.node.ObjectNode) root).deepCopy();
    for (Map.Entry<String, com.fasterxml.jackson.core.JsonPointer> f : p.entrySet()) {
      JsonNode value = root.at(f.getValue());
      if (value.isMissingNode()) {
        out.remove(f.getKey());
      } else {
        out.set(f.getKey(), value);
      }
    }
    return out;
  }

  public int maxRecordBytes() {
    return maxRecordBytes;
  }

  public int maxTextChars() {
    return maxTextChars;
  }

  /** Parses one UTF-8 record (a Kafka value). A null record is rejected as malformed JSON. */
  public ParseResult parse(byte[] utf8) {
    if (utf8 == null) {
      return reject(RejectReason.MALFORMED_JSON, "record is null", null, null, null);
    }
    if (utf8.length > maxRecordBytes) {
      String prefix = new String(utf8, 0, Math.min(utf8.length, TOO_LARGE_PAYLOAD_PREFIX_CHARS), StandardCharsets.UTF_8);
      return tooLarge(utf8.length, prefix);
    }
    JsonNode root;
    try {
      root = READER.readTree(utf8);
    } catch (JsonProcessingException e) {
      return malformed(e, new String(utf8, StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      return unexpected(e, new String(utf8, StandardCharsets.UTF_8));
    }
    return validate(root, utf8, null);
  }

  /** Parses one record given as text (a JSONL line). The byte limit applies to its UTF-8 encoding. */
  public ParseResult parse(String line) {
    if (line == null) {
      return reject(RejectReason.MALFORMED_JSON, "record is null", null, null, null);
    }
    long bytes = utf8Length(line);
    if (bytes > maxRecordBytes) {
      return tooLarge(bytes, line.substring(0, Math.min(line.length(), TOO_LARGE_PAYLOAD_PREFIX_CHARS)));
    }
    JsonNode root;
    try {
      root = READER.readTree(line);
    } catch (JsonProcessingException e) {
      return malformed(e, line);
    } catch (IOException | RuntimeException e) {
      return unexpected(e, line);
    }
    return validate(root, null, line);
  }

  private ParseResult validate(JsonNode root, byte[] bytes, String text) {
    if (root == null || root.isMissingNode()) {
      return reject(RejectReason.MALFORMED_JSON, "record is empty", null, null, payload(bytes, text));
    }
    if (!root.isObject()) {
      return reject(
          RejectReason.NOT_AN_OBJECT,
          "record is a JSON " + root.getNodeType().name().toLowerCase() + ", expected an object",
          null,
          null,
          payload(bytes, text));
    }
    if (OtlpGenAiSpans.isTraceExport(root)) {
      return spans(root);
    }
    return validateContract(mapped(root), bytes, text);
  }

  /** {@code root}, an object in the contract's own field names, as an event or a rejection. */
  private ParseResult validateContract(JsonNode root, byte[] bytes, String text) {
    // Read the ids leniently first so that any rejection below can still be attributed.
    String eventId = peekId(root, "event_id", false);
    String variantId = peekId(root, "variant_id", true);
    try {
      return new ParseResult.Accepted(toEvent(root));
    } catch (Reject r) {
      return reject(r.reason, r.detail, eventId, variantId, payload(bytes, text));
    } catch (RuntimeException e) {
      return reject(
          RejectReason.MALFORMED_JSON,
          "unexpected parser error: " + e.getClass().getSimpleName(),
          eventId,
          variantId,
          payload(bytes, text));
    }
  }

  /** Each model-call span of an OTLP trace export, validated as an input event of its own. */
  private ParseResult spans(JsonNode root) {
    java.util.List<ParseResult> results = new java.util.ArrayList<>();
    int[] skipped = {0};
    OtlpGenAiSpans.forEachSpan(root, (span, event) -> {
      if (event == null) {
        skipped[0]++;
        return;
      }
      String spanJson = compact(span);
      ParseResult r = validateContract(event, null, spanJson);
      String hint = OtlpGenAiSpans.contentHint(event);
      if (r instanceof ParseResult.Rejected rejected && hint != null) {
        DeadLetter d = rejected.deadLetter();
        r = new ParseResult.Rejected(new DeadLetter(d.reason(), d.detail() + hint, d.eventId(), d.variantId(), d.payload()));
      }
      results.add(r);
    });
    return new ParseResult.Batch(results, skipped[0]);
  }

  private static String compact(JsonNode node) {
    try {
      return COMPACT_WRITER.writeValueAsString(node);
    } catch (IOException e) {
      return null;
    }
  }

  /** {@code text} parsed with this parser's limits, or null when it is not JSON. */
  static JsonNode readTreeOrNull(String text) {
    try {
      return READER.readTree(text);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private InteractionEvent toEvent(JsonNode root) {
    String eventId = requiredId(root, "event_id", false, RejectReason.MISSING_EVENT_ID);
    long timestampMillis = timestamp(root);
    String variantId = requiredId(root, "variant_id", true, RejectReason.MISSING_VARIANT_ID);
    String prompt = prompt(root);
    String response = text(root, "response");
    if (response == null) {
      throw new Reject(RejectReason.MISSING_RESPONSE, "response is required");
    }
    String baseModel = optionalId(root, "base_model");
    String tenant = optionalId(root, "tenant");
    Map<String, Double> scores = scores(root);
    String metadataJson = metadata(root);
    return new InteractionEvent(eventId, timestampMillis, variantId, baseModel, tenant, prompt, response, scores, metadataJson);
  }

  // ---- ids ----

  private static String requiredId(JsonNode root, String field, boolean trim, RejectReason missing) {
    JsonNode node = root.get(field);
    if (isAbsent(node)) {
      throw new Reject(missing, field + " is required");
    }
    if (!node.isTextual()) {
      throw wrongType(field, "a string", node);
    }
    String value = trim ? node.textValue().strip() : node.textValue();
    if (value.isBlank()) {
      throw new Reject(missing, field + " is empty");
    }
    checkId(field, value);
    return value;
  }

  /** Optional descriptive ids: trimmed, blank treated as absent. */
  private static String optionalId(JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (isAbsent(node)) {
      return null;
    }
    if (!node.isTextual()) {
      throw wrongType(field, "a string", node);
    }
    String value = node.textValue().strip();
    if (value.isEmpty()) {
      return null;
    }
    checkId(field, value);
    return value;
  }

  private static void checkId(String field, String value) {
    if (value.length() > MAX_ID_CHARS) {
      throw new Reject(RejectReason.TOO_LARGE, field + " is " + value.length() + " chars, limit " + MAX_ID_CHARS);
    }
    // Control characters in an id would corrupt logs, metric labels and Kafka keys downstream.
    for (int i = 0; i < value.length(); i++) {
      if (Character.isISOControl(value.charAt(i))) {
        throw new Reject(RejectReason.INVALID_FIELD_TYPE, field + " contains a control character at index " + i);
      }
    }
  }

  /** The id if it is usable, else null; never throws. */
  private static String peekId(JsonNode root, String field, boolean trim) {
    JsonNode node = root.get(field);
    if (node == null || !node.isTextual()) {
      return null;
    }
    String value = trim ? node.textValue().strip() : node.textValue();
    if (value.isBlank() || value.length() > MAX_ID_CHARS) {
      return null;
    }
    for (int i = 0; i < value.length(); i++) {
      if (Character.isISOControl(value.charAt(i))) {
        return null;
      }
    }
    return value;
  }

  // ---- timestamp ----

  private static long timestamp(JsonNode root) {
    JsonNode node = root.get("timestamp");
    if (isAbsent(node)) {
      throw new Reject(RejectReason.MISSING_TIMESTAMP, "timestamp is required");
    }
    long millis = timestampValueMillis(node);
    if (millis < MIN_TIMESTAMP_MILLIS || millis >= MAX_TIMESTAMP_MILLIS) {
      boolean looksLikeSeconds = millis >= MIN_TIMESTAMP_MILLIS / 1000 && millis < MAX_TIMESTAMP_MILLIS / 1000;
      String hint = looksLikeSeconds ? " (epoch seconds instead of milliseconds?)" : "";
      throw new Reject(
          RejectReason.INVALID_TIMESTAMP,
          "timestamp " + echo(node.asText()) + " is outside [2000-01-01, 2100-01-01)" + hint);
    }
    return millis;
  }

  /** A timestamp value's epoch ms in either of the contract's forms, without the range check. */
  private static long timestampValueMillis(JsonNode node) {
    if (node.isTextual()) {
      return rfc3339Millis(node.textValue());
    }
    if (node.isNumber()) {
      return epochMillis(node);
    }
    throw wrongType("timestamp", "an RFC 3339 string or epoch milliseconds", node);
  }

  /**
   * A timestamp value read as the parser reads it (RFC 3339 with an offset, or whole epoch ms), or
   * {@code Long.MIN_VALUE} when it does not read. No range check: for placing records in time
   * (replay's ordering), where the parser still rejects an out-of-range one.
   */
  public static long timestampMillisOrMin(JsonNode node) {
    if (node == null) {
      return Long.MIN_VALUE;
    }
    try {
      return timestampValueMillis(node);
    } catch (RuntimeException e) { // Reject included
      return Long.MIN_VALUE;
    }
  }

  private static long rfc3339Millis(String value) {
    try {
      // ISO_OFFSET_DATE_TIME requires an offset: a zone-less local time would be silently misread.
      return OffsetDateTime.parse(value.strip(), DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant().toEpochMilli();
    } catch (DateTimeException | ArithmeticException e) {
      throw new Reject(
          RejectReason.INVALID_TIMESTAMP,
          "timestamp " + echo(value) + " is not RFC 3339 with an offset, e.g. 2026-11-02T09:00:00.120Z");
    }
  }

  private static long epochMillis(JsonNode node) {
    if (node.isIntegralNumber()) {
      if (!node.canConvertToLong()) {
        throw new Reject(RejectReason.INVALID_TIMESTAMP, "timestamp " + echo(node.asText()) + " is out of range");
      }
      return node.longValue();
    }
    // JavaScript producers may emit 1.79361e12; accept it only when it is a whole number of millis.
    double d = node.doubleValue();
    if (!Double.isFinite(d) || d != Math.rint(d) || Math.abs(d) > 1e15) {
      throw new Reject(
          RejectReason.INVALID_TIMESTAMP, "timestamp " + echo(node.asText()) + " is not a whole number of epoch milliseconds");
    }
    return (long) d;
  }

  // ---- prompt, messages, response ----

  private String prompt(JsonNode root) {
    // Validate messages whenever present, even if prompt wins: a broken field is a producer bug.
    String fromMessages = lastUserContent(root.get("messages"));
    String prompt = text(root, "prompt");
    if (prompt != null) {
      return prompt;
    }
    if (fromMessages != null) {
      return fromMessages;
    }
    boolean hadMessages = !isAbsent(root.get("messages"));
    throw new Reject(
        RejectReason.MISSING_PROMPT,
        hadMessages ? "messages has no user turn and prompt is absent" : "prompt (or messages with a user turn) is required");
  }

  private String lastUserContent(JsonNode messages) {
    if (isAbsent(messages)) {
      return null;
    }
    if (!messages.isArray()) {
      throw wrongType("messages", "an array of {role, content}", messages);
    }
    String last = null;
    for (int i = 0; i < messages.size(); i++) {
      String path = "messages[" + i + "]";
      JsonNode message = messages.get(i);
      if (!message.isObject()) {
        throw wrongType(path, "an object with role and content", message);
      }
      JsonNode role = message.get("role");
      if (role == null || !role.isTextual()) {
        throw wrongType(path + ".role", "a string", role);
      }
      JsonNode content = message.get("content");
      boolean isUser = "user".equals(role.textValue());
      // Tool-call turns carry a null content; a user turn must say something.
      if (isAbsent(content) && !isUser) {
        continue;
      }
      if (content == null || !content.isTextual()) {
        throw wrongType(path + ".content", "a string", content);
      }
      checkTextLength(path + ".content", content.textValue());
      if (isUser) {
        last = content.textValue();
      }
    }
    return last;
  }

  /** A required-or-optional text field: null when absent, the string when present. */
  private String text(JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (isAbsent(node)) {
      return null;
    }
    if (!node.isTextual()) {
      throw wrongType(field, "a string", node);
    }
    checkTextLength(field, node.textValue());
    return node.textValue();
  }

  private void checkTextLength(String field, String value) {
    if (value.length() > maxTextChars) {
      throw new Reject(RejectReason.TOO_LARGE, field + " is " + value.length() + " chars, limit " + maxTextChars);
    }
  }

  // ---- scores, metadata ----

  private static Map<String, Double> scores(JsonNode root) {
    JsonNode node = root.get("scores");
    if (isAbsent(node)) {
      return Map.of();
    }
    if (!node.isObject()) {
      throw wrongType("scores", "an object of name to number", node);
    }
    Map<String, Double> scores = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String path = "scores." + echoKey(e.getKey());
      JsonNode value = e.getValue();
      if (!value.isNumber()) {
        throw new Reject(RejectReason.INVALID_SCORE, path + " must be a number in [0, 1], got " + typeName(value));
      }
      double d = value.doubleValue();
      if (!(d >= 0.0 && d <= 1.0)) { // also false for NaN
        throw new Reject(RejectReason.INVALID_SCORE, path + " must be in [0, 1], got " + echo(value.asText()));
      }
      scores.put(e.getKey(), d);
    }
    return scores;
  }

  private static String metadata(JsonNode root) {
    JsonNode node = root.get("metadata");
    if (isAbsent(node)) {
      return null;
    }
    if (!node.isObject()) {
      throw wrongType("metadata", "an object", node);
    }
    try {
      return COMPACT_WRITER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new Reject(RejectReason.INVALID_FIELD_TYPE, "metadata could not be re-serialised");
    }
  }

  // ---- helpers ----

  /** JSON null is treated as absent, so producers may send either. */
  private static boolean isAbsent(JsonNode node) {
    return node == null || node.isNull() || node.isMissingNode();
  }

  private static Reject wrongType(String field, String expected, JsonNode actual) {
    return new Reject(RejectReason.INVALID_FIELD_TYPE, field + " must be " + expected + ", got " + typeName(actual));
  }

  private static String typeName(JsonNode node) {
    return node == null || node.isMissingNode() ? "nothing" : node.getNodeType().name().toLowerCase();
  }

  /** Echoes a non-text value (timestamp, score) bounded, so details stay one short line. */
  private static String echo(String value) {
    String v = value.length() > MAX_ECHOED_VALUE_CHARS ? value.substring(0, MAX_ECHOED_VALUE_CHARS) + "..." : value;
    return "'" + v.replaceAll("\\p{Cntrl}", "?") + "'";
  }

  private static String echoKey(String key) {
    String k = key.length() > MAX_ECHOED_VALUE_CHARS ? key.substring(0, MAX_ECHOED_VALUE_CHARS) + "..." : key;
    return k.replaceAll("\\p{Cntrl}", "?");
  }

  private static ParseResult malformed(JsonProcessingException e, String payload) {
    JsonLocation loc = e.getLocation();
    String where =
        loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
    // Class name, not message: Jackson quotes the offending token, which may be prompt text.
    return reject(
        RejectReason.MALFORMED_JSON, "not valid JSON" + where + " (" + e.getClass().getSimpleName() + ")", null, null, payload);
  }

  private static ParseResult unexpected(Exception e, String payload) {
    return reject(
        RejectReason.MALFORMED_JSON, "unexpected parser error: " + e.getClass().getSimpleName(), null, null, payload);
  }

  private ParseResult tooLarge(long bytes, String prefix) {
    return reject(
        RejectReason.TOO_LARGE,
        "record is " + bytes + " bytes, limit " + maxRecordBytes + "; payload truncated to " + TOO_LARGE_PAYLOAD_PREFIX_CHARS + " chars",
        null,
        null,
        prefix);
  }

  private static ParseResult reject(RejectReason reason, String detail, String eventId, String variantId, String payload) {
    return new ParseResult.Rejected(DeadLetter.of(reason, detail, eventId, variantId, payload));
  }

  private static String payload(byte[] bytes, String text) {
    return text != null ? text : new String(bytes, StandardCharsets.UTF_8);
  }

  /** UTF-8 length without encoding; unpaired surrogates count as the 3-byte replacement. */
  static long utf8Length(String s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  private static ObjectMapper newMapper() {
    JsonFactory factory =
        JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
            // Two event_id keys would let producer and consumer disagree on which one counts.
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    return new ObjectMapper(factory)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  }

  /** Control flow for a rejection; no stack trace, it is an expected outcome. */
  private static final class Reject extends RuntimeException {
    final RejectReason reason;
    final String detail;

    Reject(RejectReason reason, String detail) {
      super(detail, null, false, false);
      this.reason = reason;
      this.detail = detail;
    }
  }
}
