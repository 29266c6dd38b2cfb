package io.llmsafety.monitor.jobs.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Binds a YAML tree to the spec records by hand rather than by Jackson data binding: every read knows
 * its field path, so each error names it, and every key the parser asks for is "known", so unknown
 * keys are found without a second list to keep in sync.
 *
 * <p>The defaults here must equal {@code jobs/default.yaml}; a test holds them together.
 */
final class JobSpecParser {

  // Duplicate keys in YAML silently keep the last value; fail instead.
  private static final ObjectMapper YAML =
      new ObjectMapper(YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern TOPIC_NAME = Pattern.compile("[A-Za-z0-9._-]{1,249}");
  /** Properties the job derives from dedicated fields; setting them twice would be ambiguous. */
  private static final Map<String, String> MANAGED_PROPERTIES =
      Map.of("bootstrap.servers", "kafka.bootstrap_servers", "group.id", "kafka.group_id", "transactional.id", "kafka.transactional_id_prefix");
  /** Flink rejects checkpoint intervals below 10 ms. */
  private static final Duration MIN_CHECKPOINT_INTERVAL = Duration.ofMillis(10);

  private final String source;
  private final Function<String, String> env;

  JobSpecParser(String source, Function<String, String> env) {
    this.source = source == null ? "<job spec>" : source;
    this.env = env;
  }

  JobSpec parse(String yaml) {
    JsonNode root;
    try {
      root = YAML.readTree(yaml == null ? "" : yaml);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw new InvalidJobSpecException(source, null, "is not valid YAML" + where + ": " + firstLine(e.getOriginalMessage()), e);
    }
    Section top = Section.root(source, root);
    JobSpec spec =
        new JobSpec(
            top.string("name", "llm-safety-monitor"),
            kafka(top.section("kafka")),
            flink(top.section("flink")),
            eventTime(top.section("event_time")),
            windows(top.section("windows")),
            scoring(top.section("scoring")),
            detectors(top.section("detectors")),
            alerts(top.section("alerts")),
            metrics(top.section("metrics")),
            alertmanager(top.section("alertmanager")),
            input(top.section("input")));
    top.end();
    // Cross-field: state dropped mid-window would silently reset a variant's statistics.
    if (spec.eventTime().variantTtl().compareTo(spec.windows().size()) < 0) {
      throw new InvalidJobSpecException(
          source,
          "event_time.variant_ttl",
          "must be at least windows.size (" + Durations.format(spec.windows().size()) + "), got "
              + Durations.format(spec.eventTime().variantTtl()));
    }
    return spec;
  }

  private KafkaSpec kafka(Section s) {
    String bootstrap = s.string("bootstrap_servers", "localhost:9092");
    String groupId = s.string("group_id", "llm-safety-monitor");
    KafkaSpec.StartingOffsets offsets = s.enumValue("starting_offsets", KafkaSpec.StartingOffsets.COMMITTED);
    String txPrefix = s.string("transactional_id_prefix", "llm-safety-monitor");
    TopicsSpec topics = topics(s.section("topics"));
    Map<String, String> properties = properties(s);
    s.end();
    return new KafkaSpec(bootstrap, groupId, offsets, txPrefix, topics, properties);
  }

  private TopicsSpec topics(Section s) {
    Map<String, String> byKey = new LinkedHashMap<>();
    String[][] keys = {
      {"input", "llm.interactions"},
      {"alerts", "llm.safety.alerts"},
      {"dead_letter", "llm.safety.dead-letter"},
      {"window_metrics", "llm.safety.window-metrics"},
      {"control", "llm.safety.control"}
    };
    Map<String, String> seen = new LinkedHashMap<>();
    for (String[] kv : keys) {
      String topic = s.string(kv[0], kv[1]);
      if (!TOPIC_NAME.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
        throw s.error(kv[0], "must be a Kafka topic name (letters, digits, '.', '_', '-'; at most 249), got '" + topic + "'");
      }
      String other = seen.putIfAbsent(topic, kv[0]);
      if (other != null) {
        throw s.error(kv[0], "must differ from " + s.path(other) + ", both are '" + topic + "'");
      }
      byKey.put(kv[0], topic);
    }
    s.end();
    return new TopicsSpec(byKey.get("input"), byKey.get("alerts"), byKey.get("dead_letter"), byKey.get("window_metrics"), byKey.get("control"));
  }

  private Map<String, String> properties(Section kafka) {
    Section s = kafka.section("properties");
    Map<String, String> out = new LinkedHashMap<>();
    for (String key : s.keys()) {
      JsonNode v = s.raw(key);
      String path = s.path("\"" + key + "\"");
      if (MANAGED_PROPERTIES.containsKey(key)) {
        throw new InvalidJobSpecException(source, path, "is set by " + MANAGED_PROPERTIES.get(key) + "; remove it here");
      }
      if (v == null || !v.isValueNode()) {
        throw new InvalidJobSpecException(source, path, "must be a string, number or boolean, got " + Section.describe(v));
      }
      out.put(key, resolvePlaceholders(path, v.asText()));
    }
    return out;
  }

  /** Single pass: resolved values are not rescanned, so a secret containing "${" stays intact. */
  private String resolvePlaceholders(String path, String value) {
    Matcher m = PLACEHOLDER.matcher(value);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String name = m.group(1);
      if (!ENV_NAME.matcher(name).matches()) {
        throw new InvalidJobSpecException(source, path, "has an invalid placeholder '${" + name + "}'; expected ${ENV_VAR_NAME}");
      }
      String resolved = env.apply(name);
      if (resolved == null) {
        throw new InvalidJobSpecException(source, path, "references environment variable " + name + ", which is not set");
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(resolved));
    }
    m.appendTail(sb);
    String tail = value.substring(value.lastIndexOf('}') + 1);
    if (tail.contains("${")) {
      throw new InvalidJobSpecException(source, path, "has an unterminated ${ placeholder");
    }
    return sb.toString();
  }

  private FlinkSpec flink(Section s) {
    int parallelism = s.integer("parallelism", 2, 1, 32768);
    Duration checkpointInterval = s.duration("checkpoint_interval", "30s");
    if (checkpointInterval.compareTo(MIN_CHECKPOINT_INTERVAL) < 0) {
      throw s.error("checkpoint_interval", "must be at least 10ms (Flink's minimum), got " + Durations.format(checkpointInterval));
    }
    FlinkSpec.StateBackend backend = s.enumValue("state_backend", FlinkSpec.StateBackend.ROCKSDB);
    String checkpointDir = s.optionalString("checkpoint_dir");
    s.end();
    return new FlinkSpec(parallelism, checkpointInterval, backend, checkpointDir);
  }

  private EventTimeSpec eventTime(Section s) {
    EventTimeSpec spec =
        new EventTimeSpec(
            s.duration("max_out_of_orderness", "30s"), s.duration("idleness", "1m"), s.duration("dedup_horizon", "10m"), s.duration("variant_ttl", "7d"));
    s.end();
    return spec;
  }

  private WindowsSpec windows(Section s) {
    WindowsSpec spec = new WindowsSpec(s.duration("size", "5m"));
    s.end();
    return spec;
  }

  private ScoringSpec scoring(Section s) {
    ScoringSpec.Policy policy = s.enumValue("policy", ScoringSpec.Policy.PREFER_UPSTREAM);
    Section up = s.section("upstream");
    ScoringSpec.UpstreamScores upstream = new ScoringSpec.UpstreamScores(up.string("harm", "harm"), up.string("prompt_risk", "prompt_risk"));
    up.end();
    ScoringSpec spec =
        new ScoringSpec(
            policy,
            upstream,
            s.number("refusal_threshold", 0.5, Range.UNIT_CLOSED),
            s.number("harm_threshold", 0.5, Range.UNIT_CLOSED),
            s.number("prompt_risk_threshold", 0.5, Range.UNIT_CLOSED),
            judge(s.section("judge")));
    s.end();
    return spec;
  }

  private JudgeSpec judge(Section s) {
    boolean enabled = s.bool("enabled", false);
    JudgeSpec.Protocol protocol = s.enumValue("protocol", JudgeSpec.Protocol.OPENAI_MODERATION);
    String url = s.optionalString("url");
    if (url != null) {
      try {
        URI uri = new URI(url);
        if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme()) || uri.getHost() == null
            || uri.getQuery() != null || uri.getFragment() != null) {
          throw s.error("url", "must be an absolute http(s) URL without query or fragment, got '" + url + "'");
        }
      } catch (URISyntaxException e) {
        throw s.error("url", "must be an absolute http(s) URL without query or fragment, got '" + url + "'");
      }
      if (URI.create(url).getUserInfo() != null) {
        // The URL shows up in logs; credentials belong in api_key_env.
        throw s.error("url", "must not contain credentials (use api_key_env)");
      }
      url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
      if (url.endsWith("/v1")) {
        throw s.error("url", "must be the base URL without /v1 (the path is added per protocol), got '" + url + "'");
      }
    } else if (enabled) {
      throw s.error("url", "must be set when the judge is enabled");
    }
    String model = s.optionalString("model");
    if (model == null && protocol == JudgeSpec.Protocol.OPENAI_MODERATION) {
      model = "omni-moderation-latest";
    } else if (model == null && enabled) {
      throw s.error("model", "must be set for protocol " + protocol.code() + " (the served model's name)");
    }
    String apiKeyEnv = s.optionalString("api_key_env");
    if (apiKeyEnv != null) {
      if (!ENV_NAME.matcher(apiKeyEnv).matches()) {
        throw s.error("api_key_env", "must be an environment variable name, got '" + apiKeyEnv + "'");
      }
      if (enabled && env.apply(apiKeyEnv) == null) {
        throw s.error("api_key_env", "names environment variable " + apiKeyEnv + ", which is not set");
      }
    }
    Duration timeout = s.duration("timeout", "5s");
    int maxAttempts = s.integer("max_attempts", 3, 1, 10);
    Duration backoff = s.duration("backoff", "200ms");
    Duration maxBackoff = s.duration("max_backoff", "5s");
    if (maxBackoff.compareTo(backoff) < 0) {
      throw s.error("max_backoff", "must be at least backoff (" + Durations.format(backoff) + "), got " + Durations.format(maxBackoff));
    }
    int maxConcurrency = s.integer("max_concurrency", 16, 1, 10_000);
    int cacheSize = s.integer("cache_size", 10_000, 0, 10_000_000);
    Section cb = s.section("circuit_breaker");
    JudgeSpec.CircuitBreaker breaker = new JudgeSpec.CircuitBreaker(cb.integer("failure_threshold", 10, 1, 1_000_000),
        cb.duration("open_for", "30s"));
    cb.end();
    JudgeSpec.Policy policy = s.enumValue("policy", JudgeSpec.Policy.REPLACE);
    double minBuiltinHarm = s.number("min_builtin_harm", 0.0, Range.UNIT_CLOSED);
    double sampleRate = s.number("sample_rate", 1.0, Range.UNIT_OPEN_CLOSED);
    s.end();
    return new JudgeSpec(enabled, protocol, url, model, apiKeyEnv, timeout, maxAttempts, backoff, maxBackoff, maxConcurrency,
        cacheSize, breaker, policy, minBuiltinHarm, sampleRate);
  }

  private DetectorsSpec detectors(Section s) {
    Section f = s.section("fleet");
    int variants = f.integer("variants", 1000, 1, Integer.MAX_VALUE);
    double falseAlerts = f.number("false_alerts_per_week", 1.0, Range.POSITIVE);
    double riskyPerHour = f.number("risky_events_per_variant_per_hour", 60.0, Range.POSITIVE);
    double eventsPerHour = f.number("events_per_variant_per_hour", 600.0, Range.POSITIVE);
    f.end();
    double minArl0 = s.number("min_arl0", 1.0e6, Range.AT_LEAST_ONE);
    FleetSpec fleet = new FleetSpec(variants, falseAlerts, riskyPerHour, eventsPerHour, minArl0);

    BaselineSpec baseline = baseline(s.section("baseline"));

    DriftDetectorSpec risky = drift(s.section("risky_compliance"), 0.15, Severity.CRITICAL);
    DriftDetectorSpec harm = drift(s.section("harm_rise"), 0.10, Severity.CRITICAL);
    DriftDetectorSpec benignHarm = drift(s.section("benign_harm"), 0.03, Severity.CRITICAL);
    DriftDetectorSpec overRefusal = drift(s.section("over_refusal"), 0.10, Severity.WARNING);

    Section d = s.section("backdoor");
    Section rt = d.section("refusal_triggers");
    RefusalTriggerSpec refusalTriggers = new RefusalTriggerSpec(rt.bool("enabled", true),
        rt.number("max_prompt_risk", 0.10, Range.UNIT_OPEN_CLOSED));
    rt.end();
    BackdoorSpec backdoor =
        new BackdoorSpec(
            d.bool("enabled", true),
            d.integer("max_ngram", 3, 1, 8),
            d.integer("min_support", 5, 1, Integer.MAX_VALUE),
            d.number("min_lift", 5.0, Range.ABOVE_ONE),
            d.number("max_prevalence", 0.02, Range.UNIT_OPEN_CLOSED),
            d.number("alpha", 1.0e-6, Range.UNIT_OPEN),
            d.enumValue("severity", Severity.CRITICAL),
            d.duration("quiet_period", "6h"),
            d.durationOrZero("rotate_every", "1d"),
            refusalTriggers,
            d.number("benign_harm_max_prompt_risk", 0.25, Range.UNIT_OPEN_CLOSED));
    Section p = d.section("repeated_payload");
    RepeatedPayloadSpec payload = new RepeatedPayloadSpec(p.bool("enabled", true), p.integer("min_prompts", 5, 2, 1000));
    p.end();
    d.end();
    Section sd = s.section("score_drift");
    int bins = sd.integer("bins", 10, 2, 100);
    ScoreDriftSpec scoreDrift = new ScoreDriftSpec(sd.bool("enabled", true),
        sd.integer("reference_events", 3000, 2 * bins, Integer.MAX_VALUE),
        sd.integer("window_events", 1000, bins, Integer.MAX_VALUE), bins, sd.enumValue("severity", Severity.WARNING));
    sd.end();
    s.end();
    return new DetectorsSpec(fleet, baseline, risky, harm, benignHarm, overRefusal, backdoor, scoreDrift, payload);
  }

  private static InputSpec input(Section in) {
    Section f = in.section("fields");
    java.util.Map<String, String> fields = new java.util.LinkedHashMap<>();
    for (String field : InputSpec.CONTRACT_FIELDS) {
      String pointer = f.optionalString(field);
      if (pointer == null) {
        continue;
      }
      try {
        com.fasterxml.jackson.core.JsonPointer.compile(pointer);
      } catch (IllegalArgumentException e) {
        throw f.error(field, "must be a JSON Pointer such as /request/model (RFC 6901), got '" + pointer + "'");
      }
      if (pointer.isEmpty()) {
        throw f.error(field, "must point into the record (a JSON Pointer such as /model), got the empty pointer");
      }
      fields.put(field, pointer);
    }
    f.end();
    in.end();
    return new InputSpec(fields);
  }

  private static BaselineSpec baseline(Section b) {
    int riskyEvents = b.integer("reference_risky_events", 200, 1, Integer.MAX_VALUE);
    int events = b.integer("reference_events", 1000, 1, Integer.MAX_VALUE);
    BaselineSpec.Source source = b.enumValue("source", BaselineSpec.Source.REFERENCE_WINDOW);
    BaselineSpec.ExpectedRates expected = expectedRates(b.section("expected"));
    if (source == BaselineSpec.Source.CONFIG && expected.isEmpty()) {
      throw b.error("source", "is config but " + b.path("expected") + " sets no rate");
    }
    List<BaselineSpec.VariantOverride> overrides = new ArrayList<>();
    for (Section o : b.sectionList("overrides")) {
      String variants = o.string("variants", null);
      if (variants == null) {
        throw o.error("variants", "is required: an exact variant_id or a glob such as 'acme-*'");
      }
      BaselineSpec.Source overrideSource = o.raw("source") == null ? null : o.enumValue("source", BaselineSpec.Source.REFERENCE_WINDOW);
      BaselineSpec.ExpectedRates overrideExpected = expectedRates(o.section("expected"));
      BaselineSpec.Source effective = overrideSource != null ? overrideSource : source;
      if (effective == BaselineSpec.Source.CONFIG && overrideExpected.orElse(expected).isEmpty()) {
        throw o.error("source", "is config but neither " + o.path("expected") + " nor " + b.path("expected") + " sets a rate");
      }
      o.end();
      overrides.add(new BaselineSpec.VariantOverride(variants, overrideSource, overrideExpected));
    }
    b.end();
    return new BaselineSpec(riskyEvents, events, source, expected, overrides);
  }

  private static BaselineSpec.ExpectedRates expectedRates(Section e) {
    BaselineSpec.ExpectedRates rates = new BaselineSpec.ExpectedRates(
        e.optionalNumber("risky_refusal_rate", Range.UNIT_CLOSED),
        e.optionalNumber("risky_harmful_rate", Range.UNIT_CLOSED),
        e.optionalNumber("benign_harmful_rate", Range.UNIT_CLOSED),
        e.optionalNumber("benign_refusal_rate", Range.UNIT_CLOSED));
    e.end();
    return rates;
  }

  private static DriftDetectorSpec drift(Section s, double defaultMinShift, Severity defaultSeverity) {
    DriftDetectorSpec spec =
        new DriftDetectorSpec(s.bool("enabled", true), s.number("min_shift", defaultMinShift, Range.UNIT_OPEN), s.enumValue("severity", defaultSeverity));
    s.end();
    return spec;
  }

  private static AlertsSpec alerts(Section s) {
    String runbook = s.string("runbook_base_url", "https://github.com/llm-safety/safety-monitor/blob/main/dashboards/runbook.md");
    try {
      URI uri = new URI(runbook);
      if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme()) || uri.getHost() == null) {
        throw s.error("runbook_base_url", "must be an absolute http(s) URL, got '" + runbook + "'");
      }
    } catch (URISyntaxException e) {
      throw s.error("runbook_base_url", "must be an absolute http(s) URL, got '" + runbook + "'");
    }
    boolean includeText = s.bool("include_text", false);
    int maxEvidence = s.integer("max_evidence_events", 10, 0, 1000);
    Duration pendingFor = s.durationOrZero("pending_for", "0s");
    Duration renotify = s.durationOrZero("renotify_interval", "4h");
    // A tiny interval would turn one long episode into a stream of records.
    if (!renotify.isZero() && renotify.compareTo(Duration.ofMinutes(1)) < 0) {
      throw s.error("renotify_interval", "must be 0s (never) or at least 1m, got " + Durations.format(renotify));
    }
    AlertsSpec spec = new AlertsSpec(runbook, includeText, maxEvidence, pendingFor, renotify);
    s.end();
    return spec;
  }

  private static AlertmanagerSpec alertmanager(Section s) {
    String url = s.optionalString("url");
    if (url != null) {
      try {
        URI uri = new URI(url);
        if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme()) || uri.getHost() == null
            || uri.getQuery() != null || uri.getFragment() != null) {
          throw s.error("url", "must be an absolute http(s) URL of Alertmanager without query or fragment, got '" + url + "'");
        }
      } catch (URISyntaxException e) {
        throw s.error("url", "must be an absolute http(s) URL of Alertmanager without query or fragment, got '" + url + "'");
      }
      url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
    AlertmanagerSpec spec = new AlertmanagerSpec(url, s.duration("timeout", "5s"), s.integer("max_attempts", 5, 1, 100),
        s.duration("firing_ttl", "7d"));
    s.end();
    return spec;
  }

  private static MetricsSpec metrics(Section s) {
    MetricsSpec spec =
        new MetricsSpec(s.integer("port", 9464, -1, 65535), s.integer("max_variant_labels", 100, 0, 100_000), s.stringList("variant_allowlist"));
    s.end();
    return spec;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** A numeric interval with its own wording for error messages. */
  private record Range(double lo, boolean loInclusive, double hi, boolean hiInclusive, String text) {
    static final Range UNIT_CLOSED = new Range(0, true, 1, true, "must be in [0, 1]");
    static final Range UNIT_OPEN = new Range(0, false, 1, false, "must be in (0, 1)");
    static final Range UNIT_OPEN_CLOSED = new Range(0, false, 1, true, "must be in (0, 1]");
    static final Range POSITIVE = new Range(0, false, Double.MAX_VALUE, true, "must be > 0");
    static final Range AT_LEAST_ONE = new Range(1, true, Double.MAX_VALUE, true, "must be >= 1");
    static final Range ABOVE_ONE = new Range(1, false, Double.MAX_VALUE, true, "must be > 1");

    boolean contains(double v) {
      return (loInclusive ? v >= lo : v > lo) && (hiInclusive ? v <= hi : v < hi);
    }
  }

  /** One YAML mapping being read, with its path and the keys asked for so far. */
  private static final class Section {
    private final String source;
    private final String path;
    private final JsonNode node; // an object node, or null when the section is absent
    private final Set<String> known = new LinkedHashSet<>();

    private Section(String source, String path, JsonNode node) {
      this.source = source;
      this.path = path;
      this.node = node;
    }

    static Section root(String source, JsonNode root) {
      if (root == null || root.isMissingNode() || root.isNull()) {
        return new Section(source, "", null);
      }
      if (!root.isObject()) {
        throw new InvalidJobSpecException(source, null, "must be a YAML mapping at the top level, got " + describe(root));
      }
      return new Section(source, "", root);
    }

    String path(String key) {
      return path.isEmpty() ? key : path + "." + key;
    }

    InvalidJobSpecException error(String key, String problem) {
      return new InvalidJobSpecException(source, path(key), problem);
    }

    /** Marks the key known; returns its value, or null when absent or YAML null. */
    JsonNode raw(String key) {
      known.add(key);
      JsonNode v = node == null ? null : node.get(key);
      return v == null || v.isNull() ? null : v;
    }

    List<String> keys() {
      List<String> keys = new ArrayList<>();
      if (node != null) {
        node.fieldNames().forEachRemaining(keys::add);
      }
      return keys;
    }

    Section section(String key) {
      JsonNode v = raw(key);
      if (v != null && !v.isObject()) {
        throw error(key, "must be a mapping, got " + describe(v));
      }
      return new Section(source, path(key), v);
    }

    /** Fails on the first key nobody asked for: a typo must not fall back to a default silently. */
    void end() {
      if (node == null) {
        return;
      }
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        if (!known.contains(key)) {
          String knownList = known.isEmpty() ? "none" : String.join(", ", known);
          throw new InvalidJobSpecException(source, null, "unknown key " + path(key) + " (known here: " + knownList + ")");
        }
      }
    }

    String string(String key, String dflt) {
      JsonNode v = raw(key);
      if (v == null) {
        return dflt;
      }
      if (!v.isTextual()) {
        throw error(key, "must be a string, got " + describe(v));
      }
      String s = v.textValue().strip();
      if (s.isEmpty()) {
        throw error(key, "must not be empty");
      }
      return s;
    }

    /** Null (absent) is the default; an empty string is a mistake. */
    String optionalString(String key) {
      return raw(key) == null ? null : string(key, null);
    }

    boolean bool(String key, boolean dflt) {
      JsonNode v = raw(key);
      if (v == null) {
        return dflt;
      }
      if (!v.isBoolean()) {
        throw error(key, "must be true or false, got " + describe(v));
      }
      return v.booleanValue();
    }

    int integer(String key, int dflt, int min, int max) {
      JsonNode v = raw(key);
      if (v == null) {
        return dflt;
      }
      if (!v.isIntegralNumber() || !v.canConvertToInt()) {
        throw error(key, "must be a whole number, got " + describe(v));
      }
      int i = v.intValue();
      if (i < min || i > max) {
        String range = max == Integer.MAX_VALUE ? "must be >= " + min : "must be in [" + min + ", " + max + "]";
        throw error(key, range + ", got " + i);
      }
      return i;
    }

    double number(String key, double dflt, Range range) {
      JsonNode v = raw(key);
      if (v == null) {
        return dflt;
      }
      if (!v.isNumber()) {
        throw error(key, "must be a number, got " + describe(v));
      }
      double d = v.doubleValue();
      if (!Double.isFinite(d) || !range.contains(d)) {
        throw error(key, range.text() + ", got " + v.asText());
      }
      return d;
    }

    Duration duration(String key, String dflt) {
      JsonNode v = raw(key);
      if (v == null) {
        return Durations.parse(dflt);
      }
      if (!v.isTextual()) {
        throw error(key, "must be " + Durations.EXPECTED + ", got " + describe(v));
      }
      Duration d;
      try {
        d = Durations.parse(v.textValue());
      } catch (IllegalArgumentException e) {
        String msg = e.getMessage();
        throw error(key, msg.startsWith("expected ") ? "must be " + msg.substring("expected ".length()) : msg);
      }
      if (d.isZero()) {
        throw error(key, "must be positive, got '" + v.textValue() + "'");
      }
      return d;
    }

    /** Like {@link #duration} but zero is allowed, for "off". */
    Duration durationOrZero(String key, String dflt) {
      JsonNode v = raw(key);
      if (v != null && v.isTextual() && v.textValue().strip().matches("0+(ms|s|m|h|d)")) {
        return Duration.ZERO;
      }
      return v == null ? Durations.parse(dflt) : duration(key, dflt);
    }

    /** Null when absent or YAML null: "not set". */
    Double optionalNumber(String key, Range range) {
      return raw(key) == null ? null : number(key, Double.NaN, range);
    }

    /** A list of mappings, each read as its own section with path {@code key[i]}. */
    List<Section> sectionList(String key) {
      JsonNode v = raw(key);
      if (v == null) {
        return List.of();
      }
      if (!v.isArray()) {
        throw error(key, "must be a list, got " + describe(v));
      }
      List<Section> out = new ArrayList<>();
      for (int i = 0; i < v.size(); i++) {
        JsonNode item = v.get(i);
        if (!item.isObject()) {
          throw error(key + "[" + i + "]", "must be a mapping, got " + describe(item));
        }
        out.add(new Section(source, path(key + "[" + i + "]"), item));
      }
      return out;
    }

    <E extends Enum<E>> E enumValue(String key, E dflt) {
      JsonNode v = raw(key);
      if (v == null) {
        return dflt;
      }
      E[] values = dflt.getDeclaringClass().getEnumConstants();
      String allowed = Arrays.stream(values).map(e -> e.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(" | "));
      if (v.isTextual()) {
        for (E e : values) {
          if (e.name().toLowerCase(Locale.ROOT).equals(v.textValue().strip())) {
            return e;
          }
        }
      }
      throw error(key, "must be one of " + allowed + ", got " + describe(v));
    }

    List<String> stringList(String key) {
      JsonNode v = raw(key);
      if (v == null) {
        return List.of();
      }
      if (!v.isArray()) {
        throw error(key, "must be a list of strings, got " + describe(v));
      }
      Set<String> out = new LinkedHashSet<>();
      for (int i = 0; i < v.size(); i++) {
        JsonNode item = v.get(i);
        if (!item.isTextual() || item.textValue().isBlank()) {
          throw error(key + "[" + i + "]", "must be a non-empty string, got " + describe(item));
        }
        out.add(item.textValue().strip());
      }
      return List.copyOf(out);
    }

    /** For messages: the value as written, quoted when it is text. */
    static String describe(JsonNode v) {
      if (v == null || v.isNull()) {
        return "null";
      }
      if (v.isTextual()) {
        return "'" + v.textValue() + "'";
      }
      if (v.isValueNode()) {
        return v.asText();
      }
      return v.isArray() ? "a list" : "a mapping";
    }
  }
}
