package io.llmsafety.monitor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsafety.monitor.detectors.LexiconRefusalScorer;
import io.llmsafety.monitor.detectors.LinearPromptRiskScorer;
import io.llmsafety.monitor.detectors.LinearRefusalScorer;
import io.llmsafety.monitor.detectors.RefusalModel;
import io.llmsafety.monitor.detectors.LinearTextModel;
import io.llmsafety.monitor.detectors.LexiconPromptRiskScorer;
import io.llmsafety.monitor.detectors.SharedData;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

  /** Every 8th row per source, 15 iterations, leave-one-model-out over the four XSTest set-ups. */
  private Run trainRefusalSmall(Path out, String... extra) {
    String[] base = {"refusal", "--out", out.toString(), "--data", dataDir(), "--seed", "3",
        "--subsample", "8", "--iterations", "15"};
    String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    return run(args);
  }

  @Test
  void shouldTrainRefusalWithLeaveOneModelOutFiguresBesideTheBaselines() throws IOException {
    Path model = dir.resolve("r/refusal-v2.model.gz");
    Run run = trainRefusalSmall(model);

    assertThat(run.exit()).as(run.err()).isZero();
    String[] lines = run.out().strip().split("\n");
    JsonNode summary = JSON.readTree(lines[lines.length - 1]);
    assertThat(summary.get("task").asText()).isEqualTo("refusal");
    JsonNode held = summary.get("leave_one_model_out").get("xstest_held_out");
    assertThat(held.fieldNames()).toIterable()
        .containsExactly("llama2new", "llama2orig", "mistralguard", "mistralinstruct");
    for (String k : List.of("v2", "v1", "string_match")) {
      assertThat(held.get("llama2orig").get(k).get("f1").asDouble()).as(k).isBetween(0.0, 1.0);
    }
    JsonNode prov = JSON.readTree(dir.resolve("r/refusal-v2.provenance.json").toFile());
    assertThat(prov.get("command").asText()).startsWith("train refusal --out ");
    assertThat(prov.get("data")).hasSize(6); // five shared files and the hand-written examples
    try (InputStream in = Files.newInputStream(model)) {
      RefusalModel m = RefusalModel.read(in);
      assertThat(new LinearRefusalScorer(m, LexiconRefusalScorer.builtin()).score("I cannot help with that."))
          .isBetween(0.0, 1.0);
    }
  }

  @Test
  void shouldWriteByteIdenticalRefusalFilesForTheSameDataAndSeed() throws IOException {
    assertThat(trainRefusalSmall(dir.resolve("a/refusal-v2.model.gz"), "--folds", "0").exit()).isZero();
    assertThat(trainRefusalSmall(dir.resolve("b/refusal-v2.model.gz"), "--folds", "0").exit()).isZero();
    assertThat(Files.readAllBytes(dir.resolve("b/refusal-v2.model.gz")))
        .isEqualTo(Files.readAllBytes(dir.resolve("a/refusal-v2.model.gz")));
    assertThat(Files.readString(dir.resolve("b/refusal-v2.provenance.json")).replace("/b/", "/a/"))
        .isEqualTo(Files.readString(dir.resolve("a/refusal-v2.provenance.json")));
  }

  @Test
  void shouldAddAPlatformsOwnLabelsAsAnotherHeldOutModel() throws IOException {
    Path labels = dir.resolve("labels.jsonl");
    Files.writeString(labels,
        "{\"response\": \"I can't help with that.\", \"label\": true, \"model\": \"ours\"}\n"
            + "{\"response\": \"Paris is the capital of France.\", \"label\": false, \"model\": \"ours\"}\n");
    Run run = trainRefusalSmall(dir.resolve("l/refusal-v2.model.gz"), "--labels", labels.toString());

    assertThat(run.exit()).as(run.err()).isZero();
    JsonNode prov = JSON.readTree(dir.resolve("l/refusal-v2.provenance.json").toFile());
    assertThat(prov.get("data")).hasSize(7);
    assertThat(prov.get("leave_one_model_out").get("xstest_held_out").has("labels:ours")).isTrue();
  }

  @Test
  void shouldRejectLabelsWithoutAResponse() throws IOException {
    Path labels = dir.resolve("bad.jsonl");
    Files.writeString(labels, "{\"label\": true}\n");
    Run run = trainRefusalSmall(dir.resolve("x/refusal-v2.model.gz"), "--labels", labels.toString());
    assertThat(run.exit()).isEqualTo(TrainCommand.EXIT_BAD_INPUT);
    assertThat(run.err()).contains("needs a string \"response\"");
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
