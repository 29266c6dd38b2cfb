package io.llmsafety.monitor.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CountMinSketchTest {

  @Test
  void emptySketchEstimatesZero() {
    CountMinSketch sketch = CountMinSketch.create(64, 3, 1);
    assertThat(sketch.estimate("anything")).isZero();
    assertThat(sketch.errorBound()).isZero();
  }

  @Test
  void neverUnderCountsAndStaysWithinTheErrorBound() {
    CountMinSketch sketch = CountMinSketch.create(1024, 4, 9);
    Random random = new Random(17);
    Map<String, Integer> truth = new HashMap<>();
    for (int i = 0; i < 50_000; i++) {
      // Zipf-like: a few heavy items and a long tail.
      String item = "w" + (int) Math.floor(Math.pow(20_000, random.nextDouble()));
      truth.merge(item, 1, Integer::sum);
      sketch.update(item);
    }
    long bound = sketch.errorBound();
    int withinBound = 0;
    for (Map.Entry<String, Integer> e : truth.entrySet()) {
      long estimate = sketch.estimate(e.getKey());
      assertThat(estimate).isGreaterThanOrEqualTo(e.getValue());
      if (estimate - e.getValue() <= bound) {
        withinBound++;
      }
    }
    // Per item the bound fails with probability at most e^-4 (1.8%).
    assertThat((double) withinBound / truth.size()).isGreaterThanOrEqualTo(1 - Math.exp(-4));
  }

  @ParameterizedTest(name = "updates={0}")
  @CsvSource({"0", "1", "5000"})
  void roundTripsThroughBytes(int updates) {
    CountMinSketch sketch = CountMinSketch.create(256, 4, 3);
    for (int i = 0; i < updates; i++) {
      sketch.update("x" + (i % 97));
    }
    byte[] bytes = sketch.toByteArray();
    assertThat(bytes).hasSize(CountMinSketch.serializedBytes(256, 4));
    CountMinSketch copy = CountMinSketch.heapify(bytes);
    assertThat(copy).usingRecursiveComparison().isEqualTo(sketch);
  }

  @ParameterizedTest
  @CsvSource({"100, 4", "8, 4", "1024, 0", "1024, 17"})
  void rejectsInvalidDimensions(int width, int depth) {
    assertThatThrownBy(() -> CountMinSketch.create(width, depth, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectsUnknownSerialVersion() {
    byte[] bytes = CountMinSketch.create(16, 1, 0).toByteArray();
    bytes[0] = 42;
    assertThatThrownBy(() -> CountMinSketch.heapify(bytes))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("version 42");
  }
}
