package io.llmsafety.monitor.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Reads the committed dashboards and rules: every PromQL expression they send to Prometheus. */
final class Observability {

  static final Path DIR = Path.of("dashboards");
  static final Path RULES = DIR.resolve("prometheus/llm-safety-rules.yaml");
  static final Path RULE_TESTS = DIR.resolve("prometheus/tests");
  static final Path ALERTMANAGER = DIR.resolve("alertmanager/alertmanager.yml");
  static final Path RUNBOOK = DIR.resolve("runbook.md");

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private Observability() {}

  /** One PromQL expression and where it comes from (for failure messages). */
  record Query(String source, String expr) {}

  static List<Path> dashboardFiles() {
    try (Stream<Path> files = Files.list(DIR)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode readJson(Path file) {
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode readYaml(Path file) {
    try {
      return YAML.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every panel's targets (rows included), each with its panel title. */
  static List<Query> panelQueries(JsonNode dashboard) {
    List<Query> out = new ArrayList<>();
    collectPanels(dashboard.path("title").asText(), dashboard.path("panels"), out);
    return out;
  }

  private static void collectPanels(String dashboard, JsonNode panels, List<Query> out) {
    for (JsonNode panel : panels) {
      for (JsonNode target : panel.path("targets")) {
        if (target.hasNonNull("expr")) {
          out.add(new Query(dashboard + " / " + panel.path("title").asText() + " / " + target.path("refId").asText(),
              target.path("expr").asText()));
        }
      }
      collectPanels(dashboard, panel.path("panels"), out);
    }
  }

  /** Template variable queries ({@code label_values(...)} or PromQL) and annotation queries. */
  static List<Query> variableAndAnnotationQueries(JsonNode dashboard) {
    List<Query> out = new ArrayList<>();
    String title = dashboard.path("title").asText();
    for (JsonNode v : dashboard.path("templating").path("list")) {
      if (v.path("type").asText().equals("query")) {
        String q = v.path("query").isObject() ? v.path("query").path("query").asText() : v.path("query").asText();
        out.add(new Query(title + " / variable " + v.path("name").asText(), q));
      }
    }
    for (JsonNode a : dashboard.path("annotations").path("list")) {
      if (a.hasNonNull("expr")) {
        out.add(new Query(title + " / annotation " + a.path("name").asText(), a.path("expr").asText()));
      }
    }
    return out;
  }

  static List<Query> ruleExpressions() {
    List<Query> out = new ArrayList<>();
    for (JsonNode group : readYaml(RULES).path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        String name = rule.has("alert") ? rule.path("alert").asText() : rule.path("record").asText();
        out.add(new Query(group.path("name").asText() + " / " + name, rule.path("expr").asText()));
      }
    }
    return out;
  }
}
