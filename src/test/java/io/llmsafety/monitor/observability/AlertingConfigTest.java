package io.llmsafety.monitor.observability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The alerting config as Prometheus and Alertmanager will read it: promtool's syntax check and unit
 * tests, amtool's config check and routing, plus the house conventions promtool does not know.
 */
class AlertingConfigTest {

  private static final Set<String> SEVERITIES = Set.of("critical", "warning", "info");
  private static final String RUNBOOK_URL = "https://github.com/llm-safety/safety-monitor/blob/main/dashboards/runbook.md#";

  @Test
  void promtoolAcceptsTheRulesFile() {
    Tool.Result r = Tool.run("promtool", "check", "rules", Observability.RULES.toString());
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS: " + alerts().size() + " rules found");
  }

  @Test
  void promtoolUnitTestsPass() throws IOException {
    List<String> args = new ArrayList<>(List.of("test", "rules"));
    testFiles().forEach(f -> args.add(f.toString()));
    Tool.Result r = Tool.run("promtool", args.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).doesNotContain("FAILED");
  }

  @Test
  void everyAlertIsTestedSilentBeforeAndFiringAtItsBoundary() throws IOException {
    Set<String> silent = new HashSet<>();
    Set<String> firing = new HashSet<>();
    for (Path file : testFiles()) {
      for (JsonNode test : Observability.readYaml(file).path("tests")) {
        for (JsonNode t : test.path("alert_rule_test")) {
          (t.path("exp_alerts").isEmpty() ? silent : firing).add(t.path("alertname").asText());
        }
      }
    }
    List<String> names = alerts().stream().map(a -> a.path("alert").asText()).toList();
    assertThat(silent).as("alerts with a 'silent before for' case").containsAll(names);
    assertThat(firing).as("alerts with a 'firing at for' case").containsAll(names);
  }

  @Test
  void everyAlertFollowsTheNamingSeverityAndAnnotationConventions() {
    for (JsonNode a : alerts()) {
      String name = a.path("alert").asText();
      assertThat(name).as("alert name").matches("LlmSafety([A-Z][a-z]+)+");
      assertThat(a.path("for").asText()).as("%s for", name).isNotEmpty();
      // Detector alerts carry the severity the job was configured with; the rest set it here.
      String severity = a.path("labels").path("severity").asText();
      if (severity.isEmpty()) {
        assertThat(a.path("expr").asText()).as("%s takes severity from the series", name).contains("severity)");
      } else {
        assertThat(severity).as("%s severity", name).isIn(SEVERITIES);
      }
      JsonNode ann = a.path("annotations");
      assertThat(ann.path("summary").asText()).as("%s summary is static", name).isNotEmpty().doesNotContain("{{");
      if (!a.path("expr").asText().startsWith("absent(")) {
        // absent() yields a series without labels: nothing to template for that one.
        assertThat(ann.path("description").asText()).as("%s description is templated", name).contains("{{");
      }
      assertThat(ann.path("runbook_url").asText()).as("%s runbook", name)
          .isEqualTo(RUNBOOK_URL + name.toLowerCase(Locale.ROOT));
    }
  }

  @Test
  void everyRunbookUrlHasAnEntryInTheRunbook() throws IOException {
    Set<String> anchors = new HashSet<>();
    Matcher m = Pattern.compile("(?m)^## (\\S+)\\s*$").matcher(Files.readString(Observability.RUNBOOK));
    while (m.find()) {
      anchors.add(m.group(1).toLowerCase(Locale.ROOT));
    }
    for (JsonNode a : alerts()) {
      String url = a.path("annotations").path("runbook_url").asText();
      assertThat(anchors).as("runbook heading for %s", url).contains(url.substring(url.indexOf('#') + 1));
    }
  }

  @Test
  void theJobsOwnAlertKindsEachHaveAnAlertNamedForTheirRunbookAnchor() {
    // The job links its Kafka alerts to #llmsafety<kind without underscores>; Prometheus must agree.
    Set<String> names = new HashSet<>(alerts().stream().map(a -> a.path("alert").asText().toLowerCase(Locale.ROOT)).toList());
    for (String kind : List.of("refusal_drop", "harm_rise", "backdoor_suspected", "over_refusal")) {
      String anchor = "llmsafety" + kind.replace("_", "");
      assertThat(names).as("alert for kind %s", kind).contains(anchor);
      JsonNode rule = alerts().stream().filter(a -> a.path("alert").asText().equalsIgnoreCase(anchor)).findFirst().orElseThrow();
      assertThat(rule.path("expr").asText()).contains("kind=\"" + kind + "\"");
    }
  }

  @Test
  void amtoolAcceptsTheAlertmanagerConfig() {
    Tool.Result r = Tool.run("amtool", "check-config", Observability.ALERTMANAGER.toString());
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS");
  }

  @ParameterizedTest(name = "{0} alerts go to {1}")
  @CsvSource({
      "critical, safety-pager",
      "warning, safety-tickets",
      "info, safety-digest",
      "'', safety-tickets",
  })
  void alertmanagerRoutesEachSeverityToItsReceiver(String severity, String receiver) {
    List<String> labels = new ArrayList<>(List.of("alertname=LlmSafetyRefusalDrop", "model_variant=ft-1"));
    if (severity != null && !severity.isEmpty()) {
      labels.add("severity=" + severity);
    }
    List<String> args = new ArrayList<>(List.of("config", "routes", "test", "--config.file=" + Observability.ALERTMANAGER,
        "--verify.receivers=" + receiver));
    args.addAll(labels);
    Tool.Result r = Tool.run("amtool", args.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.output()).isZero();
  }

  private static List<JsonNode> alerts() {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode group : Observability.readYaml(Observability.RULES).path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        if (rule.has("alert")) {
          out.add(rule);
        }
      }
    }
    return out;
  }

  private static List<Path> testFiles() throws IOException {
    try (Stream<Path> files = Files.list(Observability.RULE_TESTS)) {
      return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
    }
  }
}
