package io.llmsafety.monitor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ValidateCommandTest {

  @TempDir
  Path tmp;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  @Test
  void printsThePackagedDefaultsThresholdsAsTheJobDerivesThem() {
    assertThat(run("validate")).isZero();
    // README: ARL0 6.0e7 risky events (h <= 19.0), 5.4e8 benign (h <= 21.2), score drift 45.4.
    assertThat(out.toString())
        .contains("packaged defaults: valid")
        .containsPattern("refusal_drop +critical ARL0 6\\.05e\\+07 risky events, .* h <= 19\\.02 each"
            + " \\(solved at arming; at p0 = 0\\.05: 14\\.44 / 15\\.98 / 17\\.24\\)")
        .containsPattern("over_refusal +warning +ARL0 5\\.44e\\+08 benign events, .* h <= 21\\.21 each")
        .contains("threshold 45.4 (10 bins)")
        .contains("harmful answers to benign prompts below prompt risk 0.25")
        .contains("refusal triggers below prompt risk 0.10")
        .contains("remote judge off");
  }

  @Test
  void showsWhatASpecChanges() throws Exception {
    Path spec = tmp.resolve("job.yaml");
    Files.writeString(spec, "detectors:\n  fleet: {variants: 5000}\n  over_refusal: {enabled: false}\n"
        + "  backdoor:\n    refusal_triggers: {enabled: false}\n");
    assertThat(run("validate", "--job", spec.toString())).isZero();
    assertThat(out.toString())
        .contains(spec + ": valid")
        .contains("over 5000 variants")
        .containsPattern("refusal_drop +critical ARL0 3\\.02e\\+08")
        .containsPattern("over_refusal +off")
        .contains("refusal triggers off");
  }

  @Test
  void rejectsABadSpecNamingTheFieldWithExitTwo() throws Exception {
    Path spec = tmp.resolve("bad.yaml");
    Files.writeString(spec, "detectors:\n  backdoor:\n    refusal_triggers: {max_prompt_risk: 2}\n");
    assertThat(run("validate", "--job", spec.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("detectors.backdoor.refusal_triggers.max_prompt_risk").doesNotContain("\tat ");
    assertThat(out.toString()).isEmpty();
  }
}
