package io.llmsafety.monitor.jobs;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsafety.monitor.event.EventParser;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * Puts a bounded JSONL file of input events in event-time order before a replay.
 *
 * <p>The job takes its input as a stream: an event more than {@code max_out_of_orderness} behind
 * the newest one seen is late and dead-lettered, as it must be on Kafka. A file is not a stream,
 * though: one written variant by variant, or several days' files concatenated, would lose most of
 * its events that way. A file whose events are all within the allowed lag of the newest before them
 * is replayed as it is; any other is first sorted by timestamp (stable, so ties keep file order)
 * into a temporary file, which gives the same alerts as the time-ordered file would.
 *
 * <p>Lines whose timestamp cannot be read keep the position of the line before them; the job
 * dead-letters them with the reason as usual. An OTLP trace export is placed by its earliest span
 * end; its spans stay together, so exports whose spans overlap others' by more than the allowed
 * lag can still have late spans.
 */
public final class ReplayInput {

  private static final ObjectMapper TREES = new ObjectMapper();


  /**
   * The file to replay.
   *
   * @param file the input itself, or a sorted temporary copy (plain JSONL) to delete after the replay
   * @param lines lines read
   * @param late lines that would have been late in file order (0 when {@code file} is the input)
   */
  public record Prepared(Path file, long lines, long late) {
    public boolean sorted() {
      return late > 0;
    }
  }

  private ReplayInput() {}

  /** Reads {@code input} through (gzip by name) to fail early on an unreadable file; no ordering. */
  public static Prepared check(Path input) throws IOException {
    long lines = 0;
    try (BufferedReader r = reader(input)) {
      while (r.readLine() != null) {
        lines++;
      }
    }
    return new Prepared(input, lines, 0);
  }

  /** Checks {@code input}'s order and, if events would be late, writes a sorted copy in {@code tempDir}. */
  public static Prepared prepare(Path input, long maxOutOfOrdernessMillis, Path tempDir) throws IOException {
    return prepare(input, maxOutOfOrdernessMillis, tempDir, null);
  }

  /**
   * As {@link #prepare(Path, long, Path)}, reading each record's time at {@code timestampPointer}
   * (the job spec's {@code input.fields.timestamp}) when it is not null.
   */
  public static Prepared prepare(Path input, long maxOutOfOrdernessMillis, Path tempDir, String timestampPointer)
      throws IOException {
    com.fasterxml.jackson.core.JsonPointer pointer =
        timestampPointer == null ? null : com.fasterxml.jackson.core.JsonPointer.compile(timestampPointer);
    long[] times = new long[1 << 16];
    int lines = 0;
    long late = 0;
    long newest = Long.MIN_VALUE;
    long previous = Long.MIN_VALUE;
    try (BufferedReader r = reader(input)) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        long read = pointer == null ? timestampOrMin(line) : timestampAtOrMin(line, pointer);
        long t = read == Long.MIN_VALUE ? previous : read;
        if (read != Long.MIN_VALUE && newest != Long.MIN_VALUE && read < newest - maxOutOfOrdernessMillis) {
          late++;
        }
        newest = Math.max(newest, t);
        previous = t;
        if (lines == times.length) {
          times = Arrays.copyOf(times, times.length * 2);
        }
        times[lines++] = t;
      }
    }
    if (late == 0) {
      return new Prepared(input, lines, 0);
    }
    Path sorted = Files.createTempFile(tempDir, "replay-sorted-", ".jsonl");
    try {
      writeSorted(input, Arrays.copyOf(times, lines), sorted);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(sorted);
      throw e;
    }
    return new Prepared(sorted, lines, late);
  }

  private static void writeSorted(Path input, long[] times, Path sorted) throws IOException {
    int n = times.length;
    // Lines as UTF-8 in a plain temporary file, with their offsets, so they can be read in any order.
    Path plain = Files.createTempFile(sorted.getParent(), "replay-lines-", ".jsonl");
    try {
      long[] offsets = new long[n + 1];
      try (BufferedReader r = reader(input); OutputStream out = new BufferedOutputStream(Files.newOutputStream(plain), 1 << 16)) {
        long at = 0;
        int i = 0;
        for (String line = r.readLine(); line != null && i < n; line = r.readLine()) {
          byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
          out.write(bytes);
          offsets[i++] = at;
          at += bytes.length;
        }
        offsets[i] = at;
      }
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      // Unreadable timestamps (MIN_VALUE) only occur before the first readable one: they stay first.
      Arrays.sort(order, (a, b) -> {
        int c = Long.compare(times[a], times[b]);
        return c != 0 ? c : Integer.compare(a, b);
      });
      try (RandomAccessFile lines = new RandomAccessFile(plain.toFile(), "r");
          OutputStream out = new BufferedOutputStream(Files.newOutputStream(sorted), 1 << 16)) {
        byte[] buffer = new byte[1 << 16];
        for (int idx : order) {
          int length = Math.toIntExact(offsets[idx + 1] - offsets[idx]);
          if (buffer.length < length) {
            buffer = new byte[Math.max(length, buffer.length * 2)];
          }
          lines.seek(offsets[idx]);
          lines.readFully(buffer, 0, length);
          out.write(buffer, 0, length);
        }
      }
    } finally {
      Files.deleteIfExists(plain);
    }
  }

  private static BufferedReader reader(Path input) throws IOException {
    InputStream in = Files.newInputStream(input);
    if (input.getFileName().toString().endsWith(".gz")) {
      in = new GZIPInputStream(in, 1 << 16);
    }
    return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
  }

  /** The time at {@code pointer} in a JSON line (read as {@link #timestampOrMin} reads it), or {@code Long.MIN_VALUE}. */
  static long timestampAtOrMin(String line, com.fasterxml.jackson.core.JsonPointer pointer) {
    try {
      return EventParser.timestampMillisOrMin(TREES.readTree(line).at(pointer));
    } catch (IOException | RuntimeException e) {
      return Long.MIN_VALUE;
    }
  }

  /**
   * The earliest {@code endTimeUnixNano} (as epoch ms) in an OTLP trace export's {@code
   * resourceSpans} array, the parser positioned at its start; {@code Long.MIN_VALUE} if none.
   */
  private static long earliestSpanEnd(JsonParser p) throws IOException {
    long earliest = Long.MAX_VALUE;
    int depth = 0;
    for (JsonToken t = p.currentToken(); t != null; t = p.nextToken()) {
      if (t == JsonToken.START_ARRAY || t == JsonToken.START_OBJECT) {
        depth++;
      } else if (t == JsonToken.END_ARRAY || t == JsonToken.END_OBJECT) {
        if (--depth == 0) {
          break;
        }
      } else if (t == JsonToken.FIELD_NAME && "endTimeUnixNano".equals(p.currentName())) {
        JsonToken v = p.nextToken();
        try {
          long nanos = v == JsonToken.VALUE_STRING ? Long.parseLong(p.getText().strip())
              : v == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : Long.MAX_VALUE;
          earliest = Math.min(earliest, nanos == Long.MAX_VALUE ? Long.MAX_VALUE : nanos / 1_000_000L);
        } catch (NumberFormatException | IOException e) {
          // an unreadable span time: the parser rejects that span; ordering uses the others
        }
        if (v == JsonToken.START_ARRAY || v == JsonToken.START_OBJECT) {
          p.skipChildren();
        }
      }
    }
    return earliest == Long.MAX_VALUE ? Long.MIN_VALUE : earliest;
  }

  /**
   * The top-level {@code timestamp} of a JSON object line in epoch ms (RFC 3339 with an offset, or
   * a whole number of epoch ms), or {@code Long.MIN_VALUE} when there is none that reads. Only
   * locates events in time; {@code EventParser} still validates every field.
   */
  static long timestampOrMin(String line) {
    try (JsonParser p = TREES.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return Long.MIN_VALUE;
      }
      for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if ("resourceSpans".equals(name) && value == JsonToken.START_ARRAY) {
          long earliest = earliestSpanEnd(p);
          if (earliest != Long.MIN_VALUE) {
            return earliest;
          }
          continue;
        }
        if (!"timestamp".equals(name)) {
          p.skipChildren();
          continue;
        }
        return EventParser.timestampMillisOrMin(p.readValueAsTree());
      }
      return Long.MIN_VALUE;
    } catch (IOException | RuntimeException e) {
      return Long.MIN_VALUE;
    }
  }
}
