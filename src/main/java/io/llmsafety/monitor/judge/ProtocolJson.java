package io.llmsafety.monitor.judge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

final class ProtocolJson {

  static final ObjectMapper MAPPER = new ObjectMapper();

  private ProtocolJson() {}

  static JsonNode readObject(String body) throws JudgeProtocol.BadResponseException {
    try {
      JsonNode root = MAPPER.readTree(body);
      if (root == null || !root.isObject()) {
        throw new JudgeProtocol.BadResponseException("not a JSON object");
      }
      return root;
    } catch (JsonProcessingException e) {
      throw new JudgeProtocol.BadResponseException("not JSON");
    }
  }
}
