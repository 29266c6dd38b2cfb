package io.llmsafety.monitor.detectors;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A weighted phrase list loaded from a classpath text file, grouped into named sections.
 *
 * <p>File format, one entry a line: {@code [section]} starts a section, {@code WEIGHT PHRASE}
 * adds a phrase (normalised with {@link TextNormalizer} on load), {@code #} starts a comment. The
 * files live in the top-level {@code detectors/} directory so operators can tune them without
 * recompiling.
 */
final class WeightedLexicon {

  private final List<String> sections;
  private final int[] sectionOf;
  private final double[] weights;
  private final List<String> phrases;
  private final PhraseMatcher matcher;

  private WeightedLexicon(
      List<String> sections, List<Integer> sectionOf, List<Double> weights, List<String> phrases) {
    this.sections = List.copyOf(sections);
    this.sectionOf = sectionOf.stream().mapToInt(Integer::intValue).toArray();
    this.weights = weights.stream().mapToDouble(Double::doubleValue).toArray();
    this.phrases = List.copyOf(phrases);
    this.matcher = new PhraseMatcher(phrases);
  }

  /** Loads {@code resource} (absolute classpath path, e.g. "/detectors/refusal-cues.txt"). */
  static WeightedLexicon load(String resource) {
    InputStream in = WeightedLexicon.class.getResourceAsStream(resource);
    if (in == null) {
      throw new IllegalStateException("detector resource not on classpath: " + resource);
    }
    List<String> sections = new ArrayList<>();
    List<Integer> sectionOf = new ArrayList<>();
    List<Double> weights = new ArrayList<>();
    List<String> phrases = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      int lineNo = 0;
      while ((line = r.readLine()) != null) {
        lineNo++;
        int hash = line.indexOf('#');
        String entry = (hash >= 0 ? line.substring(0, hash) : line).strip();
        if (entry.isEmpty()) {
          continue;
        }
        if (entry.startsWith("[") && entry.endsWith("]")) {
          sections.add(entry.substring(1, entry.length() - 1).strip());
          continue;
        }
        int space = entry.indexOf(' ');
        if (sections.isEmpty() || space < 0) {
          throw new IllegalStateException(
              resource + ":" + lineNo + ": expected '[section]' first, then 'WEIGHT PHRASE'");
        }
        double weight;
        try {
          weight = Double.parseDouble(entry.substring(0, space));
        } catch (NumberFormatException e) {
          throw new IllegalStateException(resource + ":" + lineNo + ": bad weight in '" + entry + "'");
        }
        String raw = entry.substring(space + 1).strip();
        boolean prefix = raw.endsWith("*"); // kept apart: the normaliser drops markdown '*'
        String phrase =
            TextNormalizer.normalize(prefix ? raw.substring(0, raw.length() - 1) : raw)
                + (prefix ? "*" : "");
        sectionOf.add(sections.size() - 1);
        weights.add(weight);
        phrases.add(phrase);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      return new WeightedLexicon(sections, sectionOf, weights, phrases);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(resource + ": " + e.getMessage(), e);
    }
  }

  /** @return the index of {@code name}, failing clearly if the file lacks that section */
  int section(String name) {
    int i = sections.indexOf(name);
    if (i < 0) {
      throw new IllegalStateException("lexicon has no [" + name + "] section; has " + sections);
    }
    return i;
  }

  int size() {
    return weights.length;
  }

  int sectionOf(int phrase) {
    return sectionOf[phrase];
  }

  double weight(int phrase) {
    return weights[phrase];
  }

  String phrase(int phrase) {
    return phrases.get(phrase);
  }

  void scan(String normalizedText, int limit, PhraseMatcher.Visitor visitor) {
    matcher.scan(normalizedText, limit, visitor);
  }

  void scan(NormalizedText text, int limit, PhraseMatcher.Visitor visitor) {
    matcher.scan(text.chars, text.length, limit, visitor);
  }

  void scan(char[] text, int length, int limit, PhraseMatcher.Visitor visitor) {
    matcher.scan(text, length, limit, visitor);
  }
}
