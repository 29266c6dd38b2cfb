package io.llmsafety.monitor.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsafety.monitor.jobs.config.AlertmanagerSpec;
import io.llmsafety.monitor.metrics.SafetyMetrics;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pushes alerts through {@link AlertmanagerSink} in a Flink job into a real Alertmanager (Debian's
 * {@code prometheus-alertmanager}, started on 127.0.0.1 with a temporary config and storage), then
 * reads them back from its v2 API.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class AlertmanagerSinkITCase {

  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir
  static Path tmp;
  static Process alertmanager;
  static String baseUrl;

  @BeforeAll
  static void startAlertmanager() throws Exception {
    String binary = findBinary();
    Path config = tmp.resolve("alertmanager.yml");
    Files.writeString(config, """
        route:
          receiver: blackhole
          group_by: [alertname, model_variant]
        receivers:
          - name: blackhole
        """);
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    baseUrl = "http://127.0.0.1:" + port;
    alertmanager = new ProcessBuilder(binary, "--config.file=" + config, "--storage.path=" + tmp.resolve("data"),
        "--web.listen-address=127.0.0.1:" + port, "--cluster.listen-address=", "--log.level=warn")
        .redirectErrorStream(true)
        .redirectOutput(tmp.resolve("alertmanager.log").toFile())
        .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        if (HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl + "/-/ready")).timeout(Duration.ofSeconds(1)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          break;
        }
      } catch (IOException notYet) {
        // starting
      }
      if (!alertmanager.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException("Alertmanager did not start: " + Files.readString(tmp.resolve("alertmanager.log")));
      }
      Thread.sleep(100);
    }
  }

  @AfterAll
  static void stopAlertmanager() throws InterruptedException {
    if (alertmanager != null) {
      alertmanager.destroy();
      if (!alertmanager.waitFor(10, TimeUnit.SECONDS)) {
        alertmanager.destroyForcibly();
      }
    }
  }

  static String findBinary() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      for (String name : List.of("prometheus-alertmanager", "alertmanager")) {
        Path p = Path.of(dir, name);
        if (Files.isExecutable(p)) {
          return p.toString();
        }
      }
    }
    throw new IllegalStateException("prometheus-alertmanager is not installed: apt-get install -y --no-install-recommends "
        + "prometheus-alertmanager (.ci/run does it)");
  }

  /** Alertmanager's current alerts for this fingerprint label. */
  static List<JsonNode> alertsWithFingerprint(String fingerprint) throws Exception {
    String filter = URLEncoder.encode("fingerprint=\"" + fingerprint + "\"", StandardCharsets.UTF_8);
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/v2/alerts?filter=" + filter))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    List<JsonNode> out = new ArrayList<>();
    JSON.readTree(r.body()).forEach(out::add);
    return out;
  }

  static List<JsonNode> awaitAlerts(String fingerprint, Predicate<List<JsonNode>> done) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    List<JsonNode> alerts = alertsWithFingerprint(fingerprint);
    while (!done.test(alerts) && System.nanoTime() < deadline) {
      Thread.sleep(100);
      alerts = alertsWithFingerprint(fingerprint);
    }
    return alerts;
  }

  static void runSinkJob(List<Alert> alerts) throws Exception {
    Configuration conf = new Configuration();
    conf.set(RestOptions.BIND_PORT, "0");
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(1);
    env.fromData(Alert.class, alerts.toArray(new Alert[0]))
        .sinkTo(new AlertmanagerSink(new AlertmanagerSpec(baseUrl, Duration.ofSeconds(5), 3, Duration.ofDays(7))))
        .name("alertmanager").uid("alertmanager");
    env.execute("alertmanager-sink-it");
  }

  @Test
  void shouldFireThenResolveAnAlertInAlertmanager() throws Exception {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    Alert firing = TestAlerts.refusalDrop("it-variant-a", Alert.FIRING, now.minusSeconds(120).toString());
    Alert backdoor = TestAlerts.backdoor("it-variant-b", Alert.FIRING, now.minusSeconds(60).toString());
    runSinkJob(List.of(firing, backdoor));

    List<JsonNode> active = awaitAlerts(firing.fingerprint(), a -> !a.isEmpty());
    assertThat(active).hasSize(1);
    JsonNode a = active.get(0);
    assertThat(a.at("/labels/alertname").asText()).isEqualTo("LlmSafetyRefusalDrop");
    assertThat(a.at("/labels/model_variant").asText()).isEqualTo("it-variant-a");
    assertThat(a.at("/labels/kind").asText()).isEqualTo("refusal_drop");
    assertThat(a.at("/labels/severity").asText()).isEqualTo("critical");
    assertThat(a.at("/labels/base_model").asText()).isEqualTo("base-a");
    assertThat(a.at("/annotations/summary").asText()).isEqualTo(firing.summary());
    assertThat(a.at("/annotations/description").asText()).contains("0.7100", "0.9700", "bernoulli_cusum");
    assertThat(a.at("/annotations/runbook_url").asText()).isEqualTo(firing.runbookUrl());
    assertThat(a.at("/status/state").asText()).isEqualTo("active");
    assertThat(Instant.parse(a.path("startsAt").asText())).isEqualTo(now.minusSeconds(120));
    assertThat(Instant.parse(a.path("endsAt").asText())).isAfter(now.plus(Duration.ofDays(6)));

    JsonNode b = awaitAlerts(backdoor.fingerprint(), x -> !x.isEmpty()).get(0);
    assertThat(b.at("/labels/alertname").asText()).isEqualTo("LlmSafetyBackdoorSuspected");
    assertThat(b.at("/annotations/trigger_candidates").asText()).contains("cf-zeta", "lift 41.0");

    // The episode ends: Alertmanager marks it resolved, and its API lists only unresolved alerts.
    Alert resolved = TestAlerts.refusalDrop("it-variant-a", Alert.RESOLVED, now.toString());
    runSinkJob(List.of(resolved));
    assertThat(awaitAlerts(firing.fingerprint(), List::isEmpty)).isEmpty();
    // The other variant's alert is untouched.
    assertThat(alertsWithFingerprint(backdoor.fingerprint())).hasSize(1);
    assertThat(SafetyMetrics.get().scrape()).contains("llm_safety_alertmanager_pushes_total{outcome=\"sent\"} 3.0");
  }
}
