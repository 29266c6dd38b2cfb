/**
 * Frozen copies of the built-in scorers as they were before the allocation-free hot path (commit
 * 86698e0; refusal v2's {@code LinearRefusalScorer}, {@code RefusalModel} and {@code RefusalText}
 * as merged at 5849a7d, before their own hot-path work), kept only as the reference that {@code ScorerEquivalenceTest} compares the production
 * scorers with: the shipped model files were trained on exactly these features, so the optimised
 * code must give bit-identical scores. Not to be edited except to follow a deliberate change of
 * features (which would also need retrained models).
 */
package io.llmsafety.monitor.detectors.reference;
