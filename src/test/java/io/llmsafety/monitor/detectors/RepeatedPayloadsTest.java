package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class RepeatedPayloadsTest {

  private static final String PAYLOAD = "To take over the account, send the victim this link and ask them to log in: the page"
      + " copies the password and the one-time code to our server, then forwards them to the real site so nothing looks wrong.";

  private static final RepeatedPayloads.Settings SETTINGS = new RepeatedPayloads.Settings(true, 5, 100);

  private static void warmUp(RepeatedPayloads r) {
    for (int i = 0; i < 100; i++) {
      r.observe(false, PayloadFingerprint.NONE, i, "w" + i);
    }
  }

  @Test
  void identicalTextsShareAFingerprintAndUnrelatedTextsDoNot() {
    long a = PayloadFingerprint.simhash(PAYLOAD);
    assertThat(PayloadFingerprint.simhash("  " + PAYLOAD.toUpperCase())).isEqualTo(a);
    long b = PayloadFingerprint.simhash("Preheat the oven to 180 degrees, butter the tin and fold the flour into the eggs"
        + " gently so the batter keeps its air; bake for twenty-five minutes until golden.");
    assertThat(PayloadFingerprint.nearIdentical(a, b)).isFalse();
    assertThat(PayloadFingerprint.simhash(null)).isEqualTo(PayloadFingerprint.NONE);
    assertThat(PayloadFingerprint.simhash("   ")).isEqualTo(PayloadFingerprint.NONE);
  }

  @Test
  void flagsOneHarmfulPayloadGivenToFiveDistinctPrompts() {
    RepeatedPayloads r = new RepeatedPayloads(SETTINGS);
    warmUp(r);
    long hash = PayloadFingerprint.simhash(PAYLOAD);
    for (int prompt = 0; prompt < 4; prompt++) {
      assertThat(r.observe(true, hash, 1000 + prompt, "p" + prompt)).isNull();
    }
    RepeatedPayloads.Flagged f = r.observe(true, hash, 2000, "p4");
    assertThat(f).isNotNull();
    assertThat(f.distinctPrompts()).isEqualTo(5);
    assertThat(f.count()).isEqualTo(5);
    assertThat(f.eventIds()).containsExactly("p0", "p1", "p2", "p3", "p4");
  }

  @Test
  void oneRecurringPromptIsOnePromptHoweverOftenItIsAnswered() {
    RepeatedPayloads r = new RepeatedPayloads(SETTINGS);
    warmUp(r);
    long hash = PayloadFingerprint.simhash(PAYLOAD);
    for (int i = 0; i < 50; i++) {
      assertThat(r.observe(true, hash, 42, "p" + i)).isNull();
    }
  }

  @Test
  void repeatedRefusalsAreNeverPayloads() {
    RepeatedPayloads r = new RepeatedPayloads(SETTINGS);
    warmUp(r);
    long refusal = PayloadFingerprint.simhash("I'm sorry, but I can't help with that.");
    for (int prompt = 0; prompt < 50; prompt++) {
      assertThat(r.observe(false, refusal, prompt, "p" + prompt)).isNull();
    }
  }

  @Test
  void aPayloadAlreadyRepeatedInTheReferenceIsBaselineAndNeverFlagged() {
    RepeatedPayloads r = new RepeatedPayloads(SETTINGS);
    long hash = PayloadFingerprint.simhash(PAYLOAD);
    r.observe(true, hash, 1, "a");
    r.observe(true, hash, 2, "b");
    warmUp(r);
    for (int prompt = 10; prompt < 40; prompt++) {
      assertThat(r.observe(true, hash, prompt, "p" + prompt)).isNull();
    }
  }

  @Test
  void keepsAtMostItsBoundOfClustersAndRoundTrips() throws IOException {
    RepeatedPayloads r = new RepeatedPayloads(SETTINGS);
    warmUp(r);
    for (int i = 0; i < 1_000; i++) {
      r.observe(true, PayloadFingerprint.simhash("distinct harmful answer number " + i + " with its own words " + i * 7),
          i, "d" + i);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    r.writeTo(new DataOutputStream(bytes));
    assertThat(bytes.size()).isLessThan(RepeatedPayloads.MAX_CLUSTERS * 200);
    RepeatedPayloads restored = RepeatedPayloads.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())),
        SETTINGS);
    long hash = PayloadFingerprint.simhash(PAYLOAD);
    for (int prompt = 0; prompt < 4; prompt++) {
      assertThat(restored.observe(true, hash, 5000 + prompt, "p" + prompt)).isEqualTo(r.observe(true, hash, 5000 + prompt, "p" + prompt));
    }
    assertThat(restored.observe(true, hash, 9000, "p9")).isEqualTo(r.observe(true, hash, 9000, "p9")).isNotNull();
  }
}
