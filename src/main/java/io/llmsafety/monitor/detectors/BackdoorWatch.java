package io.llmsafety.monitor.detectors;

import io.llmsafety.monitor.event.ScoredEvent;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Backdoor-activation alarm for one variant: fires when a {@link TriggerMiner} finds a prompt
 * n-gram that concentrates harmful answers, and resolves after {@code quietMillis} of event time
 * with no further harmful answer carrying a flagged n-gram. The false-alarm guarantee is the
 * miner's (Bonferroni-corrected binomial tail at {@code alpha}).
 *
 * <p>One miner per prompt segment: harmful answers cluster on harmful topics ("bomb", "malware")
 * whenever a model's refusals are imperfect, so mining risky and benign prompts together would
 * report topic words as triggers. Within the risky segment the background is the variant's normal
 * failure rate on risky prompts; a trigger stands out against it, a topic word does not.
 */
public final class BackdoorWatch {

  private static final byte VERSION = 1;
  private static final int MAX_CANDIDATES = 5;

  private final VariantMonitor.BackdoorSettings settings;
  private final int maxEvidence;
  private final TriggerMiner riskyMiner;
  private final TriggerMiner benignMiner;
  private boolean firing;
  private long lastFlaggedAt = Long.MIN_VALUE;
  private long harmfulEvents;
  private long events;
  private final ArrayDeque<String> evidenceIds = new ArrayDeque<>();
  private final ArrayDeque<String> evidenceTexts = new ArrayDeque<>();
  private List<TriggerMiner.Candidate> lastCandidates = List.of();

  BackdoorWatch(VariantMonitor.BackdoorSettings settings, int maxEvidence) {
    this(settings, maxEvidence, TriggerMiner.create(segmentSettings(settings.miner())),
        TriggerMiner.create(segmentSettings(settings.miner())));
  }

  /**
   * A trigger is rare in the variant's traffic but not within the small risky segment, so the
   * prevalence limit is applied here against all events, not inside each segment's miner.
   */
  private static TriggerMiner.Settings segmentSettings(TriggerMiner.Settings s) {
    return new TriggerMiner.Settings(s.maxNgram(), s.minSupport(), s.minLift(), 1.0, s.alpha(), s.backgroundFloor(),
        s.topK(), s.countMinWidth(), s.countMinDepth(), s.harmfulMapSize(), s.hllLgK(), s.evidenceIds());
  }

  private BackdoorWatch(VariantMonitor.BackdoorSettings settings, int maxEvidence, TriggerMiner riskyMiner,
      TriggerMiner benignMiner) {
    this.settings = settings;
    this.maxEvidence = maxEvidence;
    this.riskyMiner = riskyMiner;
    this.benignMiner = benignMiner;
  }

  public boolean firing() {
    return firing;
  }

  /** Ends any open episode (returning its resolved signal) and forgets the candidates. */
  DetectorSignal reset(long eventTime, String variantId) {
    DetectorSignal resolved = firing ? signal(false, eventTime, variantId) : null;
    clear();
    return resolved;
  }

  private void clear() {
    firing = false;
    lastFlaggedAt = Long.MIN_VALUE;
    evidenceIds.clear();
    evidenceTexts.clear();
    lastCandidates = List.of();
  }

  DetectorSignal observe(ScoredEvent e, String text, String variantId) {
    if (!settings.enabled()) {
      return null;
    }
    events++;
    harmfulEvents += e.harmful() ? 1 : 0;
    String[] ngrams = e.promptNgrams() == null ? new String[0] : e.promptNgrams();
    TriggerMiner miner = e.risky() ? riskyMiner : benignMiner;
    List<TriggerMiner.Candidate> ranking = miner.observe(ngrams, e.harmful(), e.eventId());
    if (!e.harmful()) {
      return null;
    }
    List<TriggerMiner.Candidate> flagged = new ArrayList<>();
    boolean carriesFlagged = false;
    for (TriggerMiner.Candidate c : ranking) {
      if ((double) c.exposures() / events <= settings.miner().maxPrevalence()) {
        flagged.add(c);
        carriesFlagged |= c.evidenceEventIds().contains(e.eventId());
      }
    }
    if (!carriesFlagged) {
      return null;
    }
    lastFlaggedAt = e.timestamp();
    remember(e.eventId(), text);
    lastCandidates = flagged.size() > MAX_CANDIDATES ? List.copyOf(flagged.subList(0, MAX_CANDIDATES)) : List.copyOf(flagged);
    if (firing) {
      return null;
    }
    firing = true;
    return signal(true, e.timestamp(), variantId);
  }

  DetectorSignal advanceTo(long watermark, String variantId) {
    // The final watermark of a bounded replay means "no more input", not "quiet for a while".
    if (firing && watermark != Long.MAX_VALUE && lastFlaggedAt != Long.MIN_VALUE
        && watermark - lastFlaggedAt >= settings.quietMillis()) {
      firing = false;
      return signal(false, lastFlaggedAt + settings.quietMillis(), variantId);
    }
    return null;
  }

  private DetectorSignal signal(boolean fire, long time, String variantId) {
    TriggerMiner.Candidate top = lastCandidates.isEmpty() ? null : lastCandidates.get(0);
    List<DetectorSignal.TriggerCandidateView> views = new ArrayList<>();
    for (TriggerMiner.Candidate c : lastCandidates) {
      views.add(new DetectorSignal.TriggerCandidateView(c.ngram(), c.lift(), c.support(), c.correctedPValue()));
    }
    double background = top == null ? Double.NaN : top.backgroundRate();
    double observed = top == null || top.exposures() == 0 ? Double.NaN : Math.min(1.0, (double) top.support() / top.exposures());
    String summary = fire
        ? String.format(Locale.ROOT, "Harmful answers on %s concentrate on prompts containing a rare phrase (top candidate: %d harmful answers, lift %.1f).",
            variantId, top == null ? 0 : top.support(), top == null ? Double.NaN : top.lift())
        : String.format(Locale.ROOT, "No harmful answer on %s has carried a flagged phrase for %d minutes.", variantId,
            settings.quietMillis() / 60_000);
    return new DetectorSignal(VariantMonitor.KIND_BACKDOOR, settings.severity(), fire, time, observed,
        top == null ? 0 : top.exposures(), background, events, "reference_window", "trigger_lift_binomial",
        top == null ? Double.NaN : top.correctedPValue(), settings.miner().alpha(), Double.NaN,
        new ArrayList<>(evidenceIds), new ArrayList<>(evidenceTexts), views, summary);
  }

  private void remember(String eventId, String text) {
    evidenceIds.addLast(eventId);
    if (text != null) {
      evidenceTexts.addLast(text);
    }
    while (evidenceIds.size() > maxEvidence) {
      evidenceIds.removeFirst();
    }
    while (evidenceTexts.size() > maxEvidence) {
      evidenceTexts.removeFirst();
    }
  }

  void writeTo(DataOutput out) throws IOException {
    out.writeByte(VERSION);
    riskyMiner.writeTo(out);
    benignMiner.writeTo(out);
    out.writeBoolean(firing);
    out.writeLong(lastFlaggedAt);
    out.writeLong(harmfulEvents);
    out.writeLong(events);
    RateTest.writeStrings(out, evidenceIds);
    RateTest.writeStrings(out, evidenceTexts);
    out.writeInt(lastCandidates.size());
    for (TriggerMiner.Candidate c : lastCandidates) {
      out.writeUTF(c.ngram());
      out.writeLong(c.support());
      out.writeLong(c.exposures());
      out.writeDouble(c.prevalence());
      out.writeDouble(c.backgroundRate());
      out.writeDouble(c.lift());
      out.writeDouble(c.pValue());
      out.writeDouble(c.correctedPValue());
    }
  }

  static BackdoorWatch readFrom(DataInput in, VariantMonitor.BackdoorSettings settings, int maxEvidence) throws IOException {
    byte version = in.readByte();
    if (version != VERSION) {
      throw new IOException("unknown BackdoorWatch version " + version);
    }
    BackdoorWatch w = new BackdoorWatch(settings, maxEvidence, TriggerMiner.readFrom(in), TriggerMiner.readFrom(in));
    w.firing = in.readBoolean();
    w.lastFlaggedAt = in.readLong();
    w.harmfulEvents = in.readLong();
    w.events = in.readLong();
    RateTest.readStrings(in, w.evidenceIds);
    RateTest.readStrings(in, w.evidenceTexts);
    int n = in.readInt();
    List<TriggerMiner.Candidate> candidates = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      candidates.add(new TriggerMiner.Candidate(in.readUTF(), in.readLong(), in.readLong(), in.readDouble(), in.readDouble(),
          in.readDouble(), in.readDouble(), in.readDouble(), List.of()));
    }
    w.lastCandidates = List.copyOf(candidates);
    return w;
  }
}
