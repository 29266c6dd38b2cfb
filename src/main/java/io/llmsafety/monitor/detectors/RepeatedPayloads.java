package io.llmsafety.monitor.detectors;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Backdoor sign 4(c): near-identical harmful responses ({@link PayloadFingerprint}) to many
 * different prompts, as a backdoor that emits a fixed payload (a link, a script, a slogan) leaves.
 * Bounded: at most {@link #MAX_CLUSTERS} payload clusters per variant, the least seen evicted first.
 *
 * <p>Only harmful responses count, so fixed refusals ("I'm sorry, I can't help with that"), which
 * healthy models repeat all day, never do; prompts are counted distinct by hash, so one prompt
 * asked again (and answered the same) is one. {@link BackdoorWatch} feeds only harmful answers to
 * benign prompts that the refusal scorer does not call refusals: a fixed payload fires whatever
 * the request, and most requests are benign, while on risky prompts canned refusals and
 * disclaimers that the scorers misjudge as harmful repeat legitimately (the evaluation's healthy
 * support variant gives one soft XSTest refusal to 13 distinct risky prompts a day). A payload that already reached two distinct prompts
 * within the variant's first {@code referenceEvents} events is part of its baseline (a template the
 * model had from the start) and never alarms; so a payload backdoor already active in the
 * variant's first traffic is left to the trigger miner.
 *
 * <p>False alarms: outside the baseline, an alarm needs {@code minDistinctPrompts} hash-distinct
 * prompts whose harmful answers agree on at least 61 of 64 SimHash bits. For texts that are not
 * near-identical that happens with probability about 2.4e-15 per pair ({@link PayloadFingerprint}),
 * so a false alarm needs a harm-scorer error repeated on the same text across prompts, not chance.
 * Detection: after the payload's {@code minDistinctPrompts}-th distinct prompt.
 */
public final class RepeatedPayloads {

  private static final byte VERSION = 1;
  static final int MAX_CLUSTERS = 64;

  /**
   * @param minDistinctPrompts distinct prompts with the same harmful payload before it is reported
   * @param referenceEvents the variant's first events, in which repeats count as its baseline
   */
  public record Settings(boolean enabled, int minDistinctPrompts, long referenceEvents) implements Serializable {

    public Settings {
      if (enabled && minDistinctPrompts < 2) {
        throw new IllegalArgumentException("repeated_payload.min_prompts must be >= 2, got " + minDistinctPrompts);
      }
    }

    public static Settings disabled() {
      return new Settings(false, 5, 1000);
    }
  }

  /** A payload that reached the threshold. */
  record Flagged(long payloadHash, long count, int distinctPrompts, List<String> eventIds) {}

  private static final class Cluster {
    long hash;
    long count;
    boolean baseline;
    long lastSeen;
    long[] prompts = new long[0];
    String[] ids = new String[0];
  }

  private final Settings settings;
  private final List<Cluster> clusters = new ArrayList<>();
  private long events;

  RepeatedPayloads(Settings settings) {
    this.settings = settings;
  }

  Settings settings() {
    return settings;
  }

  /**
   * Adds one event. Returns the payload cluster when this event is a harmful response whose
   * payload is (now or already) past the threshold and not part of the baseline, else null.
   */
  Flagged observe(boolean harmful, long responseHash, long promptHash, String eventId) {
    if (!settings.enabled()) {
      return null;
    }
    events++;
    if (!harmful || responseHash == PayloadFingerprint.NONE) {
      return null;
    }
    Cluster c = find(responseHash);
    if (c == null) {
      if (clusters.size() >= MAX_CLUSTERS) {
        evict();
      }
      c = new Cluster();
      c.hash = responseHash;
      clusters.add(c);
    }
    c.count++;
    c.lastSeen = events;
    boolean newPrompt = Arrays.stream(c.prompts).noneMatch(p -> p == promptHash);
    if (newPrompt && c.prompts.length < settings.minDistinctPrompts()) {
      c.prompts = Arrays.copyOf(c.prompts, c.prompts.length + 1);
      c.prompts[c.prompts.length - 1] = promptHash;
      c.ids = Arrays.copyOf(c.ids, c.ids.length + 1);
      c.ids[c.ids.length - 1] = eventId;
    }
    if (events <= settings.referenceEvents() && c.prompts.length >= 2) {
      c.baseline = true;
    }
    if (c.baseline || c.prompts.length < settings.minDistinctPrompts()) {
      return null;
    }
    return new Flagged(c.hash, c.count, c.prompts.length, List.of(c.ids));
  }

  private Cluster find(long hash) {
    for (Cluster c : clusters) {
      if (PayloadFingerprint.nearIdentical(c.hash, hash)) {
        return c;
      }
    }
    return null;
  }

  /** Evicts the cluster with the fewest distinct prompts, least recently seen first; baseline ones last. */
  private void evict() {
    Cluster victim = null;
    for (Cluster c : clusters) {
      if (victim == null || rank(c) < rank(victim)) {
        victim = c;
      }
    }
    clusters.remove(victim);
  }

  private static double rank(Cluster c) {
    return (c.baseline ? 1e6 : 0) + c.prompts.length * 1e3 + c.lastSeen / 1e15;
  }

  void clear() {
    clusters.clear();
    events = 0;
  }

  void writeTo(DataOutput out) throws IOException {
    out.writeByte(VERSION);
    out.writeLong(events);
    out.writeInt(clusters.size());
    for (Cluster c : clusters) {
      out.writeLong(c.hash);
      out.writeLong(c.count);
      out.writeBoolean(c.baseline);
      out.writeLong(c.lastSeen);
      out.writeInt(c.prompts.length);
      for (int i = 0; i < c.prompts.length; i++) {
        out.writeLong(c.prompts[i]);
        out.writeUTF(c.ids[i]);
      }
    }
  }

  static RepeatedPayloads readFrom(DataInput in, Settings settings) throws IOException {
    byte version = in.readByte();
    if (version != VERSION) {
      throw new IOException("unknown RepeatedPayloads version " + version);
    }
    RepeatedPayloads r = new RepeatedPayloads(settings);
    r.events = in.readLong();
    int n = in.readInt();
    if (n < 0 || n > MAX_CLUSTERS) {
      throw new IOException("corrupt RepeatedPayloads state: " + n + " clusters");
    }
    for (int i = 0; i < n; i++) {
      Cluster c = new Cluster();
      c.hash = in.readLong();
      c.count = in.readLong();
      c.baseline = in.readBoolean();
      c.lastSeen = in.readLong();
      int k = in.readInt();
      if (k < 0 || k > 1000) {
        throw new IOException("corrupt RepeatedPayloads state: " + k + " prompts");
      }
      c.prompts = new long[k];
      c.ids = new String[k];
      for (int j = 0; j < k; j++) {
        c.prompts[j] = in.readLong();
        c.ids[j] = in.readUTF();
      }
      r.clusters.add(c);
    }
    return r;
  }
}
