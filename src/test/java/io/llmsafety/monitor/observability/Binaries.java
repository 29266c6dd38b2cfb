package io.llmsafety.monitor.observability;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the Prometheus tool binaries on PATH, failing with an install hint (never skipping). */
final class Binaries {

  private Binaries() {}

  static Path require(String name) {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new AssertionError(name + " is not on PATH. Install the Debian packages that provide it: "
        + "apt-get install -y --no-install-recommends prometheus prometheus-alertmanager (.ci/run does this)");
  }
}
