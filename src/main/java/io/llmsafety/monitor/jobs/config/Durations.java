package io.llmsafety.monitor.jobs.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as operators write them in job specs: a whole number and one unit, {@code 250ms},
 * {@code 10s}, {@code 5m}, {@code 1h}, {@code 7d}. Compound forms ({@code 1h30m}) are deliberately
 * not accepted: one obvious spelling per value keeps specs diffable.
 */
public final class Durations {

  private static final Pattern FORMAT = Pattern.compile("(\\d+)(ms|s|m|h|d)");
  static final String EXPECTED = "a duration like 250ms, 10s, 5m, 1h or 7d";

  private Durations() {}

  /**
   * @throws IllegalArgumentException naming the accepted forms when {@code text} is not one of them
   */
  public static Duration parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("expected " + EXPECTED + ", got null");
    }
    Matcher m = FORMAT.matcher(text.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException("expected " + EXPECTED + ", got '" + text + "'");
    }
    long amount;
    try {
      amount = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("duration '" + text + "' is too large");
    }
    try {
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        case "h" -> Duration.ofHours(amount);
        case "d" -> Duration.ofDays(amount);
        default -> throw new IllegalStateException("unreachable: " + m.group(2));
      };
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("duration '" + text + "' is too large");
    }
  }

  /** The shortest spelling {@link #parse} reads back to the same duration, e.g. {@code 90s}. */
  public static String format(Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("negative duration " + d);
    }
    long ms = d.toMillis();
    if (ms == 0 || ms % 1000 != 0) {
      return ms + "ms";
    }
    long s = ms / 1000;
    if (s % 86400 == 0) {
      return s / 86400 + "d";
    }
    if (s % 3600 == 0) {
      return s / 3600 + "h";
    }
    if (s % 60 == 0) {
      return s / 60 + "m";
    }
    return s + "s";
  }
}
