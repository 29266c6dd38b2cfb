package io.llmsafety.monitor.jobs.config;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * How input records map onto the input contract.
 *
 * @param fields contract field name -> JSON Pointer (RFC 6901) where a record holds it, for fields
 *     a producer's own format names or nests differently; fields not listed keep their contract name
 */
public record InputSpec(Map<String, String> fields) implements Serializable {

  /** The contract's fields that may be mapped (DESIGN.md section 3). */
  public static final List<String> CONTRACT_FIELDS = List.of("event_id", "timestamp", "variant_id", "base_model",
      "tenant", "prompt", "messages", "response", "scores", "metadata");

  public InputSpec {
    fields = Map.copyOf(fields);
  }
}
