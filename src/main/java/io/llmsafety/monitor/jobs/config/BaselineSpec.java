package io.llmsafety.monitor.jobs.config;

import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a variant's baselines come from before its drift tests arm.
 *
 * @param referenceRiskyEvents risky-prompt events needed for the refusal baseline
 * @param referenceEvents events needed for the harm baseline
 * @param source where baselines come from unless an override says otherwise
 * @param expected static expectations, used by variants whose source is {@link Source#CONFIG}
 * @param overrides per-variant source and expectations; the first matching rule wins
 */
public record BaselineSpec(int referenceRiskyEvents, int referenceEvents, Source source, ExpectedRates expected,
    List<VariantOverride> overrides) implements Serializable {

  public BaselineSpec {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(expected, "expected");
    overrides = List.copyOf(overrides);
  }

  /** Reference windows only, no expectations: the behaviour before baselines became configurable. */
  public BaselineSpec(int referenceRiskyEvents, int referenceEvents) {
    this(referenceRiskyEvents, referenceEvents, Source.REFERENCE_WINDOW, ExpectedRates.NONE, List.of());
  }

  /** The contract's {@code baseline.source} values (DESIGN.md section 4). */
  public enum Source {
    /** The variant's own first traffic. */
    REFERENCE_WINDOW,
    /** The reference window of the variant's base model served as itself; its own until that is known. */
    BASE_MODEL,
    /** The {@code expected} rates of the job spec, armed at the variant's first event. */
    CONFIG;

    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * Rates a healthy variant shows, per prompt segment; null leaves that test on its reference window.
   * Each maps to one test: refusal_drop, harm_rise, benign_harm, over_refusal.
   */
  public record ExpectedRates(Double riskyRefusalRate, Double riskyHarmfulRate, Double benignHarmfulRate,
      Double benignRefusalRate) implements Serializable {

    public static final ExpectedRates NONE = new ExpectedRates(null, null, null, null);

    public boolean isEmpty() {
      return riskyRefusalRate == null && riskyHarmfulRate == null && benignHarmfulRate == null && benignRefusalRate == null;
    }

    /** These rates, with the gaps filled from {@code defaults}. */
    public ExpectedRates orElse(ExpectedRates defaults) {
      return new ExpectedRates(
          riskyRefusalRate != null ? riskyRefusalRate : defaults.riskyRefusalRate,
          riskyHarmfulRate != null ? riskyHarmfulRate : defaults.riskyHarmfulRate,
          benignHarmfulRate != null ? benignHarmfulRate : defaults.benignHarmfulRate,
          benignRefusalRate != null ? benignRefusalRate : defaults.benignRefusalRate);
    }
  }

  /**
   * @param variants an exact variant_id or a glob ({@code *} any run of characters, {@code ?} one)
   * @param source null keeps the spec-wide source
   * @param expected rates that replace the spec-wide ones; gaps fall back to them
   */
  public record VariantOverride(String variants, Source source, ExpectedRates expected) implements Serializable {

    public VariantOverride {
      Objects.requireNonNull(variants, "variants");
      Objects.requireNonNull(expected, "expected");
    }

    public boolean matches(String variantId) {
      return globPattern(variants).matcher(variantId).matches();
    }
  }

  /** What one variant uses: its source and the expected rates that go with it. */
  public record Resolved(Source source, ExpectedRates expected) implements Serializable {}

  public Resolved forVariant(String variantId) {
    for (VariantOverride o : overrides) {
      if (o.matches(variantId)) {
        return new Resolved(o.source() != null ? o.source() : source, o.expected().orElse(expected));
      }
    }
    return new Resolved(source, expected);
  }

  /** Whether any variant can take its baselines from its base model (the job then learns base models' windows). */
  public boolean usesBaseModel() {
    return source == Source.BASE_MODEL || overrides.stream().anyMatch(o -> o.source() == Source.BASE_MODEL);
  }

  static Pattern globPattern(String glob) {
    StringBuilder re = new StringBuilder();
    for (char c : glob.toCharArray()) {
      switch (c) {
        case '*' -> re.append(".*");
        case '?' -> re.append('.');
        default -> re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(re.toString());
  }
}
