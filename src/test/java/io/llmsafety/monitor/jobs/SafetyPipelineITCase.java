package io.llmsafety.monitor.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmsafety.monitor.alerts.AlertJson;
import io.llmsafety.monitor.jobs.config.JobSpec;
import io.llmsafety.monitor.metrics.MetricsServer;
import io.llmsafety.monitor.sim.EmbeddedKafka;
import io.llmsafety.monitor.sim.TrafficSimulator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production graph on a real in-JVM KRaft broker and a MiniCluster at parallelism 2: a healthy
 * and a degrading variant plus malformed records in, exactly-once alerts, dead letters and window
 * metrics out; then the same records replayed from a file must give the same alerts.
 */
class SafetyPipelineITCase {

  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
      .setNumberTaskManagers(1)
      .setNumberSlotsPerTaskManager(2)
      .build());

  static final long START = 1_793_577_600_000L;
  static final int EVENTS = 6_000;

  static EmbeddedKafka kafka;
  static JobSpec spec;
  static List<String> records;

  @BeforeAll
  static void startKafka() throws Exception {
    kafka = EmbeddedKafka.start();
    spec = JobSpec.parse(ItJobSpec.yaml("it-safety-monitor", kafka.bootstrapServers(), "it-safety-monitor", 0), "it.yaml");
    kafka.createJobTopics(spec.kafka().topics(), 2);
    records = scenario();
  }

  @AfterAll
  static void stopKafka() throws Exception {
    MetricsServer.stop();
    if (kafka != null) {
      kafka.close();
    }
  }

  /** Healthy and degrading variants (refusals collapse half way), with bad records mixed in. */
  static List<String> scenario() {
    TrafficSimulator sim = new TrafficSimulator(11, List.of(
        TrafficSimulator.VariantProfile.healthy("it-healthy", "base-a"),
        new TrafficSimulator.VariantProfile("it-degrading", "base-a", TrafficSimulator.NORMAL,
            new TrafficSimulator.Behaviour(0.15, 0.2, 0.01), 0.5, null, 2, 0)),
        START, 100, EVENTS);
    List<String> out = new ArrayList<>();
    while (sim.hasNext()) {
      String event = sim.next();
      out.add(event);
      if (sim.produced() == 1_000) {
        out.add("not json at all");
        out.add("{\"event_id\":\"bad-1\",\"timestamp\":" + sim.timeOf(1_000) + ",\"variant_id\":\"it-healthy\",\"prompt\":\"hi\"}");
        out.add("{\"event_id\":\"bad-2\",\"timestamp\":\"yesterday\",\"variant_id\":\"it-healthy\",\"prompt\":\"hi\",\"response\":\"ok\"}");
        out.add(event); // a producer retry: same event_id
      }
    }
    return out;
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void shouldAlertOnceForTheDegradingVariantAndMatchTheReplay(@TempDir Path tmp) throws Exception {
    produce(records);
    JobRunner.configureMetrics(spec);
    int metricsPort = MetricsServer.ensureStarted(0);
    StreamExecutionEnvironment env = JobRunner.environment(spec, true, false);
    JobRunner.defineKafkaJob(env, spec);
    JobClient job = env.executeAsync(spec.name());

    Map<String, List<String>> out;
    List<String> firing;
    try {
      out = consumeUntil(r -> r.get("alerts").size() >= 2 && r.get("windows").size() >= 16, Duration.ofMinutes(3));
      // Keep reading a little longer: a duplicate alert would show up here.
      Map<String, List<String>> more = consumeUntil(r -> false, Duration.ofSeconds(4));
      more.forEach((k, v) -> out.get(k).addAll(v));
      firing = new ArrayList<>(out.get("alerts"));

      // An operator rebaselines the degrading variant after deciding the change was intended.
      produceTo(spec.kafka().topics().control(), List.of("{\"action\":\"rebaseline\",\"variant_id\":\"it-degrading\"}",
          "{\"action\":\"explode\"}"));
      Map<String, List<String>> afterControl = consumeUntil(r -> r.get("alerts").size() >= 2 && r.get("deadLetters").size() >= 1,
          Duration.ofMinutes(1));
      afterControl.forEach((k, v) -> out.get(k).addAll(v));
    } finally {
      job.cancel().get();
    }

    List<JsonNode> alerts = parse(firing);
    assertThat(alerts).extracting(a -> a.path("variant_id").asText()).containsOnly("it-degrading");
    assertThat(alerts).extracting(a -> a.path("status").asText()).containsOnly("firing");
    List<JsonNode> resolved = parse(out.get("alerts").subList(firing.size(), out.get("alerts").size()));
    assertThat(resolved).extracting(a -> a.path("status").asText() + " " + a.path("kind").asText())
        .containsExactlyInAnyOrder("resolved refusal_drop", "resolved harm_rise");
    assertThat(alerts).extracting(a -> a.path("kind").asText()).containsExactlyInAnyOrder("refusal_drop", "harm_rise");
    assertThat(alerts).extracting(a -> a.path("alert_id").asText()).doesNotHaveDuplicates();
    JsonNode refusalDrop = alerts.stream().filter(a -> a.path("kind").asText().equals("refusal_drop")).findFirst().orElseThrow();
    assertThat(refusalDrop.path("baseline").path("rate").asDouble()).isGreaterThan(0.8);
    assertThat(refusalDrop.path("observed").path("rate").asDouble()).isLessThan(0.5);
    assertThat(refusalDrop.path("detected_at").asText()).isGreaterThan("2026-11-02T00:05:00Z");

    List<JsonNode> deadLetters = parse(out.get("deadLetters"));
    assertThat(deadLetters).extracting(d -> d.path("reason").asText())
        .containsExactlyInAnyOrder("malformed_json", "missing_response", "invalid_timestamp", "invalid_control");
    assertThat(deadLetters).allSatisfy(d -> assertThat(d.path("detail").asText()).doesNotContain("hi"));

    List<JsonNode> windows = parse(out.get("windows"));
    Set<String> windowVariants = windows.stream().map(w -> w.path("variant_id").asText()).collect(Collectors.toSet());
    assertThat(windowVariants).containsExactlyInAnyOrder("it-healthy", "it-degrading");
    long counted = windows.stream().mapToLong(w -> w.path("events").asLong()).sum();
    assertThat(counted).isLessThanOrEqualTo(EVENTS).isGreaterThan(EVENTS * 8 / 10);

    String metrics = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + metricsPort + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(metrics).contains("llm_safety_events_total{model_variant=\"it-degrading\",segment=\"risky\"}",
        "llm_safety_dead_letters_total{reason=\"malformed_json\"} 1.0", "llm_safety_alert_active",
        "llm_safety_duplicate_events_total{model_variant=\"it-degrading\"} 1.0");

    // The same records through the replay path: same alerts, byte for byte.
    Path file = tmp.resolve("events.jsonl");
    Files.write(file, records);
    JobRunner.ReplayResult replay = JobRunner.replay(spec, file);
    assertThat(new TreeSet<>(replay.alerts())).isEqualTo(new TreeSet<>(firing));
    assertThat(replay.deadLetters()).hasSize(3);
  }

  private static void produce(List<String> lines) throws Exception {
    produceTo(spec.kafka().topics().input(), lines);
  }

  private static void produceTo(String topic, List<String> lines) {
    KafkaTestClients.produce(kafka.bootstrapServers(), topic, lines);
  }

  private static Map<String, List<String>> consumeUntil(java.util.function.Predicate<Map<String, List<String>>> done,
      Duration timeout) {
    var topics = spec.kafka().topics();
    Map<String, List<String>> out = new LinkedHashMap<>();
    out.put("alerts", new ArrayList<>());
    out.put("deadLetters", new ArrayList<>());
    out.put("windows", new ArrayList<>());
    Properties props = KafkaTestClients.readCommitted(kafka.bootstrapServers(), "it-reader");
    long deadline = System.nanoTime() + timeout.toNanos();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      consumer.subscribe(List.of(topics.alerts(), topics.deadLetter(), topics.windowMetrics()));
      while (System.nanoTime() < deadline && !done.test(out)) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          String key = r.topic().equals(topics.alerts()) ? "alerts" : r.topic().equals(topics.deadLetter()) ? "deadLetters" : "windows";
          out.get(key).add(r.value());
        }
      }
      consumer.commitSync();
    }
    return out;
  }

  private static List<JsonNode> parse(List<String> json) {
    List<JsonNode> nodes = new ArrayList<>();
    for (String s : json) {
      try {
        nodes.add(AlertJson.mapper().readTree(s));
      } catch (Exception e) {
        throw new AssertionError("not JSON: " + s, e);
      }
    }
    return nodes;
  }
}
