package io.llmsafety.monitor.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmsafety.monitor.alerts.AlertJson;
import io.llmsafety.monitor.jobs.config.JobSpec;
import io.llmsafety.monitor.metrics.MetricsServer;
import io.llmsafety.monitor.sim.TrafficSimulator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole graph at parallelism 2 on a file, with baselines from the base model and re-notifications
 * on: an adapter that is unsafe from its first event is caught against its base model's behaviour,
 * and two replays give byte-identical alerts, re-notifications included.
 */
class BaseModelReplayITCase {

  static final long START = 1_793_577_600_000L;

  static final String SPEC = """
      name: base-model-replay
      flink: {parallelism: 2, state_backend: hashmap}
      event_time: {max_out_of_orderness: 10s, idleness: 2s, dedup_horizon: 10m, variant_ttl: 1d}
      windows: {size: 1m}
      detectors:
        fleet: {variants: 3, false_alerts_per_week: 1, risky_events_per_variant_per_hour: 1800, events_per_variant_per_hour: 12000}
        baseline: {reference_risky_events: 50, reference_events: 200, source: base_model}
      alerts: {renotify_interval: 2m}
      metrics: {port: -1}
      """;

  @AfterAll
  static void stopMetrics() {
    MetricsServer.stop();
  }

  /** The base answers many risky prompts (its window completes first); one adapter refuses 30% from the start. */
  static List<String> scenario() {
    TrafficSimulator sim = new TrafficSimulator(5, List.of(
        new TrafficSimulator.VariantProfile("base-a", "base-a", new TrafficSimulator.Behaviour(0.5, 0.97, 0.01),
            new TrafficSimulator.Behaviour(0.5, 0.97, 0.01), 2, null, 2, 0),
        new TrafficSimulator.VariantProfile("adapter-unsafe", "base-a", new TrafficSimulator.Behaviour(0.15, 0.3, 0.01),
            new TrafficSimulator.Behaviour(0.15, 0.3, 0.01), 2, null, 2, 0),
        TrafficSimulator.VariantProfile.healthy("adapter-ok", "base-a")),
        START, 100, 9_000);
    List<String> out = new ArrayList<>();
    sim.forEachRemaining(out::add);
    return out;
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void shouldCatchAnUnsafeAdapterAgainstItsBaseModelAndReplayIdentically(@TempDir Path tmp) throws Exception {
    Path input = tmp.resolve("events.jsonl");
    Files.write(input, scenario(), StandardCharsets.UTF_8);
    JobSpec spec = JobSpec.parse(SPEC, "base-model.yaml");

    List<String> first = JobRunner.replay(spec, input).alerts();
    List<String> second = JobRunner.replay(spec, input).alerts();
    assertThat(second).isEqualTo(first);

    List<JsonNode> alerts = new ArrayList<>();
    for (String json : first) {
      alerts.add(AlertJson.mapper().readTree(json));
    }
    assertThat(alerts).extracting(a -> a.path("variant_id").asText()).containsOnly("adapter-unsafe");
    List<JsonNode> firing = alerts.stream()
        .filter(a -> a.path("status").asText().equals("firing") && !a.has("renotify")).toList();
    assertThat(firing).extracting(a -> a.path("kind").asText()).containsExactlyInAnyOrder("refusal_drop", "harm_rise");
    JsonNode drop = firing.stream().filter(a -> a.path("kind").asText().equals("refusal_drop")).findFirst().orElseThrow();
    assertThat(drop.path("baseline").path("source").asText()).isEqualTo("base_model");
    assertThat(drop.path("base_model").asText()).isEqualTo("base-a");
    assertThat(drop.path("baseline").path("rate").asDouble()).isGreaterThan(0.9);
    // Its own 50-risky-prompt window (about 330 of its events, 100 s of this traffic) would end later.
    assertThat(drop.path("detected_at").asText()).isLessThan("2026-11-02T00:01:40Z");

    List<JsonNode> renotified = alerts.stream().filter(a -> a.path("renotify").asBoolean()).toList();
    assertThat(renotified).isNotEmpty().allSatisfy(r -> {
      JsonNode original = firing.stream().filter(f -> f.path("kind").equals(r.path("kind"))).findFirst().orElseThrow();
      assertThat(r.path("alert_id")).isEqualTo(original.path("alert_id"));
      assertThat(r.path("notification_count").asInt()).isGreaterThan(1);
    });
  }
}
