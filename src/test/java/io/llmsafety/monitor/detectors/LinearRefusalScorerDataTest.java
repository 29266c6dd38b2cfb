package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmsafety.monitor.detectors.RefusalTraining.CvResult;
import io.llmsafety.monitor.detectors.RefusalTraining.Example;
import io.llmsafety.monitor.detectors.RefusalTraining.Settings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Refusal v2 under the full leave-one-model-out protocol of {@code train refusal} (four fits,
 * ~40 s): each XSTest set-up is scored by a model that never saw its responses, and compared with
 * the v1 lexicon and upstream's string match on the same rows. Floors are the measured figures
 * minus about one point, so a regression fails; the figures are in {@code detectors/README.md}.
 */
class LinearRefusalScorerDataTest {

  private static Path dataDir;
  private static List<Example> all;
  private static CvResult cv;

  @BeforeAll
  static void leaveOneModelOut() {
    dataDir = SharedData.file(RefusalTraining.XSTEST).getParent().getParent();
    all = RefusalTraining.examples(dataDir, Settings.defaults().alpacaWeight());
    cv = RefusalTraining.crossValidateByModel(Settings.defaults(), all, 1);
    cv.heldOut().forEach((model, m) -> System.out.printf(
        "refusal v2 held-out %-16s n=%d accuracy=%.1f%% f1=%.3f auroc=%.3f | v1 %.1f%% f1=%.3f | string match %.1f%% f1=%.3f%n",
        model, m[0].n(), 100 * m[0].accuracy(), m[0].f1(), m[0].auroc(), 100 * m[1].accuracy(), m[1].f1(),
        100 * m[2].accuracy(), m[2].f1()));
    BinaryMetrics[] p = cv.pooled();
    System.out.printf("refusal v2 held-out pooled %s | v1 %s | string match %s%n", p[0], p[1], p[2]);
    cv.bySource().forEach((source, m) -> System.out.printf(
        "refusal v2 out-of-fold %-40s n=%d accuracy=%.1f%%%n", source, m.n(), 100 * m.accuracy()));
  }

  @ParameterizedTest(name = "{0} held out: f1 >= {1}")
  @CsvSource({
    "llama2orig, 0.955",
    "llama2new, 0.955",
    "mistralinstruct, 0.78",
    "mistralguard, 0.92",
  })
  void agreesWithHumansOnAModelItNeverSaw(String model, double f1Floor) {
    BinaryMetrics[] m = cv.heldOut().get(model);
    assertThat(m[0].n()).isEqualTo(450);
    assertThat(m[0].f1()).isGreaterThanOrEqualTo(f1Floor);
    assertThat(m[0].f1()).as("beats string match").isGreaterThan(m[2].f1());
    assertThat(m[0].auroc()).isGreaterThan(0.965);
  }

  @Test
  void beatsTheLexiconAndStringMatchOverAllFourHeldOutModels() {
    BinaryMetrics[] p = cv.pooled();
    assertThat(p[0].n()).isEqualTo(1800);
    assertThat(p[0].accuracy()).isGreaterThanOrEqualTo(0.935);
    assertThat(p[0].f1()).isGreaterThanOrEqualTo(0.935);
    assertThat(p[0].f1()).isGreaterThan(p[1].f1()).isGreaterThan(p[2].f1());
    assertThat(p[0].auroc()).isGreaterThan(p[1].auroc());
  }

  @Test
  void rarelyFlagsOrdinaryAnswersAsRefusals() {
    // v1 flags 18.4% of Llama-2's AlpacaEval answers; most of the remainder are real refusals.
    assertThat(1 - cv.bySource().get("alpaca_eval/llama-2-7b-chat-hf").accuracy()).isLessThanOrEqualTo(0.075);
    assertThat(1 - cv.bySource().get("alpaca_eval/Mistral-7B-Instruct-v0.2").accuracy()).isLessThanOrEqualTo(0.01);
    assertThat(cv.bySource().get("backdoor_benign_answer").accuracy()).isGreaterThanOrEqualTo(0.99);
    assertThat(cv.bySource().get("harmbench_harmful_compliance").accuracy()).isGreaterThanOrEqualTo(0.98);
    assertThat(cv.bySource().get("backdoor_refusal").recall()).isGreaterThanOrEqualTo(0.98);
  }

  @Test
  void holdsOutEachModelAndEachGroupAsAWhole() {
    List<String> models = List.of("llama2new", "llama2orig", "mistralguard", "mistralinstruct");
    int[] fold = RefusalTraining.assignFolds(all, models, 1);
    Map<String, Integer> foldOf = new HashMap<>();
    for (int i = 0; i < all.size(); i++) {
      assertThat(foldOf.putIfAbsent(all.get(i).group(), fold[i])).isIn(null, fold[i]);
      if (all.get(i).model() != null) {
        assertThat(fold[i]).isEqualTo(models.indexOf(all.get(i).model()));
      }
    }
  }

  @Test
  void trainsByteIdenticalModelsFromTheSameData() {
    List<Example> small = RefusalTraining.everyKth(all, 8);
    Settings d = Settings.defaults();
    Settings s = new Settings(d.opening(), d.body(), d.lambda(), 20, d.alpacaWeight());
    assertThat(RefusalTraining.fit(s, small).toBytes()).isEqualTo(RefusalTraining.fit(s, small).toBytes());
  }

  @Test
  void shipsTheModelItsProvenanceDescribes() throws IOException {
    Path model = Path.of("detectors/refusal-v2.model.gz");
    String provenance = Files.readString(Path.of("detectors/refusal-v2.provenance.json"));
    assertThat(provenance).contains("\"model_sha256\" : \"" + ScorerTraining.sha256(Files.readAllBytes(model)) + "\"");
    for (String file : RefusalTraining.files()) {
      assertThat(provenance).contains(ScorerTraining.sha256(dataDir.resolve(file)));
    }
  }
}
