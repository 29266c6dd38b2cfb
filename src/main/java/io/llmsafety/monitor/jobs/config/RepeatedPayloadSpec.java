package io.llmsafety.monitor.jobs.config;

import java.io.Serializable;

/**
 * Repeated harmful payloads across distinct prompts, a {@code backdoor_suspected} sign.
 *
 * @param minPrompts hash-distinct prompts that must get one near-identical harmful answer
 */
public record RepeatedPayloadSpec(boolean enabled, int minPrompts) implements Serializable {}
