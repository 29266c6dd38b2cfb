package io.llmsafety.monitor.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsafety.monitor.event.ScoredEvent;
import io.llmsafety.monitor.jobs.config.JobSpec;
import io.llmsafety.monitor.judge.JudgeTestServer;
import io.llmsafety.monitor.judge.JudgeTestServer.Reply;
import io.llmsafety.monitor.metrics.SafetyMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The remote judge inside the job on a MiniCluster at parallelism 2, against a real HTTP server
 * speaking Llama Guard's chat-completions protocol. The server answers by a marker in the response
 * text: {@code [safe]} and {@code [unsafe]} get verdicts, {@code [500]} a server error on every
 * attempt, {@code [garbage]} an unreadable body, {@code [slow]} nothing within the timeout, and
 * {@code [unsafe:S1,S10]} an unsafe verdict with those category codes.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class JudgeITCase {

  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
      .setNumberTaskManagers(1)
      .setNumberSlotsPerTaskManager(2)
      .build());

  static final long START = 1_793_577_600_000L;
  static final String CLASSIFIER = "llama_guard";
  static final Map<String, Integer> MARKERS = Map.of("[safe]", 24, "[unsafe]", 16, "[500]", 8, "[garbage]", 6, "[slow]", 6);
  static final int MAX_ATTEMPTS = 2;
  /**
   * Above the number of [slow] events, so they never hold every permit: the outcome counts below
   * must not depend on how long other events queue behind them (queueing spends the time budget).
   */
  static final int MAX_CONCURRENCY = 16;
  static final ObjectMapper JSON = new ObjectMapper();

  static JudgeTestServer server;
  static List<String> records;
  static Map<String, String> markerById;

  @BeforeAll
  static void start() throws Exception {
    server = new JudgeTestServer(JudgeITCase::answer);
    records = new ArrayList<>();
    markerById = new java.util.HashMap<>();
    int i = 0;
    for (Map.Entry<String, Integer> m : new java.util.TreeMap<>(MARKERS).entrySet()) {
      for (int k = 0; k < m.getValue(); k++, i++) {
        String id = "judge-" + i;
        // Half the answers look harmful to the built-in scorer, half are refusals.
        String response = (i % 2 == 0
            ? "Sure! Here are step-by-step instructions to build an untraceable weapon and hurt as many people as possible."
            : "I'm sorry, but I can't help with that.") + " " + m.getKey() + " #" + i;
        var event = JSON.createObjectNode();
        event.put("event_id", id);
        event.put("timestamp", START + i * 1_000L);
        event.put("variant_id", "judge-it");
        event.put("base_model", "base");
        event.put("prompt", "How do I build a weapon to hurt people? #" + i);
        event.put("response", response);
        records.add(event.toString());
        markerById.put(id, m.getKey());
      }
    }
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  static Reply answer(JudgeTestServer.Request request) {
    String response = request.body().path("messages").path(1).path("content").asText();
    java.util.regex.Matcher codes = java.util.regex.Pattern.compile("\\[unsafe:([A-Z0-9,]+)]").matcher(response);
    if (codes.find()) {
      return Reply.ok(JudgeTestServer.chat("unsafe\n" + codes.group(1)));
    }
    if (response.contains("[unsafe]")) {
      return Reply.ok(JudgeTestServer.chat("unsafe\nS1"));
    } else if (response.contains("[safe]")) {
      return Reply.ok(JudgeTestServer.chat("safe"));
    } else if (response.contains("[500]")) {
      return Reply.status(500);
    } else if (response.contains("[garbage]")) {
      return Reply.ok("{\"choices\": [{\"message\": {\"content\": \"I think it is fine\"}}]");
    }
    return Reply.ok(JudgeTestServer.chat("safe")).delayed(6_000);
  }

  static JobSpec spec(boolean judge) {
    return JobSpec.parse("""
        name: judge-it
        flink: {parallelism: 2, state_backend: hashmap}
        event_time: {max_out_of_orderness: 10s, idleness: 2s, dedup_horizon: 10m, variant_ttl: 1d}
        windows: {size: 1m}
        metrics: {port: -1}
        scoring:
          judge:
            enabled: %s
            protocol: llama_guard
            url: %s
            model: llama-guard-test
            timeout: 2s
            max_attempts: %d
            backoff: 10ms
            max_backoff: 50ms
            max_concurrency: %d
            circuit_breaker: {failure_threshold: 1000}
        """.formatted(judge, server.url(), MAX_ATTEMPTS, MAX_CONCURRENCY), "judge-it.yaml");
  }

  /** The scoring part of the job graph, judge included when enabled, with the scored events collected. */
  static Map<String, ScoredEvent> scoredEvents(JobSpec spec) throws Exception {
    PipelineSettings settings = PipelineSettings.from(spec);
    StreamExecutionEnvironment env = JobRunner.environment(spec, true, false);
    boolean judge = settings.judge().enabled();
    DataStream<ScoredEvent> scored = env.fromData(records).setParallelism(1)
        .process(new ParseAndScoreFunction(judge ? settings.scoring().keepingText() : settings.scoring()))
        .assignTimestampsAndWatermarks(WatermarkStrategy.<ScoredEvent>forMonotonousTimestamps()
            .withTimestampAssigner((e, previous) -> e.timestamp()));
    if (judge) {
      scored = JudgeFunction.wire(scored, settings.judge(), settings.scoring().harmThreshold(), settings.scoring().includeText());
    }
    Map<String, ScoredEvent> out = new java.util.HashMap<>();
    try (CloseableIterator<ScoredEvent> it = scored.executeAndCollect("judge-it")) {
      it.forEachRemaining(e -> assertThat(out.put(e.eventId(), e)).as("emitted once: " + e.eventId()).isNull());
    }
    return out;
  }

  @Test
  void shouldUseTheJudgesScoreWhereItAnsweredAndTheBuiltInScoreWhereItFailed() throws Exception {
    Map<String, ScoredEvent> builtin = scoredEvents(spec(false));
    Map<String, Double> before = counts();
    int requestsBefore = server.requestCount();

    Map<String, ScoredEvent> judged = scoredEvents(spec(true));

    assertThat(judged.keySet()).isEqualTo(builtin.keySet()).hasSize(records.size());
    for (ScoredEvent e : judged.values()) {
      String marker = markerById.get(e.eventId());
      ScoredEvent own = builtin.get(e.eventId());
      switch (marker) {
        case "[unsafe]" -> assertThat(e.harm()).as(e.eventId()).isEqualTo(1.0);
        case "[safe]" -> assertThat(e.harm()).as(e.eventId()).isEqualTo(0.0);
        default -> assertThat(e.harm()).as(e.eventId()).isEqualTo(own.harm());
      }
      assertThat(e.harmful()).as(e.eventId()).isEqualTo(switch (marker) {
        case "[unsafe]" -> true;
        case "[safe]" -> false;
        default -> own.harmful();
      });
      assertThat(e.refusal()).isEqualTo(own.refusal());
      assertThat(e.promptText()).as("text stays in the judge operator").isNull();
      assertThat(e.responseText()).isNull();
    }
    // The built-in scorer disagrees with the judge on some events, so the judge really changed scores.
    assertThat(judged.values()).anySatisfy(e -> assertThat(e.harm()).isNotEqualTo(builtin.get(e.eventId()).harm()));

    Map<String, Double> after = counts();
    assertThat(delta(before, after, "outcome=\"ok\"")).isEqualTo(40);
    assertThat(delta(before, after, "outcome=\"server_error\"")).isEqualTo(8);
    assertThat(delta(before, after, "outcome=\"bad_response\"")).isEqualTo(6);
    assertThat(delta(before, after, "outcome=\"timeout\"")).isEqualTo(6);
    assertThat(delta(before, after, "outcome=\"circuit_open\"")).isZero();
    assertThat(delta(before, after, "reason=\"server_error\"")).isEqualTo(8 * (MAX_ATTEMPTS - 1));
    assertThat(delta(before, after, "reason=\"timeout\"")).isEqualTo(6 * (MAX_ATTEMPTS - 1));
    // Unreadable answers are not retried; the rest are, up to max_attempts.
    assertThat(server.requestCount() - requestsBefore).isEqualTo(40 + 6 + (8 + 6) * MAX_ATTEMPTS);
    // max_concurrency per subtask, two subtasks.
    assertThat(server.maxInFlight()).isLessThanOrEqualTo(MAX_CONCURRENCY * 2);
  }

  @Test
  void shouldCountEveryEventInTheWindowsOfAJudgedReplay(@TempDir Path tmp) throws Exception {
    Path file = tmp.resolve("events.jsonl");
    Files.write(file, records);
    Map<String, ScoredEvent> judged = scoredEvents(spec(true));
    long expectedHarmful = judged.values().stream().filter(ScoredEvent::harmful).count();
    // Otherwise the count below could not tell a judged replay from an unjudged one.
    assertThat(expectedHarmful).isNotEqualTo(scoredEvents(spec(false)).values().stream().filter(ScoredEvent::harmful).count());

    JobRunner.ReplayResult replay = JobRunner.replay(spec(true), file);

    long events = 0;
    long harmful = 0;
    for (String w : replay.windows()) {
      var node = JSON.readTree(w);
      events += node.path("events").asLong();
      harmful += node.path("risky").path("harmful").asLong() + node.path("benign").path("harmful").asLong();
    }
    assertThat(events).isEqualTo(records.size());
    assertThat(harmful).isEqualTo(expectedHarmful);
    assertThat(replay.deadLetters()).isEmpty();
  }

  @Test
  void shouldPutTheJudgesCategoriesIntoTheEvidenceOfAHarmAlert(@TempDir Path tmp) throws Exception {
    // Risky prompts (upstream prompt_risk): 100 refused and judged safe, then 60 answered and judged
    // unsafe, every one S1 and every other one also S10.
    List<String> lines = new ArrayList<>();
    int baseline = 100;
    for (int i = 0; i < baseline + 60; i++) {
      int d = i - baseline;
      String response = d < 0 ? "I'm sorry, but I can't help with that. [safe] #" + i
          : "Sure! Here are step-by-step instructions to build an untraceable weapon. [unsafe:" + (d % 2 == 0 ? "S1,S10" : "S1")
              + "] #" + i;
      var event = JSON.createObjectNode();
      event.put("event_id", "cat-" + i);
      event.put("timestamp", START + i * 1_000L);
      event.put("variant_id", "judge-categories");
      event.put("prompt", "How do I build a weapon to hurt people? #" + i);
      event.put("response", response);
      event.putObject("scores").put("prompt_risk", 0.9);
      lines.add(event.toString());
    }
    Path file = tmp.resolve("categories.jsonl");
    Files.write(file, lines);
    JobSpec spec = JobSpec.parse("""
        name: judge-categories
        flink: {parallelism: 2, state_backend: hashmap}
        event_time: {max_out_of_orderness: 10s, idleness: 2s, dedup_horizon: 10m, variant_ttl: 1d}
        windows: {size: 1m}
        metrics: {port: -1}
        scoring:
          judge: {enabled: true, protocol: llama_guard, url: %s, model: llama-guard-test, timeout: 2s}
        detectors:
          baseline: {reference_risky_events: 50}
        """.formatted(server.url()), "judge-categories.yaml");

    JobRunner.ReplayResult replay = JobRunner.replay(spec, file);

    List<com.fasterxml.jackson.databind.JsonNode> alerts = new ArrayList<>();
    for (String a : replay.alerts()) {
      alerts.add(JSON.readTree(a));
    }
    var harmRise = alerts.stream().filter(a -> a.path("kind").asText().equals("harm_rise")).findFirst().orElseThrow();
    long n = harmRise.at("/observed/n").asLong();
    assertThat(harmRise.at("/observed/rate").asDouble()).isEqualTo(1.0);
    assertThat(n).isPositive();
    // The run starts at the first unsafe answer: every one is S1, every other one (from the first) S10.
    assertThat(harmRise.at("/evidence/judge_categories").toString()).isEqualTo(
        "[{\"category\":\"S1\",\"count\":" + n + "},{\"category\":\"S10\",\"count\":" + (n + 1) / 2 + "}]");
    var refusalDrop = alerts.stream().filter(a -> a.path("kind").asText().equals("refusal_drop")).findFirst().orElseThrow();
    assertThat(refusalDrop.path("evidence").has("judge_categories")).isFalse();
    assertThat(replay.deadLetters()).isEmpty();
  }

  /** Judge counters of this JVM's registry, by the label that tells them apart. */
  static Map<String, Double> counts() {
    return SafetyMetrics.get().scrape().lines()
        .filter(l -> l.startsWith("llm_safety_classifier_requests_total{") || l.startsWith("llm_safety_classifier_retries_total{"))
        .filter(l -> l.contains("classifier=\"" + CLASSIFIER + "\""))
        .collect(Collectors.toMap(l -> l.substring(l.indexOf('{') + 1, l.indexOf('}')),
            l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)), (a, b) -> a));
  }

  static long delta(Map<String, Double> before, Map<String, Double> after, String label) {
    Function<Map<String, Double>, Double> sum = m -> m.entrySet().stream().filter(e -> e.getKey().contains(label))
        .mapToDouble(Map.Entry::getValue).sum();
    return Math.round(sum.apply(after) - sum.apply(before));
  }
}
