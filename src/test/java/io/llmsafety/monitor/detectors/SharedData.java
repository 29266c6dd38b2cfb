package io.llmsafety.monitor.detectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
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
    String text;
    try {
      text = Files.readString(file(relative), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<List<String>> records = new ArrayList<>();
    List<String> record = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
          field.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          field.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        record.add(field.toString());
        field.setLength(0);
      } else if (c == '\n' || c == '\r') {
        if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
          i++;
        }
        record.add(field.toString());
        field.setLength(0);
        records.add(record);
        record = new ArrayList<>();
      } else {
        field.append(c);
      }
    }
    if (field.length() > 0 || !record.isEmpty()) {
      record.add(field.toString());
      records.add(record);
    }
    List<String> header = records.get(0);
    List<Map<String, String>> rows = new ArrayList<>();
    for (List<String> r : records.subList(1, records.size())) {
      if (r.size() != header.size()) {
        throw new IllegalStateException(relative + ": row with " + r.size() + " fields: " + r);
      }
      Map<String, String> row = new HashMap<>();
      for (int i = 0; i < header.size(); i++) {
        row.put(header.get(i), r.get(i));
      }
      rows.add(row);
    }
    return rows;
  }
}
