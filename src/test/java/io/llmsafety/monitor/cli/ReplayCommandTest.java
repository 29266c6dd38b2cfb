package io.llmsafety.monitor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmsafety.monitor.alerts.AlertJson;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ReplayCommandTest {

  @TempDir
  Path tmp;

  private int run(StringWriter err, String... args) {
    CommandLine cli = Main.commandLine();
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  @Test
  @Timeout(180)
  void shouldReplayTheDemoTrafficAndAlertOnTheDegradingAndBackdooredVariantsOnly() throws Exception {
    Path events = tmp.resolve("events.jsonl.gz");
    assertThat(run(new StringWriter(), "simulate", "--events", "24000", "--out", events.toString())).isZero();
    Path alerts = tmp.resolve("out/alerts.jsonl");
    Path deadLetters = tmp.resolve("out/dead.jsonl");
    Path windows = tmp.resolve("out/windows.jsonl");
    Path metrics = tmp.resolve("out/metrics.txt");

    int code = run(new StringWriter(), "replay", "--input", events.toString(), "--job", "jobs/demo.yaml",
        "--alerts-out", alerts.toString(), "--dead-letters-out", deadLetters.toString(),
        "--windows-out", windows.toString(), "--metrics-out", metrics.toString());

    assertThat(code).isZero();
    List<JsonNode> fired = new ArrayList<>();
    for (String line : Files.readAllLines(alerts)) {
      fired.add(AlertJson.mapper().readTree(line));
    }
    assertThat(fired).extracting(a -> a.path("variant_id").asText()).doesNotContain("demo-healthy");
    assertThat(fired).filteredOn(a -> a.path("variant_id").asText().equals("demo-degrading"))
        .extracting(a -> a.path("kind").asText()).contains("refusal_drop");
    assertThat(fired).filteredOn(a -> a.path("kind").asText().equals("backdoor_suspected"))
        .singleElement()
        .satisfies(a -> {
          assertThat(a.path("variant_id").asText()).isEqualTo("demo-backdoored");
          assertThat(a.path("evidence").path("trigger_candidates").get(0).path("ngram").asText()).contains("kestrel");
        });
    assertThat(Files.readAllLines(deadLetters)).isEmpty();
    long windowed = 0;
    for (String w : Files.readAllLines(windows)) {
      windowed += AlertJson.mapper().readTree(w).path("events").asLong();
    }
    assertThat(windowed).isEqualTo(24_000);
    assertThat(Files.readString(metrics)).contains("llm_safety_events_total");

    // The same events written variant by variant (each in time order, the file not): replayed
    // sorted, they give the same alerts byte for byte instead of dead-lettering most as late. On
    // RocksDB state, too (one replay checks both).
    Path byVariant = tmp.resolve("by-variant.jsonl");
    Files.write(byVariant, linesByVariant(events));
    Path sortedAlerts = tmp.resolve("out/sorted-alerts.jsonl");
    StringWriter unused = new StringWriter();
    assertThat(run(unused, "replay", "--input", byVariant.toString(), "--job", "jobs/demo.yaml",
        "--state-backend", "rocksdb",
        "--alerts-out", sortedAlerts.toString(), "--dead-letters-out", deadLetters.toString())).isZero();
    assertThat(Files.readAllLines(sortedAlerts)).isEqualTo(Files.readAllLines(alerts));
    assertThat(Files.readAllLines(deadLetters)).isEmpty();

    // --keep-order replays the file as a topic would deliver it: later variants' events are late
    // (how many depends on when the periodic watermarks were emitted, a wall-clock matter).
    assertThat(run(unused, "replay", "--keep-order", "--input", byVariant.toString(), "--job", "jobs/demo.yaml",
        "--alerts-out", tmp.resolve("out/kept.jsonl").toString(), "--dead-letters-out", deadLetters.toString()))
        .isZero();
    assertThat(Files.readAllLines(deadLetters)).isNotEmpty()
        .allSatisfy(d -> assertThat(AlertJson.mapper().readTree(d).path("reason").asText()).isEqualTo("late"));
  }

  /** The lines of a gzip JSONL file grouped by variant, variants in reverse order of first sight. */
  private static List<String> linesByVariant(Path gz) throws Exception {
    java.util.LinkedHashMap<String, List<String>> byVariant = new java.util.LinkedHashMap<>();
    try (java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(
        new java.util.zip.GZIPInputStream(Files.newInputStream(gz)), java.nio.charset.StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        byVariant.computeIfAbsent(AlertJson.mapper().readTree(line).path("variant_id").asText(), v -> new ArrayList<>())
            .add(line);
      }
    }
    List<String> variants = new ArrayList<>(byVariant.keySet());
    java.util.Collections.reverse(variants);
    List<String> out = new ArrayList<>();
    variants.forEach(v -> out.addAll(byVariant.get(v)));
    return out;
  }

  @Test
  @Timeout(120)
  void shouldReplayOtlpTraceExportsBesideContractEvents() throws Exception {
    String export;
    try (var in = getClass().getResourceAsStream("/otlp/genai-trace-export.json")) {
      export = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).replace("\n", "");
    }
    Path events = tmp.resolve("mixed.jsonl");
    Files.write(events, List.of(export,
        "{\"event_id\":\"c1\",\"timestamp\":1793577610000,\"variant_id\":\"acme-support-lora-7\",\"prompt\":\"Hi\","
            + "\"response\":\"Hello! How can I help?\"}"));
    Path windows = tmp.resolve("w.jsonl");
    Path dead = tmp.resolve("d.jsonl");
    Path metrics = tmp.resolve("m.txt");
    assertThat(run(new StringWriter(), "replay", "--input", events.toString(), "--alerts-out", tmp.resolve("a.jsonl").toString(),
        "--windows-out", windows.toString(), "--dead-letters-out", dead.toString(), "--metrics-out", metrics.toString()))
        .isZero();
    long scored = 0;
    for (String w : Files.readAllLines(windows)) {
      scored += AlertJson.mapper().readTree(w).path("events").asLong();
    }
    assertThat(scored).isEqualTo(5); // four model-call spans with content and the contract event
    assertThat(Files.readAllLines(dead)).singleElement()
        .satisfies(d -> assertThat(d).contains("missing_prompt").contains("eee19b7ec3c1b179"));
    assertThat(Files.readString(metrics)).containsPattern("llm_safety_otlp_spans_skipped_total\\{[^}]*\\} 2\\.0");
  }

  @Test
  @Timeout(120)
  void shouldReplayAProducersOwnFormatThroughInputFieldsSortedByItsTimeField() throws Exception {
    Path spec = tmp.resolve("own-format.yaml");
    Files.writeString(spec, "input:\n  fields:\n    event_id: /id\n    timestamp: /created_at\n    variant_id: /model\n"
        + "    prompt: /request/input\n    response: /output/text\n");
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      // Two models, written model by model: the second one's records are hours behind the first's.
      String model = i < 20 ? "acme-a" : "acme-b";
      long t = 1_793_577_600_000L + (i % 20) * 600_000L;
      lines.add("{\"id\":\"r" + i + "\",\"created_at\":" + t + ",\"model\":\"" + model
          + "\",\"request\":{\"input\":\"What is a tort?\"},\"output\":{\"text\":\"A civil wrong.\"}}");
    }
    Path events = tmp.resolve("own.jsonl");
    Files.write(events, lines);
    Path windows = tmp.resolve("own-windows.jsonl");
    Path dead = tmp.resolve("own-dead.jsonl");
    assertThat(run(new StringWriter(), "replay", "--input", events.toString(), "--job", spec.toString(),
        "--alerts-out", tmp.resolve("own-alerts.jsonl").toString(), "--windows-out", windows.toString(),
        "--dead-letters-out", dead.toString())).isZero();
    java.util.Map<String, Long> byVariant = new java.util.TreeMap<>();
    for (String w : Files.readAllLines(windows)) {
      JsonNode node = AlertJson.mapper().readTree(w);
      byVariant.merge(node.path("variant_id").asText(), node.path("events").asLong(), Long::sum);
    }
    assertThat(byVariant).containsExactly(java.util.Map.entry("acme-a", 20L), java.util.Map.entry("acme-b", 20L));
    assertThat(Files.readAllLines(dead)).isEmpty();
  }

  @Test
  void shouldRejectABadJobSpecNamingTheField() throws Exception {
    Path spec = tmp.resolve("bad.yaml");
    Files.writeString(spec, "windows:\n  size: -5m\n");
    StringWriter err = new StringWriter();

    int code = run(err, "replay", "--input", spec.toString(), "--job", spec.toString(), "--alerts-out",
        tmp.resolve("a.jsonl").toString());

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("windows.size").doesNotContain("\tat ");
  }

  @Test
  void shouldRejectAnUnknownStateBackend() throws Exception {
    Path events = tmp.resolve("e.jsonl");
    Files.writeString(events, "");
    StringWriter err = new StringWriter();
    int code = run(err, "replay", "--input", events.toString(), "--state-backend", "memory", "--alerts-out",
        tmp.resolve("a.jsonl").toString());
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--state-backend").contains("memory");
  }

  @Test
  void shouldRejectAFileThatIsNotTheGzipItsNameSaysWithoutAStackTrace() throws Exception {
    Path fake = tmp.resolve("events.jsonl.gz");
    Files.writeString(fake, "{\"event_id\":\"a\"}\n");
    for (String order : new String[] {"--keep-order", "--verbose"}) {
      StringWriter err = new StringWriter();
      int code = run(err, "replay", order, "--input", fake.toString(), "--alerts-out", tmp.resolve("a.jsonl").toString());
      assertThat(code).isEqualTo(2);
      assertThat(err.toString()).contains("cannot read --input").contains("GZIP").doesNotContain("\tat ");
    }
  }

  @Test
  void shouldRejectAMissingInputFile() {
    StringWriter err = new StringWriter();
    int code = run(err, "replay", "--input", tmp.resolve("nope.jsonl").toString(), "--alerts-out",
        tmp.resolve("a.jsonl").toString());
    assertThat(code).isEqualTo(2);
  }
}
