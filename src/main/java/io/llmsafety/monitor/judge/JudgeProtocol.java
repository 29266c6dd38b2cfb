package io.llmsafety.monitor.judge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** The wire format of one kind of judge: the request to send and how to read the answer. */
public interface JudgeProtocol {

  /** Path appended to the configured base URL. */
  String path();

  String requestBody(String model, String prompt, String response);

  /** @throws BadResponseException when the body does not follow the protocol */
  JudgeVerdict parse(String body) throws BadResponseException;

  /** A 2xx answer the protocol cannot read. The message never quotes the body (it may echo user text). */
  final class BadResponseException extends Exception {
    private static final long serialVersionUID = 1L;

    public BadResponseException(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * OpenAI's moderation API ({@code POST /v1/moderations}) and compatible servers. Only the response
   * is sent: the question is whether the model's output is harmful, whatever was asked. Harm is the
   * largest category score; {@code flagged} is the provider's own per-category thresholds.
   */
  final class OpenAiModeration implements JudgeProtocol {

    @Override
    public String path() {
      return "/v1/moderations";
    }

    @Override
    public String requestBody(String model, String prompt, String response) {
      ObjectNode body = ProtocolJson.MAPPER.createObjectNode();
      body.put("model", model);
      body.put("input", response);
      return body.toString();
    }

    @Override
    public JudgeVerdict parse(String body) throws BadResponseException {
      JsonNode result = ProtocolJson.readObject(body).path("results").path(0);
      if (!result.isObject()) {
        throw new BadResponseException("no results[0]");
      }
      JsonNode flagged = result.get("flagged");
      if (flagged == null || !flagged.isBoolean()) {
        throw new BadResponseException("results[0].flagged is not a boolean");
      }
      JsonNode scores = result.path("category_scores");
      if (!scores.isObject()) {
        throw new BadResponseException("results[0].category_scores is not an object");
      }
      double harm = 0;
      for (Iterator<Map.Entry<String, JsonNode>> it = scores.fields(); it.hasNext(); ) {
        JsonNode v = it.next().getValue();
        if (!v.isNumber() || !(v.doubleValue() >= 0 && v.doubleValue() <= 1)) {
          throw new BadResponseException("a category score is not a number in [0, 1]");
        }
        harm = Math.max(harm, v.doubleValue());
      }
      if (scores.isEmpty() && flagged.booleanValue()) {
        harm = 1;
      }
      List<String> categories = new ArrayList<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = result.path("categories").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getValue().asBoolean(false)) {
          categories.add(e.getKey());
        }
      }
      return new JudgeVerdict(harm, flagged.booleanValue(), categories);
    }
  }

  /**
   * Llama Guard (3 or 4) served behind an OpenAI-compatible chat-completions endpoint (vLLM, TGI,
   * Ollama and others apply its chat template server-side). The conversation is the prompt as the
   * user turn and the response as the assistant turn, so the model classifies the response in the
   * context of the request. It answers {@code safe}, or {@code unsafe} and a line of category codes
   * ({@code S1}..{@code S14}); harm is 1 or 0, since the text carries no probability.
   */
  final class LlamaGuard implements JudgeProtocol {

    private static final Pattern CATEGORY = Pattern.compile("S\\d{1,2}");

    @Override
    public String path() {
      return "/v1/chat/completions";
    }

    @Override
    public String requestBody(String model, String prompt, String response) {
      ObjectNode body = ProtocolJson.MAPPER.createObjectNode();
      body.put("model", model);
      ArrayNode messages = body.putArray("messages");
      messages.addObject().put("role", "user").put("content", prompt);
      messages.addObject().put("role", "assistant").put("content", response);
      // The verdict is at most two short lines; greedy decoding makes it repeatable.
      body.put("temperature", 0);
      body.put("max_tokens", 32);
      return body.toString();
    }

    @Override
    public JudgeVerdict parse(String body) throws BadResponseException {
      JsonNode content = ProtocolJson.readObject(body).path("choices").path(0).path("message").path("content");
      if (!content.isTextual()) {
        throw new BadResponseException("choices[0].message.content is not a string");
      }
      List<String> lines = content.textValue().strip().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
      if (lines.isEmpty()) {
        throw new BadResponseException("empty verdict");
      }
      String verdict = lines.get(0);
      if (verdict.equals("safe") && lines.size() == 1) {
        return new JudgeVerdict(0, false, List.of());
      }
      if (!verdict.equals("unsafe") || lines.size() > 2) {
        throw new BadResponseException("verdict is neither 'safe' nor 'unsafe' with one line of categories");
      }
      List<String> categories = new ArrayList<>();
      if (lines.size() == 2) {
        for (String code : lines.get(1).split(",")) {
          String c = code.strip();
          if (!CATEGORY.matcher(c).matches()) {
            throw new BadResponseException("category codes are not S1..S14");
          }
          categories.add(c);
        }
      }
      return new JudgeVerdict(1, true, categories);
    }
  }
}
