package io.llmsafety.monitor.jobs.config;

import java.io.Serializable;

/**
 * How much of a variant's own early traffic forms its reference baseline before drift tests arm.
 *
 * @param referenceRiskyEvents risky-prompt events needed for the refusal baseline
 * @param referenceEvents events needed for the harm baseline
 */
public record BaselineSpec(int referenceRiskyEvents, int referenceEvents) implements Serializable {}
