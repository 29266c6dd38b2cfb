package io.llmsafety.monitor.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Retry and give-up behaviour against a scripted HTTP endpoint on loopback; no real sleeps. */
class AlertmanagerClientTest {

  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-29T12:00:00Z"), ZoneOffset.UTC);

  HttpServer server;
  final Deque<Integer> script = new ArrayDeque<>();
  final List<String> bodies = new CopyOnWriteArrayList<>();
  final List<Duration> sleeps = new ArrayList<>();
  final List<String> outcomes = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/api/v2/alerts", exchange -> {
      bodies.add(new String(exchange.getRequestBody().readAllBytes()));
      Integer status = script.poll();
      int code = status == null ? 200 : status;
      exchange.sendResponseHeaders(code, -1);
      exchange.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  AlertmanagerClient client(int maxAttempts) {
    return new AlertmanagerClient("http://127.0.0.1:" + server.getAddress().getPort() + "/", Duration.ofSeconds(2), maxAttempts,
        Duration.ofDays(7), CLOCK, sleeps::add, outcomes::add);
  }

  @Test
  void shouldRetryServerErrorsWithDoublingBackoff() {
    script.addAll(List.of(503, 500, 429));
    AlertmanagerClient.Outcome outcome = client(5).push(TestAlerts.refusalDrop("v1", Alert.FIRING, "2026-11-29T11:00:00Z"));
    assertThat(outcome).isEqualTo(AlertmanagerClient.Outcome.SENT);
    assertThat(bodies).hasSize(4).allSatisfy(b -> assertThat(b).startsWith("[{\"labels\":{\"alertname\":\"LlmSafetyRefusalDrop\""));
    assertThat(sleeps).containsExactly(Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1));
    assertThat(outcomes).containsExactly("retried", "retried", "retried", "sent");
  }

  @Test
  void shouldNotRetryARejectedAlert() {
    script.add(400);
    assertThat(client(5).push(TestAlerts.refusalDrop("v1", Alert.FIRING, "2026-11-29T11:00:00Z")))
        .isEqualTo(AlertmanagerClient.Outcome.REJECTED);
    assertThat(bodies).hasSize(1);
    assertThat(outcomes).containsExactly("rejected");
  }

  @Test
  void shouldGiveUpAfterMaxAttemptsThenTryOnceUntilAPushSucceeds() {
    AlertmanagerClient client = client(3);
    script.addAll(List.of(503, 503, 503, 503));
    assertThat(client.push(TestAlerts.refusalDrop("v1", Alert.FIRING, "2026-11-29T11:00:00Z"))).isEqualTo(AlertmanagerClient.Outcome.FAILED);
    assertThat(bodies).hasSize(3);
    // Degraded: one attempt, no backoff, so an outage cannot stall the job for long.
    assertThat(client.push(TestAlerts.refusalDrop("v2", Alert.FIRING, "2026-11-29T11:00:00Z"))).isEqualTo(AlertmanagerClient.Outcome.FAILED);
    assertThat(bodies).hasSize(4);
    assertThat(client.push(TestAlerts.refusalDrop("v3", Alert.FIRING, "2026-11-29T11:00:00Z"))).isEqualTo(AlertmanagerClient.Outcome.SENT);
    script.addAll(List.of(503));
    assertThat(client.push(TestAlerts.refusalDrop("v4", Alert.FIRING, "2026-11-29T11:00:00Z"))).isEqualTo(AlertmanagerClient.Outcome.SENT);
    assertThat(outcomes).containsExactly("retried", "retried", "failed", "failed", "sent", "retried", "sent");
  }

  @Test
  void shouldCountAnUnreachableAlertmanagerAsFailedWithoutThrowing() {
    int port = server.getAddress().getPort();
    server.stop(0);
    AlertmanagerClient client = new AlertmanagerClient("http://127.0.0.1:" + port, Duration.ofSeconds(1), 2, Duration.ofDays(7),
        CLOCK, sleeps::add, outcomes::add);
    assertThat(client.push(TestAlerts.refusalDrop("v1", Alert.FIRING, "2026-11-29T11:00:00Z"))).isEqualTo(AlertmanagerClient.Outcome.FAILED);
    assertThat(outcomes).containsExactly("retried", "failed");
  }
}
