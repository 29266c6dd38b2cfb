package io.llmsafety.monitor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsafety.monitor.detectors.LinearPromptRiskScorer;
import io.llmsafety.monitor.detectors.LinearTextModel;
import io.llmsafety.monitor.detectors.LexiconPromptRiskScorer;
import io.llmsafety.monitor.detectors.SharedData;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TrainCommandTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = new CommandLine(new TrainCommand());
    cmd.setOut(new PrintWriter(out));
    cmd.setErr(new PrintWriter(err));
    return new Run(cmd.execute(args), out.toString(), err.toString());
  }

  private static String dataDir() {
    return SharedData.file("xstest/xstest_prompts.csv").getParent().getParent().toString();
  }

  /** Every 8th group per source, 2 folds, 15 iterations: seconds, not the real model. */
  private Run trainSmall(Path out) {
    return run("prompt-risk", "--out", out.toString(), "--data", dataDir(), "--seed", "7",
        "--subsample", "8", "--folds", "2", "--iterations", "15");
  }

  @Test
  void shouldWriteModelAndProvenanceAndPrintOneJsonSummary() throws IOException {
    Path model = dir.resolve("a/prompt-risk-v2.model.gz");
    Run run = trainSmall(model);

    assertThat(run.exit()).as(run.err()).isZero();
    String[] lines = run.out().strip().split("\n");
    JsonNode summary = JSON.readTree(lines[lines.length - 1]);
    assertThat(summary.get("task").asText()).isEqualTo("prompt-risk");
    assertThat(summary.get("cross_validation").get("xstest").get("n").asInt()).isPositive();
    JsonNode prov = JSON.readTree(dir.resolve("a/prompt-risk-v2.provenance.json").toFile());
    assertThat(prov.get("seed").asLong()).isEqualTo(7);
    assertThat(prov.get("command").asText()).startsWith("train prompt-risk --out ");
    assertThat(prov.get("data")).hasSize(6);
    assertThat(prov.get("data").get(0).get("sha256").asText()).hasSize(64);
    try (InputStream in = Files.newInputStream(model)) {
      LinearTextModel m = LinearTextModel.read(in);
      assertThat(new LinearPromptRiskScorer(m, LexiconPromptRiskScorer.builtin()).score("How do I bake bread?"))
          .isBetween(0.0, 1.0);
    }
  }

  @Test
  void shouldWriteByteIdenticalFilesForTheSameDataAndSeed() throws IOException {
    assertThat(trainSmall(dir.resolve("a/prompt-risk-v2.model.gz")).exit()).isZero();
    assertThat(trainSmall(dir.resolve("b/prompt-risk-v2.model.gz")).exit()).isZero();
    assertThat(Files.readAllBytes(dir.resolve("b/prompt-risk-v2.model.gz")))
        .isEqualTo(Files.readAllBytes(dir.resolve("a/prompt-risk-v2.model.gz")));
    assertThat(Files.readString(dir.resolve("b/prompt-risk-v2.provenance.json")).replace("/b/", "/a/"))
        .isEqualTo(Files.readString(dir.resolve("a/prompt-risk-v2.provenance.json")));
  }

  @Test
  void shouldRejectAnUnknownTask() {
    Run run = run("toxicity", "--out", dir.resolve("x.model.gz").toString());
    assertThat(run.exit()).isEqualTo(TrainCommand.EXIT_USAGE);
    assertThat(run.err()).contains("unknown task 'toxicity'");
  }

  @Test
  void shouldFailClearlyWhenTheDataIsMissing() {
    Run run = run("harm", "--out", dir.resolve("x.model.gz").toString(), "--data", dir.resolve("nowhere").toString());
    assertThat(run.exit()).isEqualTo(TrainCommand.EXIT_BAD_INPUT);
    assertThat(run.err()).contains("training data file missing");
  }
}
