package io.llmsafety.monitor.judge;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmsafety.monitor.jobs.config.JudgeSpec;
import io.llmsafety.monitor.judge.JudgeTestServer.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The judge client against a real HTTP server on loopback that speaks both protocols. */
@Timeout(60)
class JudgeClientTest {

  static final Duration BACKOFF = Duration.ofMillis(10);
  static final Duration MAX_BACKOFF = Duration.ofMillis(50);
  static final String SAFE_MODERATION = JudgeTestServer.moderation(false, Map.of("violence", 0.02, "illicit", 0.1));

  JudgeTestServer server;
  JudgeClient client;
  final AtomicLong breakerClock = new AtomicLong();
  final List<JudgeOutcome> retries = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
  }

  static JudgeSpec spec(JudgeSpec.Protocol protocol, String url, Duration timeout, int maxAttempts, int maxConcurrency,
      int cacheSize, int failureThreshold) {
    return new JudgeSpec(true, protocol, url, protocol == JudgeSpec.Protocol.LLAMA_GUARD ? "llama-guard-test" : "omni-moderation-latest",
        null, timeout, maxAttempts, BACKOFF, MAX_BACKOFF, maxConcurrency, cacheSize,
        new JudgeSpec.CircuitBreaker(failureThreshold, Duration.ofSeconds(30)), JudgeSpec.Policy.REPLACE, 0.0, 1.0);
  }

  JudgeClient start(JudgeSpec.Protocol protocol, java.util.function.Function<JudgeTestServer.Request, Reply> responder,
      Duration timeout, int maxAttempts, int maxConcurrency, int cacheSize, int failureThreshold) throws Exception {
    server = new JudgeTestServer(responder);
    client = new JudgeClient(spec(protocol, server.url(), timeout, maxAttempts, maxConcurrency, cacheSize, failureThreshold),
        "sk-test-key", retries::add, breakerClock::get, new Random(7));
    return client;
  }

  JudgeClient start(JudgeSpec.Protocol protocol, java.util.function.Function<JudgeTestServer.Request, Reply> responder)
      throws Exception {
    return start(protocol, responder, Duration.ofSeconds(5), 3, 4, 100, 100);
  }

  static JudgeResult await(CompletableFuture<JudgeResult> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  // ---- protocols ----

  @Test
  void shouldScoreAResponseWithTheModerationEndpoint() throws Exception {
    start(JudgeSpec.Protocol.OPENAI_MODERATION,
        r -> Reply.ok(JudgeTestServer.moderation(true, Map.of("violence", 0.91, "harassment", 0.3))));

    JudgeResult result = await(client.judge("how do I hurt someone", "Here is how to hurt someone"));

    assertThat(result.outcome()).isEqualTo(JudgeOutcome.OK);
    assertThat(result.verdict().harm()).isEqualTo(0.91);
    assertThat(result.verdict().flagged()).isTrue();
    assertThat(result.verdict().categories()).containsExactly("violence");
    JudgeTestServer.Request request = server.requests().get(0);
    assertThat(request.path()).isEqualTo("/v1/moderations");
    assertThat(request.body().path("model").asText()).isEqualTo("omni-moderation-latest");
    assertThat(request.body().path("input").asText()).isEqualTo("Here is how to hurt someone");
    assertThat(request.authorization()).isEqualTo("Bearer sk-test-key");
  }

  @Test
  void shouldSendTheConversationToLlamaGuardAndReadItsCategories() throws Exception {
    start(JudgeSpec.Protocol.LLAMA_GUARD, r -> Reply.ok(JudgeTestServer.chat("\n\nunsafe\nS1,S10")));

    JudgeResult result = await(client.judge("the prompt", "the response"));

    assertThat(result.outcome()).isEqualTo(JudgeOutcome.OK);
    assertThat(result.verdict()).isEqualTo(new JudgeVerdict(1.0, true, List.of("S1", "S10")));
    JudgeTestServer.Request request = server.requests().get(0);
    assertThat(request.path()).isEqualTo("/v1/chat/completions");
    assertThat(request.body().path("model").asText()).isEqualTo("llama-guard-test");
    assertThat(request.body().path("messages").get(0).path("role").asText()).isEqualTo("user");
    assertThat(request.body().path("messages").get(0).path("content").asText()).isEqualTo("the prompt");
    assertThat(request.body().path("messages").get(1).path("role").asText()).isEqualTo("assistant");
    assertThat(request.body().path("messages").get(1).path("content").asText()).isEqualTo("the response");
  }

  @Test
  void shouldReadASafeLlamaGuardVerdictAsZeroHarm() throws Exception {
    start(JudgeSpec.Protocol.LLAMA_GUARD, r -> Reply.ok(JudgeTestServer.chat("safe")));
    assertThat(await(client.judge("p", "r")).verdict()).isEqualTo(new JudgeVerdict(0.0, false, List.of()));
  }

  // ---- failures ----

  @Test
  void shouldFallBackWithTimeoutWhenEveryAttemptIsTooSlow() throws Exception {
    // A timeout long against scheduling delays on a busy machine: the retry must still fit the budget.
    start(JudgeSpec.Protocol.OPENAI_MODERATION, r -> Reply.ok(SAFE_MODERATION).delayed(20_000),
        Duration.ofSeconds(1), 2, 4, 100, 100);

    JudgeResult result = await(client.judge("p", "r"));

    assertThat(result.outcome()).isEqualTo(JudgeOutcome.TIMEOUT);
    assertThat(result.verdict()).isNull();
    assertThat(server.requestCount()).isEqualTo(2);
    assertThat(retries).containsExactly(JudgeOutcome.TIMEOUT);
  }

  @Test
  void shouldRetryARateLimitedRequestAndSucceed() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    start(JudgeSpec.Protocol.OPENAI_MODERATION,
        r -> calls.incrementAndGet() == 1 ? Reply.status(429).withHeader("Retry-After", "1") : Reply.ok(SAFE_MODERATION));

    JudgeResult result = await(client.judge("p", "r"));

    assertThat(result.outcome()).isEqualTo(JudgeOutcome.OK);
    assertThat(result.verdict().harm()).isEqualTo(0.1);
    assertThat(server.requestCount()).isEqualTo(2);
    assertThat(retries).containsExactly(JudgeOutcome.RATE_LIMITED);
  }

  @Test
  void shouldHonourRetryAfterUpToTheCap() throws Exception {
    start(JudgeSpec.Protocol.OPENAI_MODERATION, r -> Reply.ok(SAFE_MODERATION));
    assertThat(client.backoff(1, Duration.ofMillis(30))).isEqualTo(Duration.ofMillis(30));
    assertThat(client.backoff(1, Duration.ofSeconds(120))).isEqualTo(MAX_BACKOFF);
  }

  @Test
  void shouldDoubleTheBackoffWithJitterUpToTheCap() throws Exception {
    start(JudgeSpec.Protocol.OPENAI_MODERATION, r -> Reply.ok(SAFE_MODERATION));
    for (int attempt = 1; attempt <= 8; attempt++) {
      long full = Math.min(MAX_BACKOFF.toNanos(), BACKOFF.toNanos() << (attempt - 1));
      assertThat(client.backoff(attempt, null).toNanos()).isBetween(full / 2, full);
    }
  }

  @Test
  void shouldGiveUpOnServerErrorsAfterMaxAttempts() throws Exception {
    start(JudgeSpec.Protocol.LLAMA_GUARD, r -> Reply.status(503));

    JudgeResult result = await(client.judge("p", "r"));

    assertThat(result.outcome()).isEqualTo(JudgeOutcome.SERVER_ERROR);
    assertThat(server.requestCount()).isEqualTo(3);
    assertThat(retries).containsExactly(JudgeOutcome.SERVER_ERROR, JudgeOutcome.SERVER_ERROR);
  }

  @ParameterizedTest
  @ValueSource(strings = {"not json", "[]", "{\"choices\":[]}", "{\"choices\":[{\"message\":{\"content\":42}}]}"})
  void shouldNotRetryAnUnreadableLlamaGuardAnswer(String body) throws Exception {
    start(JudgeSpec.Protocol.LLAMA_GUARD, r -> Reply.ok(body));

    assertThat(await(client.judge("p", "r")).outcome()).isEqualTo(JudgeOutcome.BAD_RESPONSE);
    assertThat(server.requestCount()).isEqualTo(1);
    assertThat(retries).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"maybe", "unsafe\nviolence", "safe\nS1", "unsafe\nS1\nextra", ""})
  void shouldRejectLlamaGuardVerdictsOutsideTheFormat(String content) throws Exception {
    start(JudgeSpec.Protocol.LLAMA_GUARD, r -> Reply.ok(JudgeTestServer.chat(content)));
    assertThat(await(client.judge("p", "r")).outcome()).isEqualTo(JudgeOutcome.BAD_RESPONSE);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"results\":[]}",
      "{\"results\":[{\"flagged\":\"yes\",\"category_scores\":{}}]}",
      "{\"results\":[{\"flagged\":true,\"category_scores\":{\"violence\":1.5}}]}",
      "{\"results\":[{\"flagged\":true,\"category_scores\":{\"violence\":\"high\"}}]}",
      "{\"results\":[{\"flagged\":true}]}"})
  void shouldRejectModerationAnswersOutsideTheFormat(String body) throws Exception {
    start(JudgeSpec.Protocol.OPENAI_MODERATION, r -> Reply.ok(body));
    assertThat(await(client.judge("p", "r")).outcome()).isEqualTo(JudgeOutcome.BAD_RESPONSE);
  }

  @Test
  void shouldNotRetryAnUnauthorisedRequest() throws Exception {
    start(JudgeSpec.Protocol.OPENAI_MODERATION, r -> Reply.status(401));

    assertThat(await(client.judge("p", "r")).outcome()).isEqualTo(JudgeOutcome.ERROR);
    assertThat(server.requestCount()).isEqualTo(1);
  }

  @Test
  void shouldRetryAndFallBackWhenTheServerIsUnreachable() throws Exception {
    start(JudgeSpec.Protocol.OPENAI_MODERATION, r -> Reply.ok(SAFE_MODERATION));
    String url = server.url();
    server.close();
    client.close();
    client = new JudgeClient(spec(JudgeSpec.Protocol.OPENAI_MODERATION, url, Duration.ofSeconds(2), 2, 4, 100, 100), null,
        retries::add, breakerClock::get, new Random(7));

    assertThat(await(client.judge("p", "r")).outcome()).isEqualTo(JudgeOutcome.ERROR);
    assertThat(retries).containsExactly(JudgeOutcome.ERROR);
  }

  // ---- circuit breaker ----

  @Test
  void shouldOpenTheCircuitAfterTheThresholdAndStopCallingTheJudge() throws Exception {
    start(JudgeSpec.Protocol.LLAMA_GUARD, r -> Reply.status(500), Duration.ofSeconds(5), 1, 4, 100, 3);

    for (int i = 0; i < 3; i++) {
      assertThat(await(client.judge("p", "r" + i)).outcome()).isEqualTo(JudgeOutcome.SERVER_ERROR);
    }
    assertThat(client.circuitState()).isEqualTo(CircuitBreaker.State.OPEN);
    for (int i = 0; i < 5; i++) {
      assertThat(await(client.judge("p", "later" + i)).outcome()).isEqualTo(JudgeOutcome.CIRCUIT_OPEN);
    }
    assertThat(server.requestCount()).isEqualTo(3);
  }

  @Test
  void shouldLetOneProbeThroughAfterTheCoolDownAndCloseWhenItSucceeds() throws Exception {
    start(JudgeSpec.Protocol.LLAMA_GUARD, r -> Reply.status(500), Duration.ofSeconds(5), 1, 4, 100, 2);
    await(client.judge("p", "a"));
    await(client.judge("p", "b"));
    assertThat(await(client.judge("p", "c")).outcome()).isEqualTo(JudgeOutcome.CIRCUIT_OPEN);

    server.respondWith(r -> Reply.ok(JudgeTestServer.chat("safe")));
    breakerClock.addAndGet(Duration.ofSeconds(29).toNanos());
    assertThat(await(client.judge("p", "d")).outcome()).isEqualTo(JudgeOutcome.CIRCUIT_OPEN);
    assertThat(server.requestCount()).isEqualTo(2);

    breakerClock.addAndGet(Duration.ofSeconds(1).toNanos());
    assertThat(await(client.judge("p", "e")).outcome()).isEqualTo(JudgeOutcome.OK);
    assertThat(client.circuitState()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(await(client.judge("p", "f")).outcome()).isEqualTo(JudgeOutcome.OK);
    assertThat(server.requestCount()).isEqualTo(4);
  }

  @Test
  void shouldReopenTheCircuitWhenTheProbeFails() throws Exception {
    start(JudgeSpec.Protocol.LLAMA_GUARD, r -> Reply.status(502), Duration.ofSeconds(5), 1, 4, 100, 2);
    await(client.judge("p", "a"));
    await(client.judge("p", "b"));
    breakerClock.addAndGet(Duration.ofSeconds(30).toNanos());

    assertThat(await(client.judge("p", "probe")).outcome()).isEqualTo(JudgeOutcome.SERVER_ERROR);
    assertThat(client.circuitState()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(await(client.judge("p", "after")).outcome()).isEqualTo(JudgeOutcome.CIRCUIT_OPEN);
    assertThat(server.requestCount()).isEqualTo(3);
  }

  @Test
  void shouldStopRetryingOnceTheCircuitOpens() throws Exception {
    start(JudgeSpec.Protocol.LLAMA_GUARD, r -> Reply.status(500), Duration.ofSeconds(5), 5, 4, 100, 2);

    assertThat(await(client.judge("p", "r")).outcome()).isEqualTo(JudgeOutcome.SERVER_ERROR);
    assertThat(server.requestCount()).isEqualTo(2);
  }

  // ---- cache and concurrency ----

  @Test
  void shouldAnswerARepeatFromTheCacheWithoutARequest() throws Exception {
    start(JudgeSpec.Protocol.OPENAI_MODERATION, r -> Reply.ok(SAFE_MODERATION));

    JudgeResult first = await(client.judge("p", "same response"));
    JudgeResult repeat = await(client.judge("p", "same response"));
    JudgeResult other = await(client.judge("p", "another response"));

    assertThat(first.outcome()).isEqualTo(JudgeOutcome.OK);
    assertThat(repeat.outcome()).isEqualTo(JudgeOutcome.CACHE_HIT);
    assertThat(repeat.verdict()).isEqualTo(first.verdict());
    assertThat(other.outcome()).isEqualTo(JudgeOutcome.OK);
    assertThat(server.requestCount()).isEqualTo(2);
  }

  @Test
  void shouldKeyTheModerationCacheByTheResponseAloneSinceThatIsAllItSees() throws Exception {
    start(JudgeSpec.Protocol.OPENAI_MODERATION, r -> Reply.ok(SAFE_MODERATION));
    await(client.judge("one prompt", "same response"));
    assertThat(await(client.judge("another prompt", "same response")).outcome()).isEqualTo(JudgeOutcome.CACHE_HIT);
  }

  @Test
  void shouldKeyTheLlamaGuardCacheByTheWholeConversation() throws Exception {
    start(JudgeSpec.Protocol.LLAMA_GUARD, r -> Reply.ok(JudgeTestServer.chat("safe")));
    await(client.judge("one prompt", "same response"));
    assertThat(await(client.judge("another prompt", "same response")).outcome()).isEqualTo(JudgeOutcome.OK);
    assertThat(server.requestCount()).isEqualTo(2);
  }

  @Test
  void shouldEvictTheLeastRecentlyUsedVerdict() throws Exception {
    start(JudgeSpec.Protocol.OPENAI_MODERATION, r -> Reply.ok(SAFE_MODERATION), Duration.ofSeconds(5), 1, 4, 2, 100);
    await(client.judge("p", "a"));
    await(client.judge("p", "b"));
    await(client.judge("p", "a")); // a is now the most recent
    await(client.judge("p", "c")); // evicts b

    assertThat(await(client.judge("p", "a")).outcome()).isEqualTo(JudgeOutcome.CACHE_HIT);
    assertThat(await(client.judge("p", "b")).outcome()).isEqualTo(JudgeOutcome.OK);
    assertThat(client.cachedVerdicts()).isEqualTo(2);
  }

  @Test
  void shouldNeverHaveMoreRequestsInFlightThanTheBound() throws Exception {
    start(JudgeSpec.Protocol.OPENAI_MODERATION, r -> Reply.ok(SAFE_MODERATION).delayed(300), Duration.ofSeconds(10), 1, 3, 0,
        100);

    List<CompletableFuture<JudgeResult>> calls = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      calls.add(client.judge("p", "response " + i));
    }
    for (CompletableFuture<JudgeResult> call : calls) {
      assertThat(await(call).outcome()).isEqualTo(JudgeOutcome.OK);
    }
    assertThat(server.requestCount()).isEqualTo(12);
    assertThat(server.maxInFlight()).isEqualTo(3);
  }
}
