package io.llmsafety.monitor.event;

/**
 * The completed reference window of one rate test of a base model served as itself, passed to the
 * variants fine-tuned from it (baseline source {@code base_model}). Internal: it never comes from or
 * goes to a Kafka topic. Flink POJO (record).
 *
 * @param kind the alert kind of the rate test, e.g. {@code refusal_drop}
 * @param completedAt event time of the event that completed the window; the baseline applies to the
 *     receiving variant's events after it
 * @param n observations in the window
 * @param positives observations the test counts, in the test's own terms (compliance for refusal_drop)
 */
public record BaseModelBaseline(String baseModel, String kind, long completedAt, long n, long positives) {}
