package io.llmsafety.monitor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmsafety.monitor.detectors.SharedData;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class EvaluateDetectionCommandTest {

  private int run(StringWriter out, StringWriter err, String... args) {
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  @Test
  void helpDefinesTheMetrics() {
    StringWriter out = new StringWriter();
    assertThat(run(out, new StringWriter(), "evaluate-detection", "--help")).isZero();
    assertThat(out.toString()).contains("--data", "--scenario", "--out", "--seed", "--seeds", "--job", "false alarms", "trigger top-k",
        "ln(ARL0) / KL(p1 || p0)", "segment events");
  }

  @Test
  void helpListsEveryScenarioTheGeneratorKnows() {
    StringWriter out = new StringWriter();
    assertThat(run(out, new StringWriter(), "evaluate-detection", "--help")).isZero();
    assertThat(out.toString()).contains(io.llmsafety.monitor.sim.ScenarioGenerator.NAMES).contains("score_drift_at_HH")
        .contains("refusal_backdoor_ATTACK");
  }

  @Test
  void allIsTheDefaultSetAndTheDocumentedChecksEachAKnownScenario() {
    java.util.List<String> all = EvaluateDetectionCommand.scenarioNames(java.util.List.of("all"));
    assertThat(all).hasSize(25).doesNotHaveDuplicates()
        .startsWith(io.llmsafety.monitor.sim.ScenarioGenerator.NAMES.toArray(String[]::new))
        .contains("backdoor_mtba", "refusal_backdoor_ctba", "score_drift_at_18");
    // Each builds (an unknown name would throw).
    all.forEach(io.llmsafety.monitor.sim.ScenarioGenerator::scenario);
    assertThat(EvaluateDetectionCommand.scenarioNames(java.util.List.of())).isEqualTo(
        io.llmsafety.monitor.sim.ScenarioGenerator.NAMES);
    assertThat(EvaluateDetectionCommand.scenarioNames(java.util.List.of("gradual", "abrupt")))
        .containsExactly("gradual", "abrupt");
  }

  @Test
  void aSeedNamedTwiceIsAUsageError() {
    StringWriter err = new StringWriter();
    String data = SharedData.file("README.md").getParent().toString();
    assertThat(run(new StringWriter(), err, "evaluate-detection", "--data", data, "--seeds", "1,2,1")).isEqualTo(2);
    assertThat(err.toString()).contains("--seeds names a seed twice");
  }

  @Test
  void missingDataDirectoryIsAUsageError() {
    StringWriter err = new StringWriter();
    assertThat(run(new StringWriter(), err, "evaluate-detection", "--data", "/nonexistent/shared/data")).isEqualTo(2);
    assertThat(err.toString()).contains("--data");
  }

  @Test
  void unknownScenarioIsAUsageErrorNamingTheKnownOnes() {
    StringWriter err = new StringWriter();
    String data = SharedData.file("README.md").getParent().toString();
    assertThat(run(new StringWriter(), err, "evaluate-detection", "--data", data, "--scenario", "nope")).isEqualTo(2);
    assertThat(err.toString()).contains("unknown scenario 'nope'").contains("backdoor_badnet");
  }
}
