package io.llmsafety.monitor.observability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * The dashboard conventions (STYLE.md, kubernetes-mixin): what Grafana would accept silently but a
 * reader of the dashboards would trip over. Whether the queries work is PrometheusQueriesITCase's job.
 */
class DashboardsTest {

  static List<Path> dashboards() {
    return Observability.dashboardFiles();
  }

  @Test
  void thereAreTheThreeDashboardsWithStableUniqueUids() {
    List<String> uids = dashboards().stream().map(f -> Observability.readJson(f).path("uid").asText()).toList();
    assertThat(uids).containsExactlyInAnyOrder("llm-safety-overview", "llm-safety-variant", "llm-safety-pipeline");
  }

  @ParameterizedTest
  @MethodSource("dashboards")
  void dashboardCarriesTheSharedTagAndAPrometheusDatasourceVariable(Path file) {
    JsonNode d = Observability.readJson(file);
    assertThat(d.path("tags").toString()).contains("\"llm-safety\"");
    assertThat(d.path("schemaVersion").asInt()).isGreaterThanOrEqualTo(39);
    JsonNode first = d.path("templating").path("list").get(0);
    assertThat(first.path("type").asText()).isEqualTo("datasource");
    assertThat(first.path("query").asText()).isEqualTo("prometheus");
  }

  @ParameterizedTest
  @MethodSource("dashboards")
  void variablesChainDatasourceThenJobThenMultiSelectVariant(Path file) {
    List<JsonNode> vars = new ArrayList<>();
    Observability.readJson(file).path("templating").path("list").forEach(vars::add);
    List<String> names = vars.stream().map(v -> v.path("name").asText()).toList();
    assertThat(names.subList(0, 2)).containsExactly("datasource", "job");
    for (JsonNode v : vars.subList(1, vars.size())) {
      assertThat(v.path("datasource").path("uid").asText()).as(v.path("name").asText()).isEqualTo("${datasource}");
    }
    vars.stream().filter(v -> v.path("name").asText().equals("model_variant")).forEach(v -> {
      assertThat(v.path("multi").asBoolean()).isTrue();
      assertThat(v.path("includeAll").asBoolean()).isTrue();
      assertThat(v.path("definition").asText()).contains("job=\"$job\"");
    });
  }

  @ParameterizedTest
  @MethodSource("dashboards")
  void everyPanelHasATitleDescriptionUnitAndTheTemplatedDatasource(Path file) {
    for (JsonNode p : panels(Observability.readJson(file))) {
      if (p.path("type").asText().equals("row")) {
        continue;
      }
      String title = p.path("title").asText();
      assertThat(title).isNotBlank();
      assertThat(p.path("description").asText()).as("description of %s", title).isNotBlank();
      assertThat(p.path("fieldConfig").path("defaults").path("unit").asText()).as("unit of %s", title).isNotBlank();
      assertThat(p.path("datasource").path("uid").asText()).as("datasource of %s", title).isEqualTo("${datasource}");
      assertThat(p.path("targets")).as("targets of %s", title).isNotEmpty();
    }
  }

  @ParameterizedTest
  @MethodSource("dashboards")
  void ratesUseRateIntervalNotAFixedWindow(Path file) {
    // rate()/increase() over a fixed window breaks at other scrape intervals; $__rate_interval adapts.
    // Deliberate exceptions: "over 1h" movers and the $__range count.
    Pattern window = Pattern.compile("\\b(rate|increase)\\([^\\[]*\\[([^\\]]+)\\]");
    for (Observability.Query q : Observability.panelQueries(Observability.readJson(file))) {
      Matcher m = window.matcher(q.expr());
      while (m.find()) {
        assertThat(m.group(2)).as(q.source()).isIn("$__rate_interval", "$__range");
      }
    }
  }

  @ParameterizedTest
  @MethodSource("dashboards")
  void theFirstRowIsStatPanels(Path file) {
    List<JsonNode> all = panels(Observability.readJson(file));
    assertThat(all.get(0).path("type").asText()).isEqualTo("row");
    List<String> firstRow = new ArrayList<>();
    for (JsonNode p : all.subList(1, all.size())) {
      if (p.path("type").asText().equals("row")) {
        break;
      }
      firstRow.add(p.path("type").asText());
    }
    assertThat(firstRow).isNotEmpty().containsOnly("stat");
  }

  @ParameterizedTest
  @MethodSource("dashboards")
  void panelIdsAreUniqueAndPanelsDoNotOverlap(Path file) {
    Set<Integer> ids = new HashSet<>();
    Set<String> cells = new HashSet<>();
    for (JsonNode p : panels(Observability.readJson(file))) {
      assertThat(ids.add(p.path("id").asInt())).as("unique id %s", p.path("id")).isTrue();
      JsonNode g = p.path("gridPos");
      assertThat(g.path("x").asInt() + g.path("w").asInt()).isLessThanOrEqualTo(24);
      for (int x = g.path("x").asInt(); x < g.path("x").asInt() + g.path("w").asInt(); x++) {
        for (int y = g.path("y").asInt(); y < g.path("y").asInt() + g.path("h").asInt(); y++) {
          assertThat(cells.add(x + "," + y)).as("%s overlaps at %d,%d", p.path("title").asText(), x, y).isTrue();
        }
      }
    }
  }

  @Test
  void theProvisioningFileServesTheDashboardFolder() throws Exception {
    JsonNode provisioning = Observability.readYaml(Observability.DIR.resolve("grafana-provisioning.yaml"));
    JsonNode provider = provisioning.path("providers").get(0);
    assertThat(provider.path("type").asText()).isEqualTo("file");
    assertThat(provider.path("options").path("path").asText()).isNotBlank();
    assertThat(Files.readString(Observability.DIR.resolve("README.md"))).contains(provider.path("options").path("path").asText());
  }

  private static List<JsonNode> panels(JsonNode dashboard) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode p : dashboard.path("panels")) {
      out.add(p);
      StreamSupport.stream(p.path("panels").spliterator(), false).forEach(out::add);
    }
    return out;
  }
}
