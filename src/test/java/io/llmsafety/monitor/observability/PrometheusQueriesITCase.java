package io.llmsafety.monitor.observability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsafety.monitor.jobs.ItJobSpec;
import io.llmsafety.monitor.jobs.JobRunner;
import io.llmsafety.monitor.jobs.KafkaTestClients;
import io.llmsafety.monitor.jobs.config.JobSpec;
import io.llmsafety.monitor.judge.JudgeTestServer;
import io.llmsafety.monitor.judge.JudgeTestServer.Reply;
import io.llmsafety.monitor.metrics.MetricsServer;
import io.llmsafety.monitor.observability.Observability.Query;
import io.llmsafety.monitor.sim.EmbeddedKafka;
import io.llmsafety.monitor.sim.TrafficSimulator;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every dashboard query and every rule expression against a real Prometheus that scrapes the
 * running job: the Kafka job on a MiniCluster (with Flink's own Prometheus reporter enabled, so the
 * pipeline-health panels see real {@code flink_*} series), simulated traffic with a degrading
 * variant, malformed and late records. Names that exist only in a dashboard fail here. The optional
 * features the dashboards and rules cover are on: the remote judge (against a real HTTP server that
 * answers every request and fails some first attempts, so retries happen), {@code pending_for} and a
 * short {@code renotify_interval}.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PrometheusQueriesITCase {

  static final String JOB_LABEL = "llm-safety-monitor";
  static final String FLINK_JOB_LABEL = "flink";
  static final long START = 1_793_577_600_000L;
  static final int EVENTS = 6_000;
  static final String VARIANTS = "prom-it-.*";
  static final int FLINK_REPORTER_PORT = freePort();

  @TempDir
  static Path tmp;

  static EmbeddedKafka kafka;
  static JudgeTestServer judge;
  static JobSpec spec;
  static JobClient job;
  static Process prometheus;
  static Path prometheusLog;
  static String prometheusUrl;
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  static final ObjectMapper JSON = new ObjectMapper();

  static Configuration flinkReporter() {
    Configuration conf = new Configuration();
    conf.setString("metrics.reporter.prom.factory.class", "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
    conf.setString("metrics.reporter.prom.port", String.valueOf(FLINK_REPORTER_PORT));
    return conf;
  }

  @BeforeAll
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  static void startJobAndPrometheus() throws Exception {
    Path prometheusBinary = Binaries.require("prometheus");
    kafka = EmbeddedKafka.start();
    judge = startJudge();
    spec = JobSpec.parse(ItJobSpec.yaml("llm-safety-monitor-it", kafka.bootstrapServers(), "llm-safety-monitor-it", 0)
        + optionalFeatures(judge.url()), "prom-it.yaml");
    kafka.createJobTopics(spec.kafka().topics(), 2);

    JobRunner.configureMetrics(spec);
    int metricsPort = MetricsServer.ensureStarted(0);
    prometheus = startPrometheus(prometheusBinary, metricsPort);

    // A local environment (not MiniClusterExtension): its MiniCluster takes the reporter settings.
    Configuration conf = JobRunner.flinkConfiguration(spec, true);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    conf.addAll(flinkReporter());
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(spec.flink().parallelism());
    JobRunner.defineKafkaJob(env, spec);
    job = env.executeAsync(spec.name());
    produce(traffic());
    // Only this run's variants and Flink job: SafetyPipelineITCase may have filled the JVM's registry.
    awaitQuery("sum(llm_safety_events_total{model_variant=~\"" + VARIANTS + "\"})", r -> value(r) >= EVENTS * 0.9, Duration.ofSeconds(60));
    // Behind the watermark by now: the late-events panels get a series.
    produce(List.of(lateEvent("late-1"), lateEvent("late-2")));
    awaitQuery("sum(llm_safety_late_events_total{model_variant=~\"" + VARIANTS + "\"})", r -> value(r) >= 2, Duration.ofSeconds(30));
    awaitQuery("sum(llm_safety_alert_active{model_variant=~\"" + VARIANTS + "\"})", r -> value(r) >= 1, Duration.ofSeconds(30));
    // rate() needs two scrapes of a counter before the panels over it return data: wait for the
    // newest counters (late events, alert transitions) to have them.
    for (String counter : List.of("llm_safety_late_events_total", "llm_safety_alerts_total",
        "llm_safety_alert_renotifications_total")) {
      awaitQuery("min(count_over_time(" + counter + "{model_variant=~\"" + VARIANTS + "\"}[1m]))", r -> value(r) >= 2,
          Duration.ofSeconds(10));
    }
    // The judge's retry counter appears with its first retry; it has no variant label.
    awaitQuery("min(count_over_time(llm_safety_classifier_retries_total{classifier=\"openai_moderation\"}[1m]))",
        r -> value(r) >= 2, Duration.ofSeconds(10));
    awaitQuery("flink_jobmanager_job_numberOfCompletedCheckpoints{job_name=\"llm_safety_monitor_it\"}", r -> value(r) >= 1, Duration.ofSeconds(30));
  }

  @AfterAll
  static void stopAll() throws Exception {
    if (prometheus != null) {
      prometheus.destroy();
      if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
        prometheus.destroyForcibly();
      }
    }
    if (job != null) {
      job.cancel().get(30, TimeUnit.SECONDS);
    }
    MetricsServer.stop();
    if (kafka != null) {
      kafka.close();
    }
    if (judge != null) {
      judge.close();
    }
  }

  /**
   * A moderation endpoint that scores every response as harmless and answers every 20th request
   * with 503 first. Under policy max the judge never lowers a score, so the detectors see the same
   * harm as without it and the degrading variant still alerts.
   */
  static JudgeTestServer startJudge() throws IOException {
    AtomicInteger requests = new AtomicInteger();
    return new JudgeTestServer(request -> requests.incrementAndGet() % 20 == 0
        ? Reply.status(503)
        : Reply.ok(JudgeTestServer.moderation(false, Map.of("violence", 0.01))));
  }

  /** Appended to the shared IT spec (which sets neither section). */
  static String optionalFeatures(String judgeUrl) {
    return """
        scoring:
          judge:
            enabled: true
            protocol: openai_moderation
            url: %s
            timeout: 5s
            backoff: 10ms
            max_backoff: 50ms
            policy: max
        alerts:
          pending_for: 5s
          renotify_interval: 1m
        """.formatted(judgeUrl);
  }

  @Test
  void everyDashboardPanelQueryParsesAndReturnsData() throws Exception {
    List<Query> queries = new ArrayList<>();
    for (Path file : Observability.dashboardFiles()) {
      JsonNode dashboard = Observability.readJson(file);
      queries.addAll(Observability.panelQueries(dashboard));
      queries.addAll(Observability.variableAndAnnotationQueries(dashboard));
    }
    assertThat(queries).hasSizeGreaterThan(30);
    List<String> failures = new ArrayList<>();
    for (Query q : queries) {
      String expr = substitute(q.expr());
      JsonNode response = query(expr);
      if (!response.path("status").asText().equals("success")) {
        failures.add(q.source() + ": " + response.path("error").asText() + "\n    " + expr);
      } else if (response.path("data").path("result").isEmpty()) {
        failures.add(q.source() + ": no data\n    " + expr);
      }
    }
    System.out.printf("PrometheusQueriesITCase: %d dashboard queries checked, %d failed%n", queries.size(), failures.size());
    assertThat(failures).as("dashboard queries that fail or return nothing").isEmpty();
  }

  @Test
  void everyRuleExpressionParsesAndTheRulesLoadHealthy() throws Exception {
    List<Query> rules = Observability.ruleExpressions();
    assertThat(rules).isNotEmpty();
    List<String> failures = new ArrayList<>();
    for (Query q : rules) {
      JsonNode response = query(q.expr());
      if (!response.path("status").asText().equals("success")) {
        failures.add(q.source() + ": " + response.path("error").asText());
      }
    }
    assertThat(failures).as("rule expressions Prometheus rejects").isEmpty();

    // The rules' selectors (job, job_name) match what the job exports. The kind matcher goes: only
    // some kinds fire in this run, and kinds are checked by AlertingConfigTest.
    Set<String> selectors = new TreeSet<>();
    Matcher m = Pattern.compile("\\b(?:llm_safety_\\w+|flink_\\w+|up)\\{[^}]*\\}").matcher(
        String.join("\n", rules.stream().map(Query::expr).toList()));
    while (m.find()) {
      selectors.add(m.group().replaceAll(",\\s*kind\\s*(=~|!~|!=|=)\\s*\"[^\"]*\"", ""));
    }
    List<String> unmatched = new ArrayList<>();
    for (String selector : selectors) {
      if (query(selector).path("data").path("result").isEmpty()) {
        unmatched.add(selector);
      }
    }
    assertThat(unmatched).as("rule selectors that match no series of the running job").isEmpty();

    // The server loaded the same file (rule_files): every rule evaluated without error.
    JsonNode loaded = awaitRulesEvaluated(rules.size());
    List<String> unhealthy = new ArrayList<>();
    for (JsonNode group : loaded.path("data").path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        if (!rule.path("health").asText().equals("ok")) {
          unhealthy.add(rule.path("name").asText() + ": " + rule.path("health").asText() + " " + rule.path("lastError").asText());
        }
      }
    }
    System.out.printf("PrometheusQueriesITCase: %d rule expressions and %d selectors checked%n", rules.size(), selectors.size());
    assertThat(unhealthy).isEmpty();
  }

  @Test
  void everyMetricNamedByADashboardOrRuleExistsInPrometheus() throws Exception {
    // "or vector(0)" keeps panels from reading "No data", and would hide a misspelt name: check names too.
    List<Query> all = new ArrayList<>(Observability.ruleExpressions());
    for (Path file : Observability.dashboardFiles()) {
      JsonNode dashboard = Observability.readJson(file);
      all.addAll(Observability.panelQueries(dashboard));
      all.addAll(Observability.variableAndAnnotationQueries(dashboard));
    }
    Set<String> names = new TreeSet<>();
    // Label values ("...") are not metric names: blank them before matching.
    String text = String.join("\n", all.stream().map(q -> q.expr().replaceAll("\"[^\"]*\"", "\"\"")).toList());
    Matcher m = Pattern.compile("\\b(?:llm_safety_|flink_)\\w+|\\bup\\b").matcher(text);
    while (m.find()) {
      names.add(m.group());
    }
    assertThat(names).contains("llm_safety_alert_active", "flink_taskmanager_job_task_operator_pendingRecords");
    List<String> missing = new ArrayList<>();
    for (String name : names) {
      if (query("count({__name__=\"" + name + "\"})").path("data").path("result").isEmpty()) {
        missing.add(name);
      }
    }
    System.out.printf("PrometheusQueriesITCase: %d metric names checked%n", names.size());
    assertThat(missing).as("metric names used by dashboards or rules but not exported").isEmpty();
  }

  @Test
  void safetyAlertRuleSeesTheDegradingVariant() throws Exception {
    // The job's own alert gauge drives the LlmSafety* alerts; the degrading variant must be visible to them.
    JsonNode r = query("llm_safety_alert_active{job=\"" + JOB_LABEL + "\", model_variant=\"prom-it-degrading\"} == 1");
    assertThat(r.path("data").path("result")).isNotEmpty();
  }

  /** Grafana's variables as a dashboard with all of this run's variants selected would render them. */
  static String substitute(String expr) {
    String s = expr.replace("$__rate_interval", "1m").replace("$__interval", "1m").replace("$__range", "5m")
        .replace("${job}", JOB_LABEL).replace("$job", JOB_LABEL)
        .replace("${flink_job}", ".*").replace("$flink_job", ".*")
        .replace("${model_variant}", VARIANTS).replace("$model_variant", VARIANTS);
    Matcher labelValues = Pattern.compile("^label_values\\((.+),\\s*(\\w+)\\)$").matcher(s.strip());
    if (labelValues.matches()) {
      // Grafana's label_values(series, label): the same lookup as a PromQL grouping.
      s = "group by (" + labelValues.group(2) + ") (" + labelValues.group(1) + ")";
    }
    assertThat(s).as("unsubstituted variable in %s", expr).doesNotContain("$");
    return s;
  }

  static List<String> traffic() {
    TrafficSimulator sim = new TrafficSimulator(7, List.of(
        TrafficSimulator.VariantProfile.healthy("prom-it-healthy", "base-a"),
        new TrafficSimulator.VariantProfile("prom-it-degrading", "base-a", TrafficSimulator.NORMAL,
            new TrafficSimulator.Behaviour(0.15, 0.2, 0.01), 0.5, null, 2, 0)),
        START, 100, EVENTS);
    List<String> out = new ArrayList<>();
    while (sim.hasNext()) {
      String event = sim.next();
      out.add(event);
      if (sim.produced() == 1_000) {
        out.add(event); // a producer retry: the duplicate counter gets a series
        // Reasons SafetyPipelineITCase does not count: both share the JVM's metrics registry.
        out.add("[\"an array, not an event\"]");
        out.add("{\"event_id\":\"bad-1\",\"timestamp\":" + sim.timeOf(1_000) + ",\"variant_id\":\"prom-it-healthy\",\"response\":\"hi\"}");
      }
    }
    return out;
  }

  static String lateEvent(String id) {
    return "{\"event_id\":\"" + id + "\",\"timestamp\":" + START + ",\"variant_id\":\"prom-it-healthy\","
        + "\"prompt\":\"what is the capital of France\",\"response\":\"Paris.\"}";
  }

  static void produce(List<String> lines) {
    KafkaTestClients.produce(kafka.bootstrapServers(), spec.kafka().topics().input(), lines);
  }

  static Process startPrometheus(Path binary, int metricsPort) throws Exception {
    int port = freePort();
    Path config = tmp.resolve("prometheus.yml");
    Files.writeString(config, """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        rule_files:
          - %s
        scrape_configs:
          - job_name: %s
            static_configs: [{targets: ['127.0.0.1:%d']}]
          - job_name: %s
            static_configs: [{targets: ['127.0.0.1:%d']}]
        """.formatted(Observability.RULES.toAbsolutePath(), JOB_LABEL, metricsPort, FLINK_JOB_LABEL, FLINK_REPORTER_PORT));
    prometheusLog = tmp.resolve("prometheus.log");
    Process p = new ProcessBuilder(binary.toString(),
        "--config.file=" + config,
        "--storage.tsdb.path=" + tmp.resolve("tsdb"),
        "--web.listen-address=127.0.0.1:" + port,
        "--log.level=warn")
        .redirectErrorStream(true)
        .redirectOutput(prometheusLog.toFile())
        .start();
    prometheusUrl = "http://127.0.0.1:" + port;
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new AssertionError("prometheus exited: " + Files.readString(prometheusLog));
      }
      try {
        if (HTTP.send(HttpRequest.newBuilder(URI.create(prometheusUrl + "/-/ready")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return p;
        }
      } catch (IOException notYet) {
        // still starting
      }
      Thread.sleep(100);
    }
    p.destroyForcibly();
    throw new AssertionError("prometheus not ready in 20 s: " + Files.readString(prometheusLog));
  }

  static JsonNode query(String expr) throws Exception {
    String url = prometheusUrl + "/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8);
    String body = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    return JSON.readTree(body);
  }

  static double value(JsonNode response) {
    JsonNode result = response.path("data").path("result");
    return result.isEmpty() ? Double.NaN : result.get(0).path("value").get(1).asDouble();
  }

  /** Polls Prometheus (it scrapes every second) until the query's answer satisfies {@code done}. */
  static void awaitQuery(String expr, Predicate<JsonNode> done, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      last = query(expr);
      if (done.test(last)) {
        return;
      }
      Thread.sleep(250);
    }
    throw new AssertionError("timed out waiting for " + expr + "; last answer " + last + "\nprometheus log:\n"
        + Files.readString(prometheusLog));
  }

  static JsonNode awaitRulesEvaluated(int expected) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      last = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(prometheusUrl + "/api/v1/rules")).build(),
          HttpResponse.BodyHandlers.ofString()).body());
      int evaluated = 0;
      for (JsonNode group : last.path("data").path("groups")) {
        for (JsonNode rule : group.path("rules")) {
          if (!rule.path("health").asText().equals("unknown")) {
            evaluated++;
          }
        }
      }
      if (evaluated >= expected) {
        return last;
      }
      Thread.sleep(250);
    }
    throw new AssertionError("rules not all evaluated in 15 s: " + last);
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

}
