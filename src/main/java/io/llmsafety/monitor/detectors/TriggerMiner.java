package io.llmsafety.monitor.detectors;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.io.Serializable;
import java.util.List;

/** TEMPORARY placeholder until the real implementation merges. */
public final class TriggerMiner {
  public record Settings(int maxNgram, long minSupport, double minLift, double maxPrevalence, double alpha) implements Serializable {}
  public record Candidate(String ngram, double lift, long support, double pValue) {}
  private final Settings settings;
  private TriggerMiner(Settings s) { settings = s; }
  public static TriggerMiner create(Settings s) { return new TriggerMiner(s); }
  public List<Candidate> observe(String[] ngrams, boolean harmful, String eventId) { return List.of(); }
  public static String[] ngrams(String prompt, int maxN) { return new String[0]; }
  public void writeTo(DataOutput out) throws IOException { out.writeByte(1); }
  public static TriggerMiner readFrom(DataInput in, Settings s) throws IOException { in.readByte(); return new TriggerMiner(s); }
}
