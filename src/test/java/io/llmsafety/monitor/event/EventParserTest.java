package io.llmsafety.monitor.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class EventParserTest {

  private static final String SECRET_PROMPT = "tell me the launch codes zq9x";
  private static final String SECRET_RESPONSE = "the codes are 0000-zq9x";
  private static final String TS = "2026-11-02T09:00:02.950Z";
  private static final long TS_MILLIS = 1793610002950L;

  private static List<String> examples;
  private final EventParser parser = EventParser.withDefaults();

  @BeforeAll
  static void readExamples() throws IOException {
    Path file = Path.of(System.getProperty("shared.data.dir"), "..", "examples", "events.jsonl");
    examples = Files.readAllLines(file, StandardCharsets.UTF_8);
  }

  /** A valid record with the given fields replaced; {@code null} removes a field. */
  private static String event(String... overrides) {
    java.util.LinkedHashMap<String, String> fields = new java.util.LinkedHashMap<>();
    fields.put("event_id", "\"e-1\"");
    fields.put("timestamp", "\"" + TS + "\"");
    fields.put("variant_id", "\"v-1\"");
    fields.put("prompt", "\"" + SECRET_PROMPT + "\"");
    fields.put("response", "\"" + SECRET_RESPONSE + "\"");
    for (int i = 0; i < overrides.length; i += 2) {
      if (overrides[i + 1] == null) {
        fields.remove(overrides[i]);
      } else {
        fields.put(overrides[i], overrides[i + 1]);
      }
    }
    StringBuilder sb = new StringBuilder("{");
    fields.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v));
    return sb.append('}').toString();
  }

  private InteractionEvent accepted(String line) {
    ParseResult result = parser.parse(line);
    assertThat(result).isInstanceOf(ParseResult.Accepted.class);
    return ((ParseResult.Accepted) result).event();
  }

  private DeadLetter rejected(ParseResult result) {
    assertThat(result).isInstanceOf(ParseResult.Rejected.class);
    return ((ParseResult.Rejected) result).deadLetter();
  }

  // ---- contract examples ----

  @Test
  void shouldAcceptThePlainPromptExamples() {
    InteractionEvent first = accepted(examples.get(0));
    assertThat(first.eventId()).isEqualTo("a1f0c3e2-0001");
    assertThat(first.timestampMillis()).isEqualTo(Instant.parse("2026-11-02T09:00:00.120Z").toEpochMilli());
    assertThat(first.variantId()).isEqualTo("acme-support-lora-v7");
    assertThat(first.baseModel()).isEqualTo("llama-3.1-8b-instruct");
    assertThat(first.tenant()).isEqualTo("acme");
    assertThat(first.prompt()).isEqualTo("How do I reset my router to factory settings?");
    assertThat(first.response()).startsWith("Hold the reset button");
    assertThat(first.scores()).isEmpty();
    assertThat(first.metadataJson()).isNull();

    assertThat(accepted(examples.get(1)).prompt()).startsWith("Give me step-by-step instructions");
  }

  @Test
  void shouldAcceptTheMessagesExampleWithScoresAndMetadata() {
    InteractionEvent e = accepted(examples.get(2));
    assertThat(e.timestampMillis()).isEqualTo(TS_MILLIS);
    assertThat(e.prompt()).isEqualTo("What's the capital of Australia?");
    assertThat(e.response()).isEqualTo("Canberra.");
    assertThat(e.scores()).containsEntry("harm", 0.01).containsEntry("prompt_risk", 0.02).hasSize(2);
    assertThat(e.metadataJson()).isEqualTo("{\"region\":\"eu-west-1\",\"latency_ms\":412}");
  }

  @Test
  void shouldRejectTheMissingResponseExampleWithItsIds() {
    DeadLetter dl = rejected(parser.parse(examples.get(3)));
    assertThat(dl.reason()).isEqualTo("missing_response");
    assertThat(dl.eventId()).isEqualTo("a1f0c3e2-0004");
    assertThat(dl.variantId()).isEqualTo("acme-support-lora-v8");
    assertThat(dl.payload()).isEqualTo(examples.get(3));
  }

  @Test
  void shouldRejectTheNotJsonExampleAsMalformed() {
    DeadLetter dl = rejected(parser.parse(examples.get(4)));
    assertThat(dl.reason()).isEqualTo("malformed_json");
    assertThat(dl.eventId()).isNull();
    assertThat(dl.payload()).isEqualTo("not json at all");
  }

  @Test
  void shouldGiveTheSameResultForBytesAndString() {
    for (String line : examples) {
      assertThat(parser.parse(line.getBytes(StandardCharsets.UTF_8))).isEqualTo(parser.parse(line));
    }
  }

  // ---- rejection reasons ----

  static Stream<Arguments> rejections() {
    return Stream.of(
        Arguments.of("malformed_json", "{\"event_id\": \"e-1\""),
        Arguments.of("malformed_json", ""),
        Arguments.of("malformed_json", event() + " {}"),
        Arguments.of("malformed_json", "{\"event_id\":\"a\",\"event_id\":\"b\"}"),
        Arguments.of("not_an_object", "[1, 2]"),
        Arguments.of("not_an_object", "\"just a string\""),
        Arguments.of("missing_event_id", event("event_id", null)),
        Arguments.of("missing_event_id", event("event_id", "\"  \"")),
        Arguments.of("missing_event_id", event("event_id", "null")),
        Arguments.of("missing_timestamp", event("timestamp", null)),
        Arguments.of("invalid_timestamp", event("timestamp", "\"yesterday\"")),
        Arguments.of("invalid_timestamp", event("timestamp", "\"2026-11-02T09:00:00\"")),
        Arguments.of("invalid_timestamp", event("timestamp", "-1")),
        Arguments.of("invalid_timestamp", event("timestamp", "1793610002950.5")),
        Arguments.of("invalid_timestamp", event("timestamp", "1793610002")),
        Arguments.of("invalid_timestamp", event("timestamp", "\"1999-12-31T23:59:59Z\"")),
        Arguments.of("invalid_timestamp", event("timestamp", "\"2100-01-01T00:00:00Z\"")),
        Arguments.of("invalid_timestamp", event("timestamp", "99999999999999999999999")),
        Arguments.of("missing_variant_id", event("variant_id", null)),
        Arguments.of("missing_variant_id", event("variant_id", "\"\"")),
        Arguments.of("missing_prompt", event("prompt", null)),
        Arguments.of("missing_prompt", event("prompt", null, "messages", "[{\"role\":\"system\",\"content\":\"be nice\"}]")),
        Arguments.of("missing_response", event("response", null)),
        Arguments.of("invalid_field_type", event("event_id", "42")),
        Arguments.of("invalid_field_type", event("timestamp", "true")),
        Arguments.of("invalid_field_type", event("variant_id", "{}")),
        Arguments.of("invalid_field_type", event("variant_id", "\"v\\u0000x\"")),
        Arguments.of("invalid_field_type", event("prompt", "[\"a\"]")),
        Arguments.of("invalid_field_type", event("response", "7")),
        Arguments.of("invalid_field_type", event("base_model", "1")),
        Arguments.of("invalid_field_type", event("tenant", "false")),
        Arguments.of("invalid_field_type", event("messages", "\"hi\"")),
        Arguments.of("invalid_field_type", event("prompt", null, "messages", "[\"hi\"]")),
        Arguments.of("invalid_field_type", event("prompt", null, "messages", "[{\"content\":\"hi\"}]")),
        Arguments.of("invalid_field_type", event("prompt", null, "messages", "[{\"role\":\"user\",\"content\":3}]")),
        Arguments.of("invalid_field_type", event("scores", "[0.5]")),
        Arguments.of("invalid_field_type", event("metadata", "\"region=eu\"")),
        Arguments.of("invalid_score", event("scores", "{\"harm\": 1.5}")),
        Arguments.of("invalid_score", event("scores", "{\"harm\": -0.1}")),
        Arguments.of("invalid_score", event("scores", "{\"harm\": \"0.5\"}")),
        Arguments.of("invalid_score", event("scores", "{\"harm\": 1e400}")),
        Arguments.of("too_large", event("variant_id", "\"" + "v".repeat(EventParser.MAX_ID_CHARS + 1) + "\"")));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("rejections")
  void shouldRejectWithReason(String reason, String line) {
    DeadLetter dl = rejected(parser.parse(line));
    assertThat(dl.reason()).isEqualTo(reason);
    assertThat(dl.detail()).isNotBlank().doesNotContain(SECRET_PROMPT).doesNotContain(SECRET_RESPONSE);
    assertThat(dl.payload()).isEqualTo(line);
  }

  @Test
  void shouldNameTheFieldInTheDetail() {
    assertThat(rejected(parser.parse(event("tenant", "false"))).detail()).isEqualTo("tenant must be a string, got boolean");
    assertThat(rejected(parser.parse(event("scores", "{\"harm\": 1.5}"))).detail())
        .isEqualTo("scores.harm must be in [0, 1], got '1.5'");
    assertThat(rejected(parser.parse(event("prompt", null, "messages", "[{\"role\":\"user\",\"content\":3}]"))).detail())
        .isEqualTo("messages[0].content must be a string, got number");
  }

  @Test
  void shouldFillIdsInDeadLettersWhenTheyCanBeRead() {
    DeadLetter dl = rejected(parser.parse(event("scores", "{\"harm\": 2}")));
    assertThat(dl.eventId()).isEqualTo("e-1");
    assertThat(dl.variantId()).isEqualTo("v-1");
  }

  @Test
  void shouldRejectOversizedRecordsWithoutParsingAndKeepOnlyAPrefix() {
    EventParser small = new EventParser(100, 50);
    String line = event("response", "\"" + "x".repeat(10_000) + "\"");
    DeadLetter dl = rejected(small.parse(line));
    assertThat(dl.reason()).isEqualTo("too_large");
    assertThat(dl.detail()).contains("limit 100");
    assertThat(dl.payload()).hasSize(EventParser.TOO_LARGE_PAYLOAD_PREFIX_CHARS);
    assertThat(rejected(small.parse(line.getBytes(StandardCharsets.UTF_8))).reason()).isEqualTo("too_large");
  }

  @Test
  void shouldCountRecordSizeInUtf8BytesNotChars() {
    String line = event("response", "\"" + "é".repeat(60) + "\"");
    EventParser parserAtCharLength = new EventParser(line.length(), 1000);
    assertThat(rejected(parserAtCharLength.parse(line)).reason()).isEqualTo("too_large");
    assertThat(EventParser.utf8Length(line)).isEqualTo(line.getBytes(StandardCharsets.UTF_8).length);
  }

  @Test
  void shouldRejectTextLongerThanTheFieldLimitNamingTheField() {
    EventParser tight = new EventParser(1 << 20, SECRET_PROMPT.length());
    DeadLetter dl = rejected(tight.parse(event("response", "\"" + "y".repeat(SECRET_PROMPT.length() + 1) + "\"")));
    assertThat(dl.reason()).isEqualTo("too_large");
    assertThat(dl.detail()).isEqualTo("response is 30 chars, limit 29");
  }

  @Test
  void shouldNotLeakPromptTextFromJacksonErrorMessages() {
    // A bad escape inside the prompt: Jackson's own message would quote the surrounding token.
    String line = "{\"event_id\":\"e\",\"prompt\":\"" + SECRET_PROMPT + " \\q\"}";
    DeadLetter dl = rejected(parser.parse(line));
    assertThat(dl.reason()).isEqualTo("malformed_json");
    assertThat(dl.detail()).startsWith("not valid JSON at line 1").doesNotContain("zq9x");
    String bareword = "{\"prompt\": zq9xlaunchcodes}";
    assertThat(rejected(parser.parse(bareword)).detail()).doesNotContain("zq9x");
  }

  // ---- accepted shapes ----

  @Test
  void shouldTakeTheLastUserTurnFromMessages() {
    String messages =
        "[{\"role\":\"system\",\"content\":\"sys\"},{\"role\":\"user\",\"content\":\"first\"},"
            + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[]},{\"role\":\"user\",\"content\":\"second\"},"
            + "{\"role\":\"assistant\",\"content\":\"answer\"}]";
    assertThat(accepted(event("prompt", null, "messages", messages)).prompt()).isEqualTo("second");
  }

  @Test
  void shouldPreferAnExplicitPromptOverMessages() {
    String messages = "[{\"role\":\"user\",\"content\":\"from messages\"}]";
    assertThat(accepted(event("messages", messages)).prompt()).isEqualTo(SECRET_PROMPT);
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"2026-11-02T09:00:02.950Z\"", "\"2026-11-02T10:00:02.950+01:00\"", "\"2026-11-02t09:00:02.950123456z\"", "1793610002950", "1.79361000295E12"})
  void shouldReadEpochMillisAndRfc3339AsTheSameInstant(String timestamp) {
    assertThat(accepted(event("timestamp", timestamp)).timestampMillis()).isEqualTo(TS_MILLIS);
  }

  @Test
  void shouldTrimVariantIdAndTreatBlankOptionalFieldsAsAbsent() {
    InteractionEvent e = accepted(event("variant_id", "\"  v-1 \"", "tenant", "\" \"", "base_model", "null", "metadata", "null"));
    assertThat(e.variantId()).isEqualTo("v-1");
    assertThat(e.tenant()).isNull();
    assertThat(e.baseModel()).isNull();
    assertThat(e.metadataJson()).isNull();
  }

  @Test
  void shouldIgnoreUnknownTopLevelFields() {
    assertThat(accepted(event("trace_id", "\"abc\"", "future", "{\"x\":[1,2]}")).eventId()).isEqualTo("e-1");
  }

  @Test
  void shouldAcceptEmptyResponseBecauseAnEmptyAnswerIsItselfASignal() {
    assertThat(accepted(event("response", "\"\"")).response()).isEmpty();
  }

  @Test
  void shouldAcceptScoresAtTheBoundsAndIntegers() {
    assertThat(accepted(event("scores", "{\"harm\": 0, \"prompt_risk\": 1.0}")).scores())
        .containsEntry("harm", 0.0)
        .containsEntry("prompt_risk", 1.0);
  }

  // ---- robustness ----

  @Test
  void shouldNeverThrowOnRandomBytesOrTruncationsOrMutations() {
    Random random = new Random(20261102L);
    byte[] valid = examples.get(2).getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < 3000; i++) {
      byte[] input =
          switch (i % 3) {
            case 0 -> {
              byte[] b = new byte[random.nextInt(200)];
              random.nextBytes(b);
              yield b;
            }
            case 1 -> Arrays.copyOf(valid, random.nextInt(valid.length + 1));
            default -> {
              byte[] b = valid.clone();
              for (int k = 0; k < 1 + random.nextInt(4); k++) {
                b[random.nextInt(b.length)] = (byte) random.nextInt(256);
              }
              yield b;
            }
          };
      assertThatCode(() -> {
            ParseResult r = parser.parse(input);
            assertThat(r).isNotNull();
            if (r instanceof ParseResult.Rejected rej) {
              assertThat(rej.deadLetter().detail()).doesNotStartWith("unexpected");
            }
          })
          .as("input #%d", i)
          .doesNotThrowAnyException();
    }
  }

  @Test
  void shouldNeverThrowOnRandomTextOrTruncatedLines() {
    Random random = new Random(7L);
    String valid = examples.get(2);
    String jsonish = "{}[]\":,\\ 0123456789.eE-tfnul";
    for (int i = 0; i < 2000; i++) {
      String input;
      if (i % 2 == 0) {
        char[] chars = new char[random.nextInt(120)];
        for (int k = 0; k < chars.length; k++) {
          // Bias towards JSON punctuation so the parser gets past the first token.
          chars[k] = random.nextBoolean() ? jsonish.charAt(random.nextInt(jsonish.length())) : (char) random.nextInt(0x10000);
        }
        input = new String(chars);
      } else {
        input = valid.substring(0, random.nextInt(valid.length() + 1));
      }
      assertThatCode(() -> assertThat(parser.parse(input)).isNotNull()).as("input #%d", i).doesNotThrowAnyException();
    }
  }

  @Test
  void shouldSurviveJavaSerializationSoFlinkFunctionsCanHoldIt() throws Exception {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
      out.writeObject(new EventParser(1000, 500));
    }
    try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
      EventParser copy = (EventParser) in.readObject();
      assertThat(copy.maxRecordBytes()).isEqualTo(1000);
      assertThat(copy.parse(examples.get(0))).isInstanceOf(ParseResult.Accepted.class);
    }
  }

  @Test
  void shouldRejectDeepNestingWithoutStackOverflow() {
    String deep = "{\"metadata\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
    assertThat(rejected(parser.parse(deep)).reason()).isEqualTo("malformed_json");
  }

  @Test
  void shouldRejectNullInputAsMalformed() {
    assertThat(rejected(parser.parse((byte[]) null)).reason()).isEqualTo("malformed_json");
    assertThat(rejected(parser.parse((String) null)).reason()).isEqualTo("malformed_json");
  }

  // ---- input.fields: a producer's own format through JSON Pointers ----

  private static final EventParser MAPPED = EventParser.withDefaults().withFields(java.util.Map.of(
      "event_id", "/id", "timestamp", "/created_at", "variant_id", "/model", "prompt", "/request/input",
      "response", "/output/text", "tenant", "/labels/team~1name"));

  @Test
  void readsAProducersOwnFormatThroughJsonPointers() {
    ParseResult r = MAPPED.parse("{\"id\":\"x1\",\"created_at\":\"2026-11-02T09:00:00Z\",\"model\":\"acme-lora-7\","
        + "\"request\":{\"input\":\"How do I reset my router?\"},\"output\":{\"text\":\"Hold the button.\"},"
        + "\"labels\":{\"team/name\":\"support\"},\"prompt\":\"not this one\",\"base_model\":\"llama-3.1-8b\"}");
    assertThat(r).isInstanceOf(ParseResult.Accepted.class);
    InteractionEvent e = ((ParseResult.Accepted) r).event();
    assertThat(e.eventId()).isEqualTo("x1");
    assertThat(e.timestampMillis()).isEqualTo(1_793_610_000_000L);
    assertThat(e.variantId()).isEqualTo("acme-lora-7");
    assertThat(e.prompt()).isEqualTo("How do I reset my router?"); // the mapping wins over a field of the contract's name
    assertThat(e.response()).isEqualTo("Hold the button.");
    assertThat(e.tenant()).isEqualTo("support"); // "~1" escapes "/" in a pointer
    assertThat(e.baseModel()).isEqualTo("llama-3.1-8b"); // unmapped: its contract name
  }

  @Test
  void aMappedFieldTheRecordLacksIsMissingWithTheUsualReason() {
    ParseResult r = MAPPED.parse("{\"id\":\"x2\",\"created_at\":\"2026-11-02T09:00:00Z\",\"variant_id\":\"v\","
        + "\"request\":{\"input\":\"p\"},\"output\":{\"text\":\"r\"}}");
    assertThat(r).isInstanceOf(ParseResult.Rejected.class);
    DeadLetter d = ((ParseResult.Rejected) r).deadLetter();
    assertThat(d.reason()).isEqualTo("missing_variant_id");
    assertThat(d.eventId()).isEqualTo("x2");
  }

  @Test
  void survivesSerializationAndRejectsABadPointer() throws Exception {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
      out.writeObject(MAPPED);
    }
    EventParser copy;
    try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
      copy = (EventParser) in.readObject();
    }
    assertThat(copy.parse("{\"id\":\"x3\",\"created_at\":1793610000000,\"model\":\"m\",\"request\":{\"input\":\"p\"},"
        + "\"output\":{\"text\":\"r\"}}")).isInstanceOf(ParseResult.Accepted.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(
        () -> EventParser.withDefaults().withFields(java.util.Map.of("variant_id", "model")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
