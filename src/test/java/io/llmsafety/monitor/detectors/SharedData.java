package io.llmsafety.monitor.detectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads the labelled datasets in the shared data directory (system property {@code
 * shared.data.dir}, set by surefire). The data is never copied into the repository; a missing
 * directory or file fails the test with a message that says where it looked.
 */
public final class SharedData {

  private static final ObjectMapper JSON = new ObjectMapper();

  private SharedData() {}

  public static Path file(String relative) {
    String dir = System.getProperty("shared.data.dir");
    if (dir == null || dir.isBlank()) {
      throw new IllegalStateException(
          "system property shared.data.dir is not set (surefire sets it to ../shared/data)");
    }
    Path path = Path.of(dir).resolve(relative);
    if (!Files.isRegularFile(path)) {
      throw new IllegalStateException(
          "shared dataset missing: " + path.toAbsolutePath() + " (see ../shared/data/README.md)");
    }
    return path;
  }

  public static List<JsonNode> jsonl(String relative) {
    try {
      List<JsonNode> rows = new ArrayList<>();
      for (String line : Files.readAllLines(file(relative), StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          rows.add(JSON.readTree(line));
        }
      }
      return rows;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** RFC 4180 CSV (quoted fields may hold commas, quotes and newlines); header row gives keys. */
  public static List<Map<String, String>> csv(String relative) {
    return ScorerTraining.csv(file(relative));
  }
}
