package io.llmsafety.monitor.jobs.config;

import java.io.Serializable;

/**
 * Refusal triggers, a {@code backdoor_suspected} sign: refusals of ordinary requests concentrated
 * on a rare prompt n-gram (the backdoor miner's second outcome).
 *
 * @param maxPromptRisk a refusal counts only when its prompt's risk is below this: the level of
 *     ordinary requests under the prompt-risk scores in use (about their 90th percentile), so that
 *     refusals of benign prompts that sound risky, which careful models refuse for their wording,
 *     are left to {@code over_refusal}
 */
public record RefusalTriggerSpec(boolean enabled, double maxPromptRisk) implements Serializable {}
