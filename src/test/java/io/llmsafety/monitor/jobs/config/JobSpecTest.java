package io.llmsafety.monitor.jobs.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class JobSpecTest {

  private static final String SRC = "jobs/x.yaml";
  private static final Function<String, String> NO_ENV = name -> null;

  private static JobSpec parse(String yaml) {
    return JobSpec.parse(yaml, SRC, NO_ENV);
  }

  @Test
  void shouldParseMinerRotationWithZeroForNever() {
    assertThat(parse("detectors:\n  backdoor:\n    rotate_every: 12h\n").detectors().backdoor().rotateEvery())
        .isEqualTo(Duration.ofHours(12));
    assertThat(parse("detectors:\n  backdoor:\n    rotate_every: 0s\n").detectors().backdoor().rotateEvery()).isZero();
    assertThatThrownBy(() -> parse("detectors:\n  backdoor:\n    rotate_every: daily\n"))
        .isInstanceOf(InvalidJobSpecException.class)
        .hasMessageContaining("detectors.backdoor.rotate_every");
  }

  @Test
  void shouldParseTheBenignHarmCutWithHalfTheRiskyThresholdByDefault() {
    assertThat(parse("name: x\n").detectors().backdoor().benignHarmMaxPromptRisk()).isEqualTo(0.25);
    assertThat(parse("detectors:\n  backdoor: {benign_harm_max_prompt_risk: 0.4}\n").detectors().backdoor()
        .benignHarmMaxPromptRisk()).isEqualTo(0.4);
    assertThatThrownBy(() -> parse("detectors:\n  backdoor: {benign_harm_max_prompt_risk: 0}\n"))
        .isInstanceOf(InvalidJobSpecException.class)
        .hasMessageContaining("detectors.backdoor.benign_harm_max_prompt_risk");
  }

  @Test
  void shouldParseRefusalTriggersWithTheOrdinaryRequestCutByDefault() {
    RefusalTriggerSpec defaults = parse("name: x\n").detectors().backdoor().refusalTriggers();
    assertThat(defaults.enabled()).isTrue();
    assertThat(defaults.maxPromptRisk()).isEqualTo(0.10);
    RefusalTriggerSpec set = parse("detectors:\n  backdoor:\n    refusal_triggers: {enabled: false, max_prompt_risk: 0.02}\n")
        .detectors().backdoor().refusalTriggers();
    assertThat(set.enabled()).isFalse();
    assertThat(set.maxPromptRisk()).isEqualTo(0.02);
    assertThatThrownBy(() -> parse("detectors:\n  backdoor:\n    refusal_triggers: {max_prompt_risk: 0}\n"))
        .isInstanceOf(InvalidJobSpecException.class)
        .hasMessageContaining("detectors.backdoor.refusal_triggers.max_prompt_risk");
    assertThatThrownBy(() -> parse("detectors:\n  backdoor:\n    refusal_triggers: {max_risk: 0.2}\n"))
        .isInstanceOf(InvalidJobSpecException.class)
        .hasMessageContaining("max_risk");
  }

  @Test
  void shouldParseInputFieldPointersAndRejectOnesThatAreNot() {
    assertThat(parse("name: x\n").input().fields()).isEmpty();
    assertThat(parse("input:\n  fields:\n    variant_id: /model\n    prompt: /request/input\n").input().fields())
        .containsEntry("variant_id", "/model").containsEntry("prompt", "/request/input").hasSize(2);
    assertThatThrownBy(() -> parse("input:\n  fields:\n    variant_id: model\n"))
        .isInstanceOf(InvalidJobSpecException.class)
        .hasMessageContaining("input.fields.variant_id").hasMessageContaining("JSON Pointer");
    assertThatThrownBy(() -> parse("input:\n  fields:\n    model: /model\n"))
        .isInstanceOf(InvalidJobSpecException.class)
        .hasMessageContaining("model");
  }

  // ---- packaged specs ----

  @Test
  void shouldLoadPackagedDefaultsWithProductionValues() {
    JobSpec spec = JobSpec.defaults();
    assertThat(spec.name()).isEqualTo("llm-safety-monitor");
    assertThat(spec.kafka().topics().input()).isEqualTo("llm.interactions");
    assertThat(spec.kafka().topics().deadLetter()).isEqualTo("llm.safety.dead-letter");
    assertThat(spec.kafka().startingOffsets()).isEqualTo(KafkaSpec.StartingOffsets.COMMITTED);
    assertThat(spec.kafka().properties()).isEmpty();
    assertThat(spec.flink().stateBackend()).isEqualTo(FlinkSpec.StateBackend.ROCKSDB);
    assertThat(spec.flink().checkpointInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(spec.flink().checkpointDir()).isNull();
    assertThat(spec.eventTime().variantTtl()).isEqualTo(Duration.ofDays(7));
    assertThat(spec.scoring().policy()).isEqualTo(ScoringSpec.Policy.PREFER_UPSTREAM);
    assertThat(spec.detectors().riskyCompliance().minShift()).isEqualTo(0.15);
    assertThat(spec.detectors().backdoor().alpha()).isEqualTo(1.0e-6);
    assertThat(spec.detectors().backdoor().rotateEvery()).isEqualTo(Duration.ofDays(1));
    assertThat(spec.detectors().fleet().minArl0()).isEqualTo(1.0e6);
    assertThat(spec.alerts().includeText()).isFalse();
    assertThat(spec.metrics().port()).isEqualTo(9464);
  }

  @Test
  void shouldMatchBuiltInDefaultsSoDefaultYamlDocumentsThem() {
    assertThat(parse("")).isEqualTo(JobSpec.defaults());
    assertThat(parse("# nothing but a comment\n")).isEqualTo(JobSpec.defaults());
  }

  @Test
  void shouldLoadDemoSpecFromTheJobsDirectory() {
    JobSpec demo = JobSpec.load(Path.of("jobs/demo.yaml"), NO_ENV);
    assertThat(demo.flink().checkpointInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(demo.flink().stateBackend()).isEqualTo(FlinkSpec.StateBackend.HASHMAP);
    assertThat(demo.windows().size()).isEqualTo(Duration.ofMinutes(1));
    assertThat(demo.kafka().startingOffsets()).isEqualTo(KafkaSpec.StartingOffsets.EARLIEST);
    assertThat(demo.detectors().fleet().variants()).isEqualTo(3);
    // Unset keys keep the production default.
    assertThat(demo.kafka().topics()).isEqualTo(JobSpec.defaults().kafka().topics());
  }

  @Test
  void shouldReplaceBootstrapServersAtRuntimeForTheDemo() {
    JobSpec demo = JobSpec.load(Path.of("jobs/demo.yaml"), NO_ENV);
    JobSpec wired = demo.withKafka(demo.kafka().withBootstrapServers("127.0.0.1:40123"));
    assertThat(wired.kafka().bootstrapServers()).isEqualTo("127.0.0.1:40123");
    assertThat(wired.kafka().groupId()).isEqualTo(demo.kafka().groupId());
  }

  @Test
  void shouldNameTheSourceWhenTheFileIsMissing() {
    assertThatThrownBy(() -> JobSpec.load(Path.of("jobs/does-not-exist.yaml")))
        .isInstanceOf(InvalidJobSpecException.class)
        .hasMessageStartingWith("jobs/does-not-exist.yaml: cannot be read");
  }

  // ---- unknown keys and malformed documents ----

  @Test
  void shouldRejectAnUnknownKeyNamingItsPathAndTheKnownKeys() {
    assertThatThrownBy(() -> parse("detectors:\n  risky_compliance:\n    min_shfit: 0.2\n"))
        .isInstanceOf(InvalidJobSpecException.class)
        .hasMessage("jobs/x.yaml: unknown key detectors.risky_compliance.min_shfit (known here: enabled, min_shift, severity)");
  }

  @Test
  void shouldRejectAnUnknownTopLevelSection() {
    assertThatThrownBy(() -> parse("alert:\n  include_text: true\n"))
        .hasMessageStartingWith("jobs/x.yaml: unknown key alert (known here: name, kafka,");
  }

  @Test
  void shouldRejectDuplicateKeys() {
    assertThatThrownBy(() -> parse("flink:\n  parallelism: 2\n  parallelism: 4\n"))
        .isInstanceOf(InvalidJobSpecException.class)
        .hasMessageContaining("jobs/x.yaml: is not valid YAML at line 3");
  }

  @ParameterizedTest
  @ValueSource(strings = {"[1, 2]", "just text", "flink: [\n"})
  void shouldRejectDocumentsThatAreNotAMapping(String yaml) {
    assertThatThrownBy(() -> parse(yaml)).isInstanceOf(InvalidJobSpecException.class).hasMessageStartingWith("jobs/x.yaml: ");
  }

  // ---- bad values ----

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiterString = "=>",
      textBlock = """
      detectors: {risky_compliance: {min_shift: 1.5}}   => detectors.risky_compliance.min_shift must be in (0, 1), got 1.5
      detectors: {harm_rise: {min_shift: 0}}            => detectors.harm_rise.min_shift must be in (0, 1), got 0
      scoring: {harm_threshold: 1.01}                   => scoring.harm_threshold must be in [0, 1], got 1.01
      scoring: {refusal_threshold: high}                => scoring.refusal_threshold must be a number, got 'high'
      scoring: {policy: upstream}                       => scoring.policy must be one of prefer_upstream | max | builtin, got 'upstream'
      flink: {parallelism: 0}                           => flink.parallelism must be in [1, 32768], got 0
      flink: {parallelism: 2.5}                         => flink.parallelism must be a whole number, got 2.5
      flink: {state_backend: memory}                    => flink.state_backend must be one of rocksdb | hashmap, got 'memory'
      flink: {checkpoint_interval: 30}                  => flink.checkpoint_interval must be a duration like 250ms, 10s, 5m, 1h or 7d, got 30
      flink: {checkpoint_interval: 5ms}                 => flink.checkpoint_interval must be at least 10ms (Flink's minimum), got 5ms
      flink: {checkpoint_dir: ''}                       => flink.checkpoint_dir must not be empty
      event_time: {idleness: 0s}                        => event_time.idleness must be positive, got '0s'
      event_time: {dedup_horizon: 10 minutes}           => event_time.dedup_horizon must be a duration like 250ms, 10s, 5m, 1h or 7d, got '10 minutes'
      event_time: {variant_ttl: 1m}                     => event_time.variant_ttl must be at least windows.size (5m), got 1m
      windows: {size: -5m}                              => windows.size must be a duration like 250ms, 10s, 5m, 1h or 7d, got '-5m'
      kafka: {starting_offsets: newest}                 => kafka.starting_offsets must be one of committed | earliest | latest, got 'newest'
      kafka: {bootstrap_servers: 9092}                  => kafka.bootstrap_servers must be a string, got 9092
      kafka: {topics: {alerts: llm.interactions}}       => kafka.topics.alerts must differ from kafka.topics.input, both are 'llm.interactions'
      kafka: {topics: {input: 'bad topic'}}             => kafka.topics.input must be a Kafka topic name (letters, digits, '.', '_', '-'; at most 249), got 'bad topic'
      kafka: {properties: {bootstrap.servers: 'x:1'}}   => kafka.properties."bootstrap.servers" is set by kafka.bootstrap_servers; remove it here
      kafka: {properties: {ssl: {a: 1}}}                => kafka.properties."ssl" must be a string, number or boolean, got a mapping
      kafka: []                                         => kafka must be a mapping, got a list
      detectors: {fleet: {variants: 0}}                 => detectors.fleet.variants must be >= 1, got 0
      detectors: {fleet: {false_alerts_per_week: 0}}    => detectors.fleet.false_alerts_per_week must be > 0, got 0
      detectors: {min_arl0: 0.5}                        => detectors.min_arl0 must be >= 1, got 0.5
      detectors: {backdoor: {alpha: 1}}                 => detectors.backdoor.alpha must be in (0, 1), got 1
      detectors: {backdoor: {min_lift: 1}}              => detectors.backdoor.min_lift must be > 1, got 1
      detectors: {backdoor: {max_ngram: 0}}             => detectors.backdoor.max_ngram must be in [1, 8], got 0
      detectors: {backdoor: {severity: page}}           => detectors.backdoor.severity must be one of critical | warning | info, got 'page'
      detectors: {backdoor: {enabled: 'no'}}            => detectors.backdoor.enabled must be true or false, got 'no'
      alerts: {runbook_base_url: 'runbook.md'}          => alerts.runbook_base_url must be an absolute http(s) URL, got 'runbook.md'
      alerts: {max_evidence_events: -1}                 => alerts.max_evidence_events must be in [0, 1000], got -1
      metrics: {port: 70000}                            => metrics.port must be in [-1, 65535], got 70000
      metrics: {port: -2}                               => metrics.port must be in [-1, 65535], got -2
      metrics: {variant_allowlist: [a, '']}             => metrics.variant_allowlist[1] must be a non-empty string, got ''
      name: ''                                          => name must not be empty
      alertmanager: {url: 'alertmanager:9093'}          => alertmanager.url must be an absolute http(s) URL of Alertmanager without query or fragment, got 'alertmanager:9093'
      alertmanager: {url: 'http://am:9093/?x=1'}        => alertmanager.url must be an absolute http(s) URL of Alertmanager without query or fragment, got 'http://am:9093/?x=1'
      alertmanager: {timeout: 0s}                       => alertmanager.timeout must be positive, got '0s'
      alertmanager: {max_attempts: 0}                   => alertmanager.max_attempts must be in [1, 100], got 0
      scoring: {judge: {enabled: true}}                 => scoring.judge.url must be set when the judge is enabled
      scoring: {judge: {url: 'judge:8000'}}             => scoring.judge.url must be an absolute http(s) URL without query or fragment, got 'judge:8000'
      scoring: {judge: {url: 'http://judge/v1/'}}       => scoring.judge.url must be the base URL without /v1 (the path is added per protocol), got 'http://judge/v1'
      scoring: {judge: {enabled: true, protocol: llama_guard, url: 'http://judge:8000'}} => scoring.judge.model must be set for protocol llama_guard (the served model's name)
      scoring: {judge: {url: 'https://me:pw@judge'}}    => scoring.judge.url must not contain credentials (use api_key_env)
      scoring: {judge: {protocol: perspective}}         => scoring.judge.protocol must be one of openai_moderation | llama_guard, got 'perspective'
      scoring: {judge: {policy: min}}                   => scoring.judge.policy must be one of replace | max, got 'min'
      scoring: {judge: {api_key_env: 'my key'}}         => scoring.judge.api_key_env must be an environment variable name, got 'my key'
      scoring: {judge: {max_concurrency: 0}}            => scoring.judge.max_concurrency must be in [1, 10000], got 0
      scoring: {judge: {max_attempts: 11}}              => scoring.judge.max_attempts must be in [1, 10], got 11
      scoring: {judge: {backoff: 1s, max_backoff: 500ms}} => scoring.judge.max_backoff must be at least backoff (1s), got 500ms
      scoring: {judge: {sample_rate: 0}}                => scoring.judge.sample_rate must be in (0, 1], got 0
      scoring: {judge: {min_builtin_harm: 2}}           => scoring.judge.min_builtin_harm must be in [0, 1], got 2
      scoring: {judge: {circuit_breaker: {failure_threshold: 0}}} => scoring.judge.circuit_breaker.failure_threshold must be in [1, 1000000], got 0
      scoring: {judge: {circuit_breaker: {open: 5s}}}   => unknown key scoring.judge.circuit_breaker.open (known here: failure_threshold, open_for)
      alerts: {renotify_interval: 30s}                  => alerts.renotify_interval must be 0s (never) or at least 1m, got 30s
      alerts: {pending_for: soon}                       => alerts.pending_for must be a duration like 250ms, 10s, 5m, 1h or 7d, got 'soon'
      detectors: {baseline: {source: base}}             => detectors.baseline.source must be one of reference_window | base_model | config, got 'base'
      detectors: {baseline: {source: config}}           => detectors.baseline.source is config but detectors.baseline.expected sets no rate
      detectors: {baseline: {expected: {risky_refusal_rate: 1.2}}} => detectors.baseline.expected.risky_refusal_rate must be in [0, 1], got 1.2
      detectors: {baseline: {overrides: {a: 1}}}        => detectors.baseline.overrides must be a list, got a mapping
      detectors: {baseline: {overrides: [x]}}           => detectors.baseline.overrides[0] must be a mapping, got 'x'
      detectors: {baseline: {overrides: [{source: config}]}} => detectors.baseline.overrides[0].variants is required: an exact variant_id or a glob such as 'acme-*'
      detectors: {baseline: {overrides: [{variants: 'a-*', source: config}]}} => detectors.baseline.overrides[0].source is config but neither detectors.baseline.overrides[0].expected nor detectors.baseline.expected sets a rate
      detectors: {baseline: {overrides: [{variants: 'a-*', expected: {benign_harmful_rate: -0.1}}]}} => detectors.baseline.overrides[0].expected.benign_harmful_rate must be in [0, 1], got -0.1
      """)
  void shouldNameTheFieldPathOfABadValue(String yaml, String expected) {
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(InvalidJobSpecException.class)
        .hasMessage(SRC + ": " + expected);
  }

  @Test
  void shouldExposeTheFieldPathOnTheException() {
    assertThatThrownBy(() -> parse("metrics: {port: 70000}"))
        .isInstanceOfSatisfying(InvalidJobSpecException.class, e -> {
          assertThat(e.source()).isEqualTo(SRC);
          assertThat(e.fieldPath()).isEqualTo("metrics.port");
        });
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 0, 65535})
  void shouldAcceptMetricsPortsAtTheBounds(int port) {
    assertThat(parse("metrics: {port: " + port + "}").metrics().port()).isEqualTo(port);
  }

  @Test
  void shouldTreatMinusOneMetricsPortAsDisabled() {
    assertThat(parse("metrics: {port: -1}").metrics().enabled()).isFalse();
    assertThat(JobSpec.defaults().metrics().enabled()).isTrue();
  }

  // ---- remote judge ----

  @Test
  void shouldLeaveTheJudgeOffByDefault() {
    JudgeSpec judge = JobSpec.defaults().scoring().judge();
    assertThat(judge.enabled()).isFalse();
    assertThat(judge.url()).isNull();
    assertThat(judge.policy()).isEqualTo(JudgeSpec.Policy.REPLACE);
    assertThat(judge.model()).isEqualTo("omni-moderation-latest");
    // Three 5s attempts and two waits of at most max_backoff (5s).
    assertThat(judge.totalBudget()).isEqualTo(Duration.ofSeconds(25));
  }

  @Test
  void shouldReadAnEnabledLlamaGuardJudge() {
    JudgeSpec judge = JobSpec.parse("""
        scoring:
          judge:
            enabled: true
            protocol: llama_guard
            url: http://llama-guard.ml.svc:8000/
            model: meta-llama/Llama-Guard-3-8B
            api_key_env: JUDGE_API_KEY
            timeout: 2s
            max_attempts: 2
            circuit_breaker: {failure_threshold: 5, open_for: 1m}
            policy: max
            min_builtin_harm: 0.2
            sample_rate: 0.5
        """, SRC, name -> name.equals("JUDGE_API_KEY") ? "secret" : null).scoring().judge();
    assertThat(judge.protocol()).isEqualTo(JudgeSpec.Protocol.LLAMA_GUARD);
    assertThat(judge.url()).isEqualTo("http://llama-guard.ml.svc:8000");
    assertThat(judge.apiKeyEnv()).isEqualTo("JUDGE_API_KEY");
    assertThat(judge.circuitBreaker()).isEqualTo(new JudgeSpec.CircuitBreaker(5, Duration.ofMinutes(1)));
    assertThat(judge.policy()).isEqualTo(JudgeSpec.Policy.MAX);
    assertThat(judge.sampleRate()).isEqualTo(0.5);
    // Two 2s attempts and one wait of at most max_backoff (5s).
    assertThat(judge.totalBudget()).isEqualTo(Duration.ofSeconds(9));
    assertThat(judge.toString()).doesNotContain("secret");
  }

  @Test
  void shouldFailAtStartWhenTheJudgesKeyVariableIsUnset() {
    assertThatThrownBy(() -> parse("scoring: {judge: {enabled: true, url: 'https://api.openai.com', api_key_env: OPENAI_API_KEY}}"))
        .hasMessage(SRC + ": scoring.judge.api_key_env names environment variable OPENAI_API_KEY, which is not set");
  }

  // ---- alertmanager ----

  @Test
  void shouldLeaveTheAlertmanagerPushOffByDefault() {
    AlertmanagerSpec am = JobSpec.defaults().alertmanager();
    assertThat(am.enabled()).isFalse();
    assertThat(am.timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(am.maxAttempts()).isEqualTo(5);
    assertThat(am.firingTtl()).isEqualTo(Duration.ofDays(7));
  }

  @Test
  void shouldReadTheAlertmanagerUrlWithoutATrailingSlash() {
    AlertmanagerSpec am = parse("alertmanager: {url: 'http://alertmanager.monitoring.svc:9093/', timeout: 2s}").alertmanager();
    assertThat(am.enabled()).isTrue();
    assertThat(am.url()).isEqualTo("http://alertmanager.monitoring.svc:9093");
    assertThat(am.timeout()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void shouldRejectAnUnknownAlertmanagerKey() {
    assertThatThrownBy(() -> parse("alertmanager: {uri: 'http://am:9093'}"))
        .hasMessage("jobs/x.yaml: unknown key alertmanager.uri (known here: url, timeout, max_attempts, firing_ttl)");
  }

  // ---- environment placeholders ----

  @Test
  void shouldResolveEnvPlaceholdersInKafkaProperties() {
    Map<String, String> env = Map.of("KAFKA_USER", "svc-monitor", "KAFKA_PASSWORD", "s3cr$t\\1");
    String yaml =
        """
        kafka:
          properties:
            security.protocol: SASL_SSL
            sasl.jaas.config: 'ScramLoginModule required username="${KAFKA_USER}" password="${KAFKA_PASSWORD}";'
            request.timeout.ms: 30000
        """;
    KafkaSpec kafka = JobSpec.parse(yaml, SRC, env::get).kafka();
    assertThat(kafka.properties())
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.jaas.config", "ScramLoginModule required username=\"svc-monitor\" password=\"s3cr$t\\1\";")
        .containsEntry("request.timeout.ms", "30000");
  }

  @Test
  void shouldFailClearlyWhenAnEnvPlaceholderIsUnset() {
    String yaml = "kafka:\n  properties:\n    sasl.jaas.config: 'password=\"${KAFKA_PASSWORD}\"'\n";
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(InvalidJobSpecException.class)
        .hasMessage("jobs/x.yaml: kafka.properties.\"sasl.jaas.config\" references environment variable KAFKA_PASSWORD, which is not set");
  }

  @ParameterizedTest
  @ValueSource(strings = {"'${}'", "'${not-a-name}'", "'x${UNCLOSED'"})
  void shouldRejectMalformedPlaceholders(String value) {
    assertThatThrownBy(() -> parse("kafka: {properties: {sasl.username: " + value + "}}"))
        .isInstanceOf(InvalidJobSpecException.class)
        .hasMessageStartingWith("jobs/x.yaml: kafka.properties.\"sasl.username\" has an");
  }

  @Test
  void shouldNotPrintResolvedSecretsInToString() {
    JobSpec spec = JobSpec.parse("kafka: {properties: {sasl.password: '${PW}'}}", SRC, Map.of("PW", "hunter2")::get);
    assertThat(spec.kafka().properties()).containsEntry("sasl.password", "hunter2");
    assertThat(spec.toString()).contains("sasl.password").doesNotContain("hunter2");
  }

  // ---- durations ----

  @ParameterizedTest
  @CsvSource({"250ms, PT0.25S", "10s, PT10S", "5m, PT5M", "1h, PT1H", "7d, PT168H", "' 30s ', PT30S", "0s, PT0S"})
  void shouldParseDurationsWithOneUnit(String text, Duration expected) {
    assertThat(Durations.parse(text)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "30", "s", "1.5s", "-1s", "1h30m", "10 s", "10 minutes", "PT10S", "5M", "99999999999999999999d", "9999999999999999d"})
  void shouldRejectDurationsOutsideTheSimpleForm(String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + text + "'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"250ms", "10s", "90s", "5m", "1h", "7d", "0ms"})
  void shouldFormatDurationsSoTheyParseBack(String text) {
    assertThat(Durations.format(Durations.parse(text))).isEqualTo(text);
  }

  // ---- fleet budget ----

  @Test
  void shouldDeriveArl0FromTheFleetBudget() {
    FleetSpec fleet = JobSpec.defaults().detectors().fleet();
    // 60 risky events/h * 168 h * 1000 variants * 5 tests / 1 false alert a week.
    assertThat(fleet.arl0For(fleet.riskyEventsPerVariantPerHour(), 5)).isCloseTo(5.04e7, within(1e-3));
    // The DESIGN.md section 9 arithmetic: at ARL0 = 1e6 that fleet pages falsely ~every 3.3 hours.
    double falseAlertsPerWeekAtOneMillion = 60 * 168 * 1000 * 5 / 1.0e6;
    assertThat(168 / falseAlertsPerWeekAtOneMillion).isCloseTo(3.33, within(0.01));
  }

  @Test
  void shouldReadScoreDriftAndRepeatedPayloadSettings() {
    DetectorsSpec d = parse("detectors:\n  score_drift: {reference_events: 600, window_events: 200, bins: 6, severity: info}\n"
        + "  backdoor: {repeated_payload: {enabled: false, min_prompts: 8}}\n").detectors();
    assertThat(d.scoreDrift()).isEqualTo(new ScoreDriftSpec(true, 600, 200, 6, Severity.INFO));
    assertThat(d.repeatedPayload()).isEqualTo(new RepeatedPayloadSpec(false, 8));
    assertThat(JobSpec.defaults().detectors().scoreDrift()).isEqualTo(new ScoreDriftSpec(true, 3000, 1000, 10, Severity.WARNING));
    assertThat(JobSpec.defaults().detectors().repeatedPayload()).isEqualTo(new RepeatedPayloadSpec(true, 5));
  }

  @Test
  void shouldRejectAScoreDriftReferenceTooSmallForItsBins() {
    assertThatThrownBy(() -> parse("detectors: {score_drift: {bins: 10, reference_events: 10}}"))
        .isInstanceOf(InvalidJobSpecException.class)
        .hasMessageContaining("detectors.score_drift.reference_events");
  }

  @Test
  void shouldNotDeriveArl0BelowTheFloor() {
    FleetSpec small = new FleetSpec(1, 10, 1, 1, 1.0e6);
    assertThat(small.arl0For(1, 1)).isEqualTo(1.0e6);
  }

  @Test
  void shouldRejectNonsenseArl0Arguments() {
    FleetSpec fleet = JobSpec.defaults().detectors().fleet();
    assertThatThrownBy(() -> fleet.arl0For(0, 5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> fleet.arl0For(60, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  // ---- serialization ----

  @Test
  void shouldSurviveJavaSerializationBecauseFlinkFunctionsCaptureIt() throws IOException, ClassNotFoundException {
    JobSpec spec =
        JobSpec.parse(
            "kafka: {properties: {security.protocol: SSL}}\nmetrics: {variant_allowlist: [a, b]}\nflink: {checkpoint_dir: 's3://b/c'}",
            SRC,
            NO_ENV);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(spec);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      assertThat(in.readObject()).isEqualTo(spec);
    }
  }

  // ---- baselines and alert lifecycle ----

  @Test
  void shouldDefaultToReferenceWindowsAndFourHourlyRenotificationsWithoutPending() {
    JobSpec spec = JobSpec.defaults();
    assertThat(spec.detectors().baseline().source()).isEqualTo(BaselineSpec.Source.REFERENCE_WINDOW);
    assertThat(spec.detectors().baseline().expected().isEmpty()).isTrue();
    assertThat(spec.detectors().baseline().overrides()).isEmpty();
    assertThat(spec.alerts().pendingFor()).isZero();
    assertThat(spec.alerts().renotifyInterval()).isEqualTo(Duration.ofHours(4));
  }

  @Test
  void shouldResolveBaselineSourceAndRatesPerVariantFirstMatchWins() {
    JobSpec spec = parse("""
        detectors:
          baseline:
            source: base_model
            expected: {risky_refusal_rate: 0.97, benign_harmful_rate: 0.002}
            overrides:
              - variants: acme-support-*
                source: config
                expected: {risky_refusal_rate: 0.9}
              - variants: acme-support-lora-v?
                source: reference_window
              - variants: exact-one
                expected: {risky_harmful_rate: 0.01}
        alerts: {pending_for: 10m, renotify_interval: 0s}
        """);
    BaselineSpec b = spec.detectors().baseline();
    assertThat(b.forVariant("acme-support-lora-v7")).isEqualTo(new BaselineSpec.Resolved(BaselineSpec.Source.CONFIG,
        new BaselineSpec.ExpectedRates(0.9, null, 0.002, null)));
    assertThat(b.forVariant("exact-one")).isEqualTo(new BaselineSpec.Resolved(BaselineSpec.Source.BASE_MODEL,
        new BaselineSpec.ExpectedRates(0.97, 0.01, 0.002, null)));
    assertThat(b.forVariant("exact-one-more").source()).isEqualTo(BaselineSpec.Source.BASE_MODEL);
    assertThat(b.forVariant("acme.support-x").source()).isEqualTo(BaselineSpec.Source.BASE_MODEL);
    assertThat(spec.alerts().pendingFor()).isEqualTo(Duration.ofMinutes(10));
    assertThat(spec.alerts().renotifyInterval()).isZero();
  }
}
