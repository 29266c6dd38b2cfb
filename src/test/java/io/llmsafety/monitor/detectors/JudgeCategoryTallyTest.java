package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmsafety.monitor.detectors.DetectorSignal.JudgeCategoryCount;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class JudgeCategoryTallyTest {

  @Test
  void shouldRankByCountThenCodeAndReportAtMostTheTop() {
    JudgeCategoryTally t = new JudgeCategoryTally();
    for (int i = 0; i < 12; i++) {
      t.add(new String[] {"S1"});
    }
    t.add(new String[] {"S10", "S2"});
    t.add(new String[] {"S10", "S2", "S9", "S11", "S3"});
    t.add(new String[] {"S10"});
    t.add(null);
    assertThat(t.top()).containsExactly(new JudgeCategoryCount("S1", 12), new JudgeCategoryCount("S10", 3),
        new JudgeCategoryCount("S2", 2), new JudgeCategoryCount("S11", 1), new JudgeCategoryCount("S3", 1));
    assertThat(JudgeCategoryTally.TOP).isEqualTo(5);
  }

  @Test
  void shouldCountCodesBeyondTheBoundAndImplausibleOnesAsOther() throws IOException {
    JudgeCategoryTally t = new JudgeCategoryTally();
    for (int i = 0; i < 40; i++) {
      t.add(new String[] {String.format("c%02d", i)});
    }
    t.add(new String[] {"c00", "c39", "not a code", "_other"});
    // 32 codes by name; c32..c39 (8), c39 again, the prose and the reserved name go to _other.
    assertThat(t.top()).first().isEqualTo(new JudgeCategoryCount(JudgeCategoryTally.OTHER, 11));
    assertThat(t.top()).element(1).isEqualTo(new JudgeCategoryCount("c00", 2));
    byte[] bytes = bytes(t);
    // Bounded whatever the judge invents: 32 names of at most 48 characters and their counts.
    assertThat(bytes.length).isLessThan(4 + JudgeCategoryTally.MAX_DISTINCT * (2 + 48 + 8) + 8);
    for (int i = 0; i < 1000; i++) {
      t.add(new String[] {"new" + i});
    }
    assertThat(bytes(t).length).isEqualTo(bytes.length);
  }

  @Test
  void shouldRoundTripAndRejectCorruptState() throws IOException {
    JudgeCategoryTally t = new JudgeCategoryTally();
    t.add(new String[] {"violence", "self-harm/intent"});
    t.add(new String[] {"violence", "bad code"});
    JudgeCategoryTally back = new JudgeCategoryTally();
    back.readFrom(new DataInputStream(new ByteArrayInputStream(bytes(t))));
    assertThat(back.top()).isEqualTo(t.top());
    assertThat(bytes(back)).isEqualTo(bytes(t));

    t.clear();
    assertThat(t.isEmpty()).isTrue();
    assertThat(t.top()).isEmpty();

    ByteArrayOutputStream forged = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(forged);
    out.writeInt(1);
    out.writeUTF("<script>");
    out.writeLong(3);
    out.writeLong(0);
    assertThatThrownBy(() -> new JudgeCategoryTally().readFrom(new DataInputStream(new ByteArrayInputStream(forged.toByteArray()))))
        .isInstanceOf(IOException.class).hasMessageContaining("corrupt judge category state");
  }

  private static byte[] bytes(JudgeCategoryTally t) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    t.writeTo(new DataOutputStream(bytes));
    return bytes.toByteArray();
  }
}
