package io.llmsafety.monitor.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.llmsafety.monitor.jobs.config.JobSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs the real {@code helm lint --strict} and {@code helm template} (helm-java's native Helm
 * library) on {@code helm/safety-monitor} with its defaults and every {@code ci/*-values.yaml}
 * scenario, and checks the rendered manifests.
 */
class HelmChartTest {

  static final Path CHART = Path.of("helm/safety-monitor");
  private static final String RELEASE = "sm";
  private static final String NAMESPACE = "llm-safety";
  private static final String FULLNAME = "sm-safety-monitor";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  /** Placeholders in kafka.properties resolve to these stand-ins, never to real secrets. */
  private static final Function<String, String> FAKE_ENV = name -> "<" + name + ">";

  /** One rendering of the chart, as parsed manifests. */
  record Rendered(String scenario, String text, List<JsonNode> docs) {

    List<JsonNode> ofKind(String kind) {
      return docs.stream().filter(d -> kind.equals(d.path("kind").asText())).toList();
    }

    JsonNode one(String kind) {
      List<JsonNode> all = ofKind(kind);
      assertThat(all).as("%s: exactly one %s", scenario, kind).hasSize(1);
      return all.get(0);
    }

    JsonNode configMap(String name) {
      return ofKind("ConfigMap").stream().filter(c -> name.equals(c.at("/metadata/name").asText())).findFirst()
          .orElseThrow(() -> new AssertionError(scenario + ": no ConfigMap " + name));
    }

    JsonNode flinkDeployment() {
      return one("FlinkDeployment");
    }

    JsonNode mainContainer() {
      return flinkDeployment().at("/spec/podTemplate/spec/containers/0");
    }

    String jobSpecYaml() {
      return configMap(FULLNAME + "-job-spec").at("/data/job.yaml").asText();
    }
  }

  static Stream<String> scenarios() throws IOException {
    List<String> names = new ArrayList<>();
    names.add("defaults");
    try (Stream<Path> files = Files.list(CHART.resolve("ci"))) {
      files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith("-values.yaml")).sorted().forEach(names::add);
    }
    return names.stream();
  }

  static Rendered render(String scenario) {
    return render(scenario, UnaryOperator.identity());
  }

  static Rendered render(String scenario, UnaryOperator<TemplateCommand> extra) {
    TemplateCommand cmd = new Helm(CHART).template().withName(RELEASE).withNamespace(NAMESPACE);
    if (!scenario.equals("defaults")) {
      cmd = cmd.withValuesFile(CHART.resolve("ci").resolve(scenario));
    }
    String text = extra.apply(cmd).call();
    List<JsonNode> docs = new ArrayList<>();
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(text)) {
      while (it.hasNext()) {
        JsonNode doc = it.next();
        if (doc != null && !doc.isNull() && !doc.isMissingNode() && doc.size() > 0) {
          docs.add(doc);
        }
      }
    } catch (IOException e) {
      throw new AssertionError(scenario + ": rendered manifests are not YAML", e);
    }
    return new Rendered(scenario, text, docs);
  }

  static Map<String, JsonNode> values(String scenario) throws IOException {
    JsonNode v = YAML.readTree(CHART.resolve("ci").resolve(scenario).toFile());
    Map<String, JsonNode> out = new TreeMap<>();
    v.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  // ---- helm lint ----

  @Test
  void shouldPassHelmLintStrict() {
    // helm-java 0.0.15's lint takes no values file: the ci scenarios are checked by rendering them,
    // and the schema validates every rendering below.
    LintResult result = new Helm(CHART).lint().strict().call();
    assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
    assertThat(result.getMessages()).noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
  }

  // ---- every scenario ----

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void shouldRenderStandardLabelsOnEveryResource(String scenario) {
    Rendered r = render(scenario);
    assertThat(r.docs()).isNotEmpty();
    for (JsonNode doc : r.docs()) {
      JsonNode labels = doc.at("/metadata/labels");
      assertThat(labels.path("app.kubernetes.io/name").asText()).as("%s %s", scenario, doc.path("kind")).isEqualTo("safety-monitor");
      assertThat(labels.path("app.kubernetes.io/instance").asText()).isEqualTo(RELEASE);
      assertThat(labels.path("app.kubernetes.io/managed-by").asText()).isEqualTo("Helm");
      assertThat(labels.path("helm.sh/chart").asText()).startsWith("safety-monitor-");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void shouldRunTheJarInApplicationModeWithThePinnedImage(String scenario) {
    JsonNode fd = render(scenario).flinkDeployment();
    assertThat(fd.path("apiVersion").asText()).isEqualTo("flink.apache.org/v1beta1");
    assertThat(fd.at("/spec/image").asText()).matches("[^:@]+(:[0-9][^:]*|@sha256:[a-f0-9]{64})").doesNotEndWith(":latest");
    assertThat(fd.at("/spec/job/jarURI").asText()).isEqualTo("local:///opt/flink/usrlib/safety-monitor.jar");
    assertThat(fd.at("/spec/job/entryClass").asText()).isEqualTo("io.llmsafety.monitor.cli.Main");
    assertThat(YAML.convertValue(fd.at("/spec/job/args"), List.class)).startsWith("run", "--job", "/opt/safety-monitor/job.yaml");
    assertThat(fd.at("/spec/job/upgradeMode").asText()).isIn("savepoint", "last-state");
    assertThat(fd.at("/spec/serviceAccount").asText()).isNotBlank();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void shouldConfigureHaCheckpointsSavepointsAndFlinksPrometheusReporter(String scenario) {
    JsonNode conf = render(scenario).flinkDeployment().at("/spec/flinkConfiguration");
    assertThat(conf.path("high-availability.type").asText()).isEqualTo("kubernetes");
    String base = conf.path("high-availability.storageDir").asText().replaceFirst("/ha$", "");
    assertThat(base).matches("[a-z0-9]+://.+");
    assertThat(conf.path("execution.checkpointing.dir").asText()).isEqualTo(base + "/checkpoints");
    assertThat(conf.path("execution.checkpointing.savepoint-dir").asText()).isEqualTo(base + "/savepoints");
    assertThat(conf.path("metrics.reporter.prom.factory.class").asText())
        .isEqualTo("org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
    assertThat(conf.path("metrics.reporter.prom.port").asText()).isEqualTo("9249");
    // The operator passes these through as strings: a non-string would fail its CRD validation.
    conf.fields().forEachRemaining(e -> assertThat(e.getValue().isTextual()).as(e.getKey()).isTrue());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void shouldApplySecureDefaults(String scenario) {
    Rendered r = render(scenario);
    JsonNode pod = r.flinkDeployment().at("/spec/podTemplate/spec");
    assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
    assertThat(pod.at("/securityContext/seccompProfile/type").asText()).isEqualTo("RuntimeDefault");
    JsonNode c = r.mainContainer();
    assertThat(c.path("name").asText()).isEqualTo("flink-main-container");
    JsonNode sc = c.path("securityContext");
    assertThat(sc.path("allowPrivilegeEscalation").isBoolean()).isTrue();
    assertThat(sc.path("allowPrivilegeEscalation").asBoolean()).isFalse();
    assertThat(sc.path("readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(sc.path("runAsNonRoot").asBoolean()).isTrue();
    assertThat(YAML.convertValue(sc.at("/capabilities/drop"), List.class)).containsExactly("ALL");
    // A read-only root needs writable scratch space where Flink writes.
    Map<String, String> mounts = new TreeMap<>();
    c.path("volumeMounts").forEach(m -> mounts.put(m.path("mountPath").asText(), m.path("name").asText()));
    assertThat(mounts).containsKeys("/tmp", "/opt/flink/log", "/opt/flink/work", "/opt/safety-monitor");
    Map<String, JsonNode> volumes = new TreeMap<>();
    pod.path("volumes").forEach(v -> volumes.put(v.path("name").asText(), v));
    for (String path : List.of("/tmp", "/opt/flink/log", "/opt/flink/work")) {
      assertThat(volumes.get(mounts.get(path)).has("emptyDir")).as(path).isTrue();
    }
    assertThat(volumes.get("job-spec").at("/configMap/name").asText()).isEqualTo(FULLNAME + "-job-spec");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void shouldMountAJobSpecThatTheJobAccepts(String scenario) {
    Rendered r = render(scenario);
    JobSpec spec = JobSpec.parse(r.jobSpecYaml(), "chart:" + scenario, FAKE_ENV);
    JsonNode fd = r.flinkDeployment();
    assertThat(spec.flink().parallelism()).isEqualTo(fd.at("/spec/job/parallelism").asInt());
    assertThat(spec.metrics().port()).isEqualTo(9464);
    // Checkpoints go where the chart's storage says, not to a path baked into the spec.
    assertThat(spec.flink().checkpointDir()).isNull();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void shouldRenderNoSecretValues(String scenario) {
    Rendered r = render(scenario);
    assertThat(r.ofKind("Secret")).isEmpty();
    // Credentials appear only as ${VAR} placeholders, never as values.
    assertThat(r.text()).as("resolved credentials").doesNotContainPattern("(?i)(password|username)=\"(?!\\$\\{)");
    for (JsonNode doc : r.docs()) {
      doc.findValues("env").forEach(env -> env.forEach(e -> {
        if (e.path("name").asText().matches("(?i).*(PASS|SECRET|TOKEN|KEY|USER).*")) {
          assertThat(e.has("value")).as("%s: %s must come from a Secret", scenario, e.path("name")).isFalse();
        }
      }));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void shouldRollThePodsWhenTheJobSpecChanges(String scenario) {
    String before = render(scenario).flinkDeployment().at("/spec/podTemplate/metadata/annotations/checksum~1job-spec").asText();
    String after = render(scenario, c -> c.set("jobSpec.windows.size", "10m"))
        .flinkDeployment().at("/spec/podTemplate/metadata/annotations/checksum~1job-spec").asText();
    assertThat(before).matches("[0-9a-f]{64}");
    assertThat(after).matches("[0-9a-f]{64}").isNotEqualTo(before);
  }

  // ---- defaults ----

  @Test
  void shouldMirrorJobsDefaultYamlExceptTheKafkaAddress() {
    JobSpec rendered = JobSpec.parse(render("defaults").jobSpecYaml(), "chart", FAKE_ENV);
    JobSpec defaults = JobSpec.defaults();
    assertThat(rendered.kafka().bootstrapServers()).isEqualTo("kafka-bootstrap.kafka.svc:9092");
    assertThat(rendered.withKafka(rendered.kafka().withBootstrapServers(defaults.kafka().bootstrapServers())))
        .isEqualTo(defaults);
  }

  @Test
  void shouldScrapeBothMetricsPortsOfEveryFlinkPod() {
    Rendered r = render("defaults");
    JsonNode pm = r.one("PodMonitor");
    Map<String, Integer> containerPorts = new TreeMap<>();
    r.mainContainer().path("ports").forEach(p -> containerPorts.put(p.path("name").asText(), p.path("containerPort").asInt()));
    assertThat(containerPorts).containsEntry("flink-metrics", 9249).containsEntry("job-metrics", 9464);
    List<String> scraped = new ArrayList<>();
    pm.at("/spec/podMetricsEndpoints").forEach(e -> scraped.add(e.path("port").asText()));
    assertThat(scraped).containsExactlyInAnyOrder("flink-metrics", "job-metrics");
    // The selector must match the labels on the pods the operator creates from the pod template.
    JsonNode podLabels = r.flinkDeployment().at("/spec/podTemplate/metadata/labels");
    pm.at("/spec/selector/matchLabels").fields()
        .forEachRemaining(e -> assertThat(podLabels.path(e.getKey()).asText()).isEqualTo(e.getValue().asText()));
  }

  @Test
  void shouldRestrictTrafficWithANetworkPolicy() {
    Rendered r = render("defaults");
    JsonNode np = r.one("NetworkPolicy");
    assertThat(YAML.convertValue(np.at("/spec/policyTypes"), List.class)).containsExactlyInAnyOrder("Ingress", "Egress");
    JsonNode podLabels = r.flinkDeployment().at("/spec/podTemplate/metadata/labels");
    np.at("/spec/podSelector/matchLabels").fields()
        .forEachRemaining(e -> assertThat(podLabels.path(e.getKey()).asText()).isEqualTo(e.getValue().asText()));
    List<Integer> ingressPorts = new ArrayList<>();
    np.at("/spec/ingress").forEach(rule -> rule.path("ports").forEach(p -> ingressPorts.add(p.path("port").asInt())));
    assertThat(ingressPorts).containsExactlyInAnyOrder(8081, 9249, 9464);
    List<Integer> egressPorts = new ArrayList<>();
    np.at("/spec/egress").forEach(rule -> rule.path("ports").forEach(p -> egressPorts.add(p.path("port").asInt())));
    assertThat(egressPorts).contains(53, 9092, 443);
  }

  @Test
  void shouldGrantTheHaRoleToTheFlinkServiceAccount() {
    Rendered r = render("defaults");
    JsonNode role = r.one("Role");
    assertThat(role.at("/rules/0/resources/0").asText()).isEqualTo("configmaps");
    JsonNode binding = r.one("RoleBinding");
    assertThat(binding.at("/subjects/0/name").asText()).isEqualTo(r.one("ServiceAccount").at("/metadata/name").asText())
        .isEqualTo(r.flinkDeployment().at("/spec/serviceAccount").asText());
    assertThat(binding.at("/subjects/0/namespace").asText()).isEqualTo(NAMESPACE);
  }

  @Test
  void shouldRenderRulesAndDashboardsFromTheChartFiles() throws IOException {
    Rendered r = render("defaults");
    JsonNode rule = r.one("PrometheusRule");
    JsonNode fromFile = YAML.readTree(CHART.resolve("files/prometheus-rules.yaml").toFile());
    assertThat(rule.at("/spec/groups")).isEqualTo(fromFile.path("groups"));
    List<String> alerts = new ArrayList<>();
    rule.at("/spec/groups").forEach(g -> g.path("rules").forEach(x -> {
      if (x.has("alert")) {
        alerts.add(x.path("alert").asText());
      }
    }));
    assertThat(alerts).isNotEmpty().allMatch(a -> a.matches("LlmSafety[A-Z][A-Za-z0-9]*"));

    JsonNode dashboards = r.configMap(FULLNAME + "-dashboards");
    assertThat(dashboards.at("/metadata/labels/grafana_dashboard").asText()).isEqualTo("1");
    List<String> keys = new ArrayList<>();
    dashboards.path("data").fieldNames().forEachRemaining(keys::add);
    assertThat(keys).isEqualTo(chartDashboardNames());
    for (String key : keys) {
      assertThat(dashboards.at("/data/" + key).asText()).isEqualTo(Files.readString(CHART.resolve("files/dashboards").resolve(key)));
    }
  }

  // ---- scenarios ----

  @Test
  void shouldTakeKafkaCredentialsFromTheExistingSecretOnTheJobManagerOnly() throws IOException {
    Rendered r = render("sasl-secret-values.yaml");
    JsonNode jm = r.flinkDeployment().at("/spec/jobManager/podTemplate/spec/containers/0");
    Map<String, String> refs = new TreeMap<>();
    jm.path("env").forEach(e -> refs.put(e.path("name").asText(),
        e.at("/valueFrom/secretKeyRef/name").asText() + "/" + e.at("/valueFrom/secretKeyRef/key").asText()));
    assertThat(refs).containsExactlyInAnyOrderEntriesOf(
        Map.of("KAFKA_USER", "kafka-safety-monitor/username", "KAFKA_PASSWORD", "kafka-safety-monitor/password"));
    assertThat(r.flinkDeployment().at("/spec/taskManager/podTemplate").isMissingNode()).isTrue();
    // The placeholder stays literal in the ConfigMap; the job resolves it from the environment.
    assertThat(r.jobSpecYaml()).contains("username=\"${KAFKA_USER}\" password=\"${KAFKA_PASSWORD}\"");
    JobSpec spec = JobSpec.parse(r.jobSpecYaml(), "chart", FAKE_ENV);
    assertThat(spec.kafka().properties().get("sasl.jaas.config")).contains("username=\"<KAFKA_USER>\"");
    assertThat(values("sasl-secret-values.yaml")).containsKey("kafkaCredentials");
  }

  @Test
  void shouldRenderOnlyTheDeploymentWhenMonitoringIsDisabled() {
    Rendered r = render("monitoring-disabled-values.yaml");
    assertThat(r.ofKind("PodMonitor")).isEmpty();
    assertThat(r.ofKind("PrometheusRule")).isEmpty();
    assertThat(r.ofKind("NetworkPolicy")).isEmpty();
    assertThat(r.ofKind("ConfigMap")).extracting(c -> c.at("/metadata/name").asText()).containsExactly(FULLNAME + "-job-spec");
    assertThat(r.ofKind("FlinkDeployment")).hasSize(1);
  }

  @Test
  void shouldMountTheExistingClaimForFileStorage() {
    Rendered r = render("scaled-values.yaml");
    JsonNode fd = r.flinkDeployment();
    assertThat(fd.at("/spec/job/parallelism").asInt()).isEqualTo(8);
    assertThat(fd.at("/spec/jobManager/replicas").asInt()).isEqualTo(2);
    List<String> claims = new ArrayList<>();
    fd.at("/spec/podTemplate/spec/volumes").forEach(v -> claims.add(v.at("/persistentVolumeClaim/claimName").asText()));
    assertThat(claims).contains("flink-state-rwx");
    JobSpec spec = JobSpec.parse(r.jobSpecYaml(), "chart", FAKE_ENV);
    assertThat(spec.flink().parallelism()).isEqualTo(8);
    assertThat(spec.alertmanager().url()).isEqualTo("http://alertmanager-operated.monitoring.svc:9093");
    List<Integer> egressPorts = new ArrayList<>();
    r.one("NetworkPolicy").at("/spec/egress").forEach(rule -> rule.path("ports").forEach(p -> egressPorts.add(p.path("port").asInt())));
    assertThat(egressPorts).contains(9093);
  }

  // ---- rejected values ----

  @Test
  void shouldRejectTheLatestTag() {
    assertThatThrownBy(() -> render("defaults", c -> c.set("image.tag", "latest"))).hasMessageContaining("image.tag");
  }

  @Test
  void shouldRejectAnUnknownTopLevelValue() {
    assertThatThrownBy(() -> render("defaults", c -> c.set("imagee.tag", "1.0"))).hasMessageContaining("imagee");
  }

  @Test
  void shouldRejectParallelismInTheJobSpecSinceTheChartOwnsIt() {
    assertThatThrownBy(() -> render("defaults", c -> c.set("jobSpec.flink.parallelism", 4))).hasMessageContaining("jobSpec");
  }

  // ---- copies of dashboards/ kept in the chart ----

  /**
   * The chart packages copies (Helm cannot read outside the chart directory). Byte-for-byte equal to
   * the source of truth once it exists; until then the placeholder in files/ renders.
   */
  @Test
  void shouldCarryAnExactCopyOfThePrometheusRules() throws IOException {
    Path source = Path.of("dashboards/prometheus/llm-safety-rules.yaml");
    if (Files.exists(source)) {
      assertThat(Files.readAllBytes(CHART.resolve("files/prometheus-rules.yaml")))
          .as("helm/safety-monitor/files/prometheus-rules.yaml must be a copy of %s: cp %s %s", source, source,
              CHART.resolve("files/prometheus-rules.yaml"))
          .isEqualTo(Files.readAllBytes(source));
    }
  }

  @Test
  void shouldCarryExactCopiesOfTheGrafanaDashboards() throws IOException {
    Path source = Path.of("dashboards");
    List<String> sourceNames = new ArrayList<>();
    if (Files.isDirectory(source)) {
      try (Stream<Path> files = Files.list(source)) {
        files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted().forEach(sourceNames::add);
      }
    }
    if (!sourceNames.isEmpty()) {
      assertThat(chartDashboardNames()).as("helm/safety-monitor/files/dashboards/ must hold exactly dashboards/*.json")
          .isEqualTo(sourceNames);
      for (String name : sourceNames) {
        assertThat(Files.readAllBytes(CHART.resolve("files/dashboards").resolve(name))).as(name)
            .isEqualTo(Files.readAllBytes(source.resolve(name)));
      }
    }
  }

  private static List<String> chartDashboardNames() throws IOException {
    try (Stream<Path> files = Files.list(CHART.resolve("files/dashboards"))) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted().toList();
    }
  }
}
