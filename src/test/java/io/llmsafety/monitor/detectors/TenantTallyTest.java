package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class TenantTallyTest {

  @Test
  void ranksTenantsByPositivesThenEvents() {
    TenantTally t = new TenantTally();
    for (int i = 0; i < 100; i++) {
      t.add("acme", i < 3);
    }
    for (int i = 0; i < 30; i++) {
      t.add("new-tenant", i < 20);
    }
    t.add(null, true);
    t.add("quiet", false);
    assertThat(t.top(3)).containsExactly(
        new DetectorSignal.TenantShare("new-tenant", 30, 20),
        new DetectorSignal.TenantShare("acme", 100, 3),
        new DetectorSignal.TenantShare(null, 1, 1));
  }

  @Test
  void countsTenantsPastTheBoundTogetherAndCutsLongNames() {
    TenantTally t = new TenantTally();
    for (int i = 0; i < TenantTally.MAX_TENANTS + 10; i++) {
      t.add("t" + i, true);
    }
    t.add("t0", true);
    t.add("x".repeat(10_000), false);
    assertThat(t.top(100)).hasSize(TenantTally.MAX_TENANTS + 1)
        .contains(new DetectorSignal.TenantShare("(others)", 11, 10))
        .contains(new DetectorSignal.TenantShare("t0", 2, 2));
    TenantTally small = new TenantTally();
    small.add("x".repeat(10_000), false);
    assertThat(small.top(1).get(0).tenant()).hasSize(TenantTally.MAX_NAME_CHARS);
  }

  @Test
  void roundTripsAndRejectsACorruptCount() throws IOException {
    TenantTally t = new TenantTally();
    t.add("a", true);
    t.add(null, false);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    t.writeTo(new DataOutputStream(bytes));
    TenantTally restored = new TenantTally();
    restored.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    assertThat(restored.top(5)).isEqualTo(t.top(5));

    byte[] corrupt = {0, 0, 1, 0};
    assertThatThrownBy(() -> new TenantTally().readFrom(new DataInputStream(new ByteArrayInputStream(corrupt))))
        .isInstanceOf(IOException.class).hasMessageContaining("256 tenants");
  }
}
