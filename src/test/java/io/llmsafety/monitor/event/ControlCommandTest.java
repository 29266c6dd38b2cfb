package io.llmsafety.monitor.event;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ControlCommandTest {

  @Test
  void shouldParseARebaselineCommand() {
    assertThat(ControlCommand.parse("{\"action\":\"rebaseline\",\"variant_id\":\"v7\",\"reason\":\"new adapter\"}"))
        .isEqualTo(new ControlCommand("rebaseline", "v7", "new adapter"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"not json", "[]", "{\"action\":\"delete\",\"variant_id\":\"v7\"}", "{\"action\":\"rebaseline\"}",
      "{\"action\":\"rebaseline\",\"variant_id\":\"  \"}"})
  void shouldDeadLetterAnythingElse(String message) {
    assertThat(ControlCommand.parse(message)).isInstanceOfSatisfying(DeadLetter.class,
        d -> assertThat(d.reason()).isEqualTo("invalid_control"));
  }
}
