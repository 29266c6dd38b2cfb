package io.llmsafety.monitor.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplayInputTest {

  private static final long LAG = 30_000;

  @TempDir
  Path tmp;

  private static String event(String id, Object timestamp) {
    String ts = timestamp instanceof String s ? "\"" + s + "\"" : String.valueOf(timestamp);
    return "{\"event_id\":\"" + id + "\",\"metadata\":{\"timestamp\":1},\"timestamp\":" + ts
        + ",\"variant_id\":\"v\",\"prompt\":\"p\",\"response\":\"r\"}";
  }

  private Path write(String name, List<String> lines) throws Exception {
    Path file = tmp.resolve(name);
    if (name.endsWith(".gz")) {
      try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
        out.write((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
      }
    } else {
      Files.write(file, lines);
    }
    return file;
  }

  @Test
  void aFileWithinTheAllowedLagIsReplayedAsItIs() throws Exception {
    Path file = write("ok.jsonl", List.of(event("a", 1_000_000), event("b", 1_000_000 - LAG), event("c", 1_000_500)));
    ReplayInput.Prepared p = ReplayInput.prepare(file, LAG, tmp);
    assertThat(p.file()).isEqualTo(file);
    assertThat(p.sorted()).isFalse();
    assertThat(p.lines()).isEqualTo(3);
  }

  @Test
  void aFileWrittenVariantByVariantIsSortedStablyWithEveryLineKept() throws Exception {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      lines.add(event("x" + i, 1_000_000 + i * 60_000L));
    }
    for (int i = 0; i < 5; i++) {
      lines.add(event("y" + i, "1970-01-01T00:16:40" + (i == 0 ? "" : "." + i) + "+00:00"));
    }
    lines.add("not json at all");
    lines.add(event("z", 1_000_000 + 60_000.0));
    Path file = write("by-variant.jsonl.gz", lines);

    ReplayInput.Prepared p = ReplayInput.prepare(file, LAG, tmp);

    assertThat(p.sorted()).isTrue();
    assertThat(p.late()).isEqualTo(6); // y0-y4 and z; the unreadable line is the parser's to reject
    assertThat(p.lines()).isEqualTo(12);
    List<String> sorted = Files.readAllLines(p.file());
    assertThat(sorted).containsExactlyInAnyOrderElementsOf(lines);
    // y0 (t = 1,000,000) ties x0 and comes after it, as in the file; the unreadable line keeps the
    // time of the line before it (y4) and z ties x1, after it and after the unreadable line.
    assertThat(sorted.stream().map(l -> l.startsWith("{") ? l.substring(13, l.indexOf("\",")) : "bad").toList())
        .containsExactly("x0", "y0", "y1", "y2", "y3", "y4", "bad", "x1", "z", "x2", "x3", "x4");
    Files.delete(p.file());
    try (var files = Files.list(tmp)) {
      assertThat(files.map(f -> f.getFileName().toString())).containsExactly("by-variant.jsonl.gz");
    }
  }

  @Test
  void readsTheTopLevelTimestampInTheContractsForms() {
    assertThat(ReplayInput.timestampOrMin(event("a", 1_793_577_600_768L))).isEqualTo(1_793_577_600_768L);
    assertThat(ReplayInput.timestampOrMin(event("a", "2026-11-02T00:00:00.768Z"))).isEqualTo(1_793_577_600_768L);
    assertThat(ReplayInput.timestampOrMin(event("a", "2026-11-02T01:00:00.768+01:00"))).isEqualTo(1_793_577_600_768L);
    assertThat(ReplayInput.timestampOrMin(event("a", 1.793577600768e12))).isEqualTo(1_793_577_600_768L);
    assertThat(ReplayInput.timestampOrMin(event("a", 1.5))).isEqualTo(Long.MIN_VALUE);
    assertThat(ReplayInput.timestampOrMin(event("a", "yesterday"))).isEqualTo(Long.MIN_VALUE);
    assertThat(ReplayInput.timestampOrMin("{\"event_id\":\"a\"}")).isEqualTo(Long.MIN_VALUE);
    assertThat(ReplayInput.timestampOrMin("[1,2]")).isEqualTo(Long.MIN_VALUE);
    assertThat(ReplayInput.timestampOrMin("{\"timestamp\": 5, broken")).isEqualTo(5);
    // OTLP trace exports: the earliest span end, in ms.
    assertThat(ReplayInput.timestampOrMin("{\"resourceSpans\":[{\"resource\":{},\"scopeSpans\":[{\"spans\":["
        + "{\"endTimeUnixNano\":\"1793577609000000000\",\"attributes\":[{\"key\":\"k\",\"value\":{\"intValue\":\"1\"}}]},"
        + "{\"endTimeUnixNano\":\"1793577601250000000\"},{\"endTimeUnixNano\":\"soon\"}]}]}]}"))
        .isEqualTo(1_793_577_601_250L);
    assertThat(ReplayInput.timestampOrMin("{\"resourceSpans\":[]}")).isEqualTo(Long.MIN_VALUE);
  }
}
