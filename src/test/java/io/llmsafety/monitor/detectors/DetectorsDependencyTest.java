package io.llmsafety.monitor.detectors;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

class DetectorsDependencyTest {

  @Test
  void detectorsDependOnNeitherFlinkNorOtherProjectLayers() {
    JavaClasses classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.llmsafety.monitor.detectors");

    noClasses()
        .that()
        .resideInAPackage("io.llmsafety.monitor.detectors..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.apache.flink..", "io.llmsafety.monitor.jobs..", "io.llmsafety.monitor.cli..")
        .check(classes);
  }
}
