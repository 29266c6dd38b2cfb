package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class RecentHashesTest {

  @Test
  void remembersEachHashOnceAndForgetsTheOldestBeyondCapacity() {
    RecentHashes r = new RecentHashes(3);
    assertThat(r.add(1)).isTrue();
    assertThat(r.add(2)).isTrue();
    assertThat(r.add(1)).isFalse();
    assertThat(r.add(3)).isTrue();
    assertThat(r.add(4)).isTrue();
    assertThat(r.size()).isEqualTo(3);
    assertThat(r.contains(1)).isFalse();
    assertThat(r.contains(2)).isTrue();
    assertThat(r.contains(4)).isTrue();
    // A forgotten hash is new again.
    assertThat(r.add(1)).isTrue();
    assertThat(r.contains(2)).isFalse();
  }

  @Test
  void roundTripsInOrderSoEvictionContinuesIdentically() throws IOException {
    RecentHashes r = new RecentHashes(4);
    for (long h = 10; h < 16; h++) {
      r.add(h);
    }
    RecentHashes copy = roundTrip(r, 4);
    assertThat(copy.size()).isEqualTo(4);
    assertThat(copy.capacity()).isEqualTo(4);
    copy.add(99);
    r.add(99);
    for (long h = 10; h < 16; h++) {
      assertThat(copy.contains(h)).as("hash %d", h).isEqualTo(r.contains(h));
    }
    assertThat(copy.contains(12)).isFalse();
    assertThat(copy.contains(13)).isTrue();
  }

  @Test
  void rejectsBadCapacityAndCorruptState() throws IOException {
    assertThatThrownBy(() -> new RecentHashes(0)).hasMessageContaining("capacity");
    RecentHashes r = new RecentHashes(8);
    r.add(1);
    assertThatThrownBy(() -> roundTrip(r, 4)).isInstanceOf(IOException.class).hasMessageContaining("capacity 8");
  }

  private static RecentHashes roundTrip(RecentHashes r, int maxCapacity) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    r.writeTo(new DataOutputStream(bytes));
    return RecentHashes.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), maxCapacity);
  }
}
