package io.llmsafety.monitor.judge;

import java.util.List;

/**
 * What a judge said about one response.
 *
 * @param harm harm score in [0, 1]
 * @param flagged the judge's own decision (OpenAI {@code flagged}, Llama Guard {@code unsafe})
 * @param categories the judge's category names or codes that fired (OpenAI category names, Llama Guard {@code S1}..{@code S14})
 */
public record JudgeVerdict(double harm, boolean flagged, List<String> categories) {

  public JudgeVerdict {
    if (!(harm >= 0 && harm <= 1)) {
      throw new IllegalArgumentException("harm must be in [0, 1], got " + harm);
    }
    categories = List.copyOf(categories);
  }
}
