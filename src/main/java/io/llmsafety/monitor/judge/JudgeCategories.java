package io.llmsafety.monitor.judge;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What of a judge's category list may travel with an event into state and alerts: short codes
 * only (OpenAI moderation names such as {@code self-harm/intent}, Llama Guard {@code S1}..{@code S14}),
 * at most {@link #MAX_PER_EVENT} per event. The names come from a remote server; one that answers
 * with prose, markup or very many keys must not put text into alerts or grow state, so anything
 * else is rejected (and counted by the caller), never escaped and passed on.
 */
public final class JudgeCategories {

  /** Longest code kept; OpenAI's longest name today, {@code self-harm/instructions}, has 22 characters. */
  public static final int MAX_CODE_LENGTH = 48;
  /** Codes kept per event; OpenAI moderation has 13 categories, Llama Guard 3 and 4 have 14. */
  public static final int MAX_PER_EVENT = 16;

  private static final Pattern CODE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9/_.-]{0," + (MAX_CODE_LENGTH - 1) + "}");

  private JudgeCategories() {}

  /** Whether {@code code} looks like a category code: letters, digits and {@code / _ . -}, at most 48 characters. */
  public static boolean plausible(String code) {
    return code != null && code.length() <= MAX_CODE_LENGTH && CODE.matcher(code).matches();
  }

  /**
   * The codes to keep, in the judge's order without repeats, and what was rejected.
   *
   * @param malformed names that are not plausible codes
   * @param overLimit plausible codes beyond {@link #MAX_PER_EVENT}
   */
  public record Sanitized(List<String> codes, int malformed, int overLimit) {

    public Sanitized {
      codes = List.copyOf(codes);
    }

    /** The kept codes as the event field: null when there are none. */
    public String[] toField() {
      return codes.isEmpty() ? null : codes.toArray(String[]::new);
    }
  }

  public static Sanitized sanitize(List<String> categories) {
    Set<String> kept = new LinkedHashSet<>();
    int malformed = 0;
    int overLimit = 0;
    for (String c : categories) {
      if (!plausible(c)) {
        malformed++;
      } else if (!kept.contains(c)) {
        if (kept.size() < MAX_PER_EVENT) {
          kept.add(c);
        } else {
          overLimit++;
        }
      }
    }
    return new Sanitized(new ArrayList<>(kept), malformed, overLimit);
  }
}
