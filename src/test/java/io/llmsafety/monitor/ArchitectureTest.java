package io.llmsafety.monitor;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The layering of STYLE.md: algorithms and contracts know nothing of Flink or of the wiring. */
class ArchitectureTest {

  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.llmsafety.monitor");
  }

  @Test
  void detectorsDependOnNeitherFlinkNorTheWiring() {
    noClasses().that().resideInAPackage("io.llmsafety.monitor.detectors..")
        .should().dependOnClassesThat()
        .resideInAnyPackage("org.apache.flink..", "org.apache.kafka..", "io.llmsafety.monitor.jobs..",
            "io.llmsafety.monitor.cli..", "io.llmsafety.monitor.metrics..", "io.llmsafety.monitor.alerts..")
        .check(classes);
  }

  @Test
  void eventParsingAndJobSpecsArePlainJava() {
    noClasses().that().resideInAnyPackage("io.llmsafety.monitor.event..", "io.llmsafety.monitor.jobs.config..")
        .should().dependOnClassesThat().resideInAnyPackage("org.apache.flink..", "org.apache.kafka..")
        .check(classes);
  }

  @Test
  void theRemoteJudgeClientIsPlainJava() {
    // It may read its spec (jobs.config, plain Java) but not the Flink wiring in jobs itself.
    noClasses().that().resideInAPackage("io.llmsafety.monitor.judge..")
        .should().dependOnClassesThat()
        .resideInAnyPackage("org.apache.flink..", "org.apache.kafka..", "io.llmsafety.monitor.jobs",
            "io.llmsafety.monitor.cli..", "io.llmsafety.monitor.metrics..", "io.llmsafety.monitor.alerts..")
        .check(classes);
  }

  @Test
  void onlyTheCommandLineDependsOnTheCommandLine() {
    noClasses().that().resideOutsideOfPackage("io.llmsafety.monitor.cli..")
        .should().dependOnClassesThat().resideInAPackage("io.llmsafety.monitor.cli..")
        .check(classes);
  }
}
