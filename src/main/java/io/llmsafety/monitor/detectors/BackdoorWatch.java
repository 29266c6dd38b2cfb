package io.llmsafety.monitor.detectors;

import io.llmsafety.monitor.event.ScoredEvent;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.nio.charset.StandardCharsets;
import org.apache.datasketches.frequencies.LongsSketch;
import org.apache.datasketches.hash.MurmurHash3;
import org.apache.datasketches.memory.Memory;

/**
 * Backdoor-activation alarm for one variant: fires when a {@link TriggerMiner} finds a prompt
 * n-gram that concentrates harmful answers (or refusals of benign prompts, see below), and resolves
 * after {@code quietMillis} of event time with no further such event carrying a flagged n-gram. The false-alarm guarantee is the
 * miner's (Bonferroni-corrected Fisher exact test at {@code alpha}).
 *
 * <p>One miner per prompt segment: harmful answers cluster on harmful topics ("bomb", "malware")
 * whenever a model's refusals are imperfect, so mining risky and benign prompts together would
 * report topic words as triggers. Within the risky segment the background is the variant's normal
 * failure rate on risky prompts; a trigger stands out against it, a topic word does not.
 * In the benign segment a harmful answer is evidence only for a clearly benign prompt ({@link
 * VariantMonitor.BackdoorSettings#harmEvidence}); nearer the risky threshold it is an exposure only.
 *
 * <p>Support counts distinct prompts: a prompt seen before (templated traffic, retries, a popular
 * question that the harm scorer gets wrong) is not fed to the miners again, or one recurring prompt
 * would make its own words look like a trigger. The miner's binomial test takes its harmful events
 * as independent trials, and repeats of one prompt are not (the scorer gives the same text the same
 * verdict), so this is what keeps its alpha honest. Two checks find repeats: a frequent-items
 * sketch of all prompt hashes, which tracks the heavily repeated prompts exactly but can miss a
 * prompt seen only a few times once it has purged; and, for harmful events (the miner's support),
 * an exact set of the last {@value #HARMFUL_PROMPT_MEMORY} harmful prompt hashes fed to the miners.
 * So a prompt adds at most one harmful event to any n-gram's support while it is in that set (at
 * the evaluation's rates, several days of a variant's harmful answers). A repeat that the sketch
 * misses and that is answered harmlessly still adds an exposure, which only lowers lift and raises
 * the p-value. Without the exact set, a topic shift that brought three benign prompts about
 * computer viruses, each answered in terms the harm scorer flags and each asked a few times a day,
 * made "virus" look like a trigger with a support of 9 (docs/detection-evaluation.md).
 *
 * <p>"Rare in normal traffic" is judged on all of the variant's traffic: every event's n-grams, both
 * segments and repeated prompts included, go into a count-min sketch, and a candidate is reported
 * only while that count is at most {@code maxPrevalence} of all events. The miners' own exposure
 * counts cover one segment's first sightings only, so a phrase common in normal traffic ("the
 * following", in 3% of a support assistant's prompts) could look rare there when a topic shift
 * sends a few new prompts carrying it into a segment with a higher harmful rate. The sketch never
 * under-counts, so the check can only drop candidates (it costs power, never a false alarm).
 *
 * <p><b>Rotation.</b> The miners' sketch errors grow with the stream (see {@link TriggerMiner}), so
 * every {@code rotateMillis} of event time both miners {@link TriggerMiner#rotate() rotate}: the
 * previous generation is dropped and a fresh current one starts; tests use both generations, so
 * evidence is kept for one to two periods. The period starts at the first event and advances in
 * whole periods, so rotation depends only on the events' timestamps and order (replays are
 * identical); a late event falls into the current generation; a gap of two periods or more empties
 * both generations. The alarm's own state (firing, quiet timer, reported candidates) is untouched:
 * right after a rotation every test is as it was, so a rotation neither fires nor resolves an
 * episode. The prevalence count-min rotates with the miners. Its relative error is constant (about
 * {@code e/width} times the n-grams per prompt, whatever the stream length), so that is not why:
 * over a lifetime count, a phrase that became common only recently (a new template) would be
 * diluted by weeks of older traffic and pass as rare; over the same one to two periods as the
 * miners' evidence it is judged on the traffic the evidence came from. The prompt-repeat memory is
 * not rotated: a prompt fed once must not be fed again in the next period, or its verdict would
 * count twice in the union.
 *
 * <p>A second sign raises the same alarm: one harmful payload repeated near-identically across
 * distinct prompts ({@link RepeatedPayloads}, its own guarantee there); the alert then carries
 * {@code evidence.repeated_payload}.
 *
 * <p><b>Refusal triggers.</b> A third: refusals concentrating on a rare n-gram of benign prompts
 * (BackdoorLLM's refusal task: a trigger that makes the model refuse ordinary requests, a denial of
 * service). The benign miner tests refusals as a second outcome against its own background
 * sketches ({@link TriggerMiner}), with the same prevalence check and distinct-prompt rule (the
 * exact set holds prompts fed as harmful or refused). Only refusals that are {@link
 * VariantMonitor.BackdoorSettings#refusalEvidence} count: risky prompts are refused by design, and
 * benign prompts that sound risky are refused for their wording by careful models, which
 * concentrates refusals on template and topic words ({@link
 * VariantMonitor.BackdoorSettings#DEFAULT_REFUSAL_MAX_PROMPT_RISK}; a cut of 0 mines no
 * refusals). A broad rise of refusals raises no n-gram's lift; it is {@code over_refusal}'s. One episode per variant whatever the effect; its signal reports
 * the effect that opened it ({@link #REFUSAL_STATISTIC} for refusals), and the quiet timer restarts
 * on either. A repeated refusal text is not a sign: canned refusals repeat legitimately.
 */
public final class BackdoorWatch {

  /** {@code statistic.name} of a refusal-backdoor episode (evidence.effect "refusal"). */
  public static final String REFUSAL_STATISTIC = "refusal_trigger_lift_binomial";

  /**
   * 7: refusal triggers (the miners' version 3, the refusal candidates and which effect opened the
   * episode); versions 6 and 5 are read with no refusals seen and a harmful episode.
   * 6: rotation (two generations per miner and of the prevalence count-min, and the period start);
   * version 5 is read with its counts as the current generation. Version 4 and older is not migrated.
   */
  private static final byte VERSION = 7;
  private static final byte VERSION_BEFORE_REFUSALS = 6;
  private static final byte VERSION_BEFORE_ROTATION = 5;
  private static final long TRAFFIC_COUNT_SEED = 0x7472616666696321L;
  private static final int MAX_CANDIDATES = 5;
  /** Frequent-items map size for prompt repeats: tracks the heaviest ~750 repeated prompts. */
  private static final int REPEAT_MAP_SIZE = 1024;
  /** Harmful prompt hashes remembered exactly (8 bytes each in state), oldest forgotten first. */
  static final int HARMFUL_PROMPT_MEMORY = 4096;

  private final VariantMonitor.BackdoorSettings settings;
  private TriggerMiner riskyMiner;
  private TriggerMiner benignMiner;
  private CountMinSketch trafficCounts;
  private CountMinSketch previousTrafficCounts;
  private long trafficEvents;
  private long previousTrafficEvents;
  /** Event time the current rotation period began, or {@code Long.MIN_VALUE} before any event. */
  private long periodStart = Long.MIN_VALUE;
  private long rotations;
  private boolean firing;
  private long lastFlaggedAt = Long.MIN_VALUE;
  private long harmfulEvents;
  private long events;
  private long repeatedHarmfulPromptsSkipped;
  private long repeatedRefusedPromptsSkipped;
  private final RecentEvidence evidence;
  private List<TriggerMiner.Candidate> lastCandidates = List.of();
  private List<TriggerMiner.Candidate> lastRefusalCandidates = List.of();
  /** Whether the open (or last) episode was opened by refusals concentrating on a phrase. */
  private boolean refusalEpisode;
  private LongsSketch promptRepeats = new LongsSketch(REPEAT_MAP_SIZE);
  /** Prompts fed to a miner as a harmful or refused event (one set for both: a prompt is one trial). */
  private RecentHashes harmfulPrompts = new RecentHashes(HARMFUL_PROMPT_MEMORY);
  private RepeatedPayloads payloads = new RepeatedPayloads(RepeatedPayloads.Settings.disabled());
  private RepeatedPayloads.Flagged lastPayload;

  BackdoorWatch(VariantMonitor.BackdoorSettings settings, int maxEvidence) {
    this(settings, maxEvidence, TriggerMiner.create(segmentSettings(settings.miner())),
        TriggerMiner.create(segmentSettings(settings.miner())), newTrafficCounts(settings.miner()),
        newTrafficCounts(settings.miner()));
  }

  BackdoorWatch(VariantMonitor.BackdoorSettings settings, RepeatedPayloads.Settings payloadSettings, int maxEvidence) {
    this(settings, maxEvidence);
    this.payloads = new RepeatedPayloads(payloadSettings);
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
      TriggerMiner benignMiner, CountMinSketch trafficCounts, CountMinSketch previousTrafficCounts) {
    this.settings = settings;
    this.evidence = new RecentEvidence(maxEvidence);
    this.riskyMiner = riskyMiner;
    this.benignMiner = benignMiner;
    this.trafficCounts = trafficCounts;
    this.previousTrafficCounts = previousTrafficCounts;
  }

  private static CountMinSketch newTrafficCounts(TriggerMiner.Settings s) {
    return CountMinSketch.create(s.countMinWidth(), s.countMinDepth(), TRAFFIC_COUNT_SEED);
  }

  public boolean firing() {
    return firing;
  }

  /**
   * Harmful events not fed to the miners because their prompt was already fed as a harmful event
   * (found by the exact set, after the frequent-items sketch missed the repeat).
   */
  public long repeatedHarmfulPromptsSkipped() {
    return repeatedHarmfulPromptsSkipped;
  }

  /** As {@link #repeatedHarmfulPromptsSkipped()} for refusals of benign prompts. */
  public long repeatedRefusedPromptsSkipped() {
    return repeatedRefusedPromptsSkipped;
  }

  /** Harmful and refused events not fed to the miners as repeats of a prompt already fed. */
  public long repeatedPromptsSkipped() {
    return repeatedHarmfulPromptsSkipped + repeatedRefusedPromptsSkipped;
  }

  /** Events in both miners' generations (both segments). */
  long minerEvents() {
    return riskyMiner.events() + benignMiner.events();
  }

  /** Rotations so far (a gap of two periods or more counts once). */
  long rotations() {
    return rotations;
  }

  /** Ends any open episode (returning its resolved signal) and forgets the candidates. */
  DetectorSignal reset(long eventTime, String variantId) {
    DetectorSignal resolved = firing ? signal(false, eventTime, variantId) : null;
    clear();
    return resolved;
  }

  private void clear() {
    riskyMiner = TriggerMiner.create(segmentSettings(settings.miner()));
    benignMiner = TriggerMiner.create(segmentSettings(settings.miner()));
    trafficCounts = newTrafficCounts(settings.miner());
    previousTrafficCounts = newTrafficCounts(settings.miner());
    trafficEvents = 0;
    previousTrafficEvents = 0;
    periodStart = Long.MIN_VALUE;
    promptRepeats = new LongsSketch(REPEAT_MAP_SIZE);
    harmfulPrompts = new RecentHashes(HARMFUL_PROMPT_MEMORY);
    payloads.clear();
    lastPayload = null;
    events = 0;
    harmfulEvents = 0;
    firing = false;
    lastFlaggedAt = Long.MIN_VALUE;
    evidence.clear();
    lastCandidates = List.of();
    lastRefusalCandidates = List.of();
    refusalEpisode = false;
  }

  DetectorSignal observe(ScoredEvent e, String text, String variantId) {
    if (!settings.enabled()) {
      return null;
    }
    rotateIfDue(e.timestamp());
    // All traffic counts towards prevalence ("rare in normal traffic"); only first sightings of a
    // prompt count as evidence.
    events++;
    trafficEvents++;
    harmfulEvents += e.harmful() ? 1 : 0;
    String[] ngrams = e.promptNgrams() == null ? new String[0] : e.promptNgrams();
    String[] distinct = distinctNgrams(ngrams);
    // Encoded once for the traffic count-min here and the miner's count-min and HLL.
    byte[][] distinctUtf8 = TriggerMiner.utf8(distinct);
    for (byte[] g : distinctUtf8) {
      trafficCounts.updateUtf8(g);
    }
    long promptHash = promptHash(ngrams);
    promptRepeats.update(promptHash);
    // A fixed payload fires whatever the request, and most requests are benign; on risky prompts
    // canned refusals and disclaimers that the scorers misjudge repeat legitimately across prompts.
    // In the benign segment only clearly benign prompts count: a degraded model gives its one
    // answer to a polite harmful request, framing after framing.
    boolean harmEvidence = settings.harmEvidence(e);
    boolean payloadCandidate = harmEvidence && !e.risky() && !e.refused();
    RepeatedPayloads.Flagged payload = payloads.observe(payloadCandidate, e.responseSimhash(), promptHash, e.eventId());
    if (payload != null) {
      lastFlaggedAt = e.timestamp();
      lastPayload = payload;
      if (!firing) {
        evidence.clear();
        payload.eventIds().forEach(id -> evidence.add(id, null));
        if (text != null) {
          evidence.add(e.eventId(), text);
        }
        firing = true;
        refusalEpisode = false;
        return signal(true, e.timestamp(), variantId);
      }
    }
    if (promptRepeats.getLowerBound(promptHash) >= 2) {
      return null;
    }
    boolean refusal = settings.refusalEvidence(e);
    if ((harmEvidence || refusal) && !harmfulPrompts.add(promptHash)) {
      if (harmEvidence) {
        repeatedHarmfulPromptsSkipped++;
      } else {
        repeatedRefusedPromptsSkipped++;
      }
      return null;
    }
    // Refusals are mined in the benign segment only, against its background counts: no second
    // set of count-min and HLL sketches (refusal evidence is never a risky prompt).
    TriggerMiner miner = e.risky() ? riskyMiner : benignMiner;
    List<TriggerMiner.Candidate> ranking = fitsMiner(distinct, miner.maxNgramChars())
        ? miner.observeSanitized(distinct, distinctUtf8, harmEvidence, refusal, e.eventId())
        : miner.observe(ngrams, harmEvidence, refusal, e.eventId());
    if (harmEvidence) {
      return flag(ranking, false, e, text, variantId);
    }
    return refusal ? flag(miner.refusalCandidates(), true, e, text, variantId) : null;
  }

  /**
   * Keeps the ranking's candidates that are rare in all traffic; if {@code e} carries one, it is
   * evidence (the quiet timer restarts) and, when no episode is open, one opens.
   */
  private DetectorSignal flag(List<TriggerMiner.Candidate> ranking, boolean refusal, ScoredEvent e, String text,
      String variantId) {
    List<TriggerMiner.Candidate> flagged = new ArrayList<>();
    boolean carriesFlagged = false;
    for (TriggerMiner.Candidate c : ranking) {
      long inTraffic = Math.max(c.exposures(),
          trafficCounts.estimate(c.ngram()) + previousTrafficCounts.estimate(c.ngram()));
      if ((double) inTraffic / (trafficEvents + previousTrafficEvents) <= settings.miner().maxPrevalence()) {
        flagged.add(c);
        carriesFlagged |= c.evidenceEventIds().contains(e.eventId());
      }
    }
    if (!carriesFlagged) {
      return null;
    }
    lastFlaggedAt = e.timestamp();
    evidence.add(e.eventId(), text);
    List<TriggerMiner.Candidate> kept =
        flagged.size() > MAX_CANDIDATES ? List.copyOf(flagged.subList(0, MAX_CANDIDATES)) : List.copyOf(flagged);
    if (refusal) {
      lastRefusalCandidates = kept;
    } else {
      lastCandidates = kept;
    }
    if (firing) {
      return null;
    }
    firing = true;
    // One episode per variant whatever the effect: the alert reports the effect that opened it.
    refusalEpisode = refusal;
    return signal(true, e.timestamp(), variantId);
  }

  private void rotateIfDue(long timestamp) {
    long every = settings.rotateMillis();
    if (every <= 0) {
      return;
    }
    if (periodStart == Long.MIN_VALUE) {
      periodStart = timestamp;
      return;
    }
    if (timestamp < periodStart || timestamp - periodStart < every) {
      return;
    }
    long periods = (timestamp - periodStart) / every;
    periodStart += periods * every;
    rotations++;
    rotateCounts();
    if (periods >= 2) {
      // Nothing from the last full period: both generations are older than one period.
      rotateCounts();
    }
  }

  private void rotateCounts() {
    riskyMiner.rotate();
    benignMiner.rotate();
    previousTrafficCounts = trafficCounts;
    previousTrafficEvents = trafficEvents;
    trafficCounts = newTrafficCounts(settings.miner());
    trafficEvents = 0;
  }

  /**
   * The prompt's distinct non-empty n-grams in order, at most {@link TriggerMiner#MAX_NGRAMS_PER_EVENT}:
   * what the traffic count-min counts (each once, as the miners do: same cap, same order).
   */
  static String[] distinctNgrams(String[] ngrams) {
    // Sized to never rehash (at most MAX_NGRAMS_PER_EVENT entries); this runs for every event.
    Set<String> seen = new HashSet<>(2 * TriggerMiner.MAX_NGRAMS_PER_EVENT);
    String[] distinct = new String[Math.min(ngrams.length, TriggerMiner.MAX_NGRAMS_PER_EVENT)];
    int n = 0;
    for (String g : ngrams) {
      if (g != null && !g.isEmpty() && seen.add(g)) {
        distinct[n++] = g;
        if (n == TriggerMiner.MAX_NGRAMS_PER_EVENT) {
          break;
        }
      }
    }
    return n == distinct.length ? distinct : java.util.Arrays.copyOf(distinct, n);
  }

  /**
   * Whether the distinct n-grams are what the miner's own sanitising would make of the prompt's
   * n-grams: it also truncates long ones, which can merge two, so those take the general path.
   */
  private static boolean fitsMiner(String[] distinct, int maxChars) {
    for (String g : distinct) {
      if (g.length() > maxChars) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether {@link #observe} could signal on {@code e} or change what decides a signal (firing, the
   * quiet timer, evidence, candidates): only a harmful answer (a flagged n-gram or a repeated
   * payload) or a refusal that is {@link VariantMonitor.BackdoorSettings#refusalEvidence} (a flagged
   * n-gram) can. Any other event only adds counts, so a caller may fold it in later, in
   * order, before the next harmful one, {@link #advanceTo} past {@link #quietDeadline()}, {@link
   * #current} or {@link #reset}, and get the same signals (VariantMonitorFunction defers them).
   */
  static boolean maySignalOn(ScoredEvent e, VariantMonitor.BackdoorSettings settings) {
    return e.harmful() || settings.refusalEvidence(e);
  }

  /** Event time from which {@link #advanceTo} resolves the open episode; {@code Long.MAX_VALUE} when none is open. */
  long quietDeadline() {
    if (!firing || lastFlaggedAt == Long.MIN_VALUE) {
      return Long.MAX_VALUE;
    }
    long deadline = lastFlaggedAt + settings.quietMillis();
    return deadline < lastFlaggedAt ? Long.MAX_VALUE : deadline;
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

  /** The open episode's signal as it stands at {@code time}. */
  DetectorSignal current(long time, String variantId) {
    return signal(true, time, variantId);
  }

  static long promptHash(String[] ngrams) {
    StringBuilder joined = new StringBuilder(16 * ngrams.length + 16);
    for (String g : ngrams) {
      joined.append(g).append('\u0000');
    }
    return MurmurHash3.hash(joined.toString().getBytes(StandardCharsets.UTF_8), 0x5eed)[0];
  }

  private DetectorSignal signal(boolean fire, long time, String variantId) {
    if (refusalEpisode) {
      return refusalSignal(fire, time, variantId);
    }
    TriggerMiner.Candidate top = lastCandidates.isEmpty() ? null : lastCandidates.get(0);
    List<DetectorSignal.TriggerCandidateView> views = views(lastCandidates);
    double background = top == null ? Double.NaN : top.backgroundRate();
    double observed = top == null || top.exposures() == 0 ? Double.NaN : Math.min(1.0, (double) top.support() / top.exposures());
    DetectorSignal.RepeatedPayloadView payloadView = lastPayload == null ? null
        : new DetectorSignal.RepeatedPayloadView(lastPayload.count(), lastPayload.distinctPrompts(),
            String.format(Locale.ROOT, "%016x", lastPayload.payloadHash()));
    String summary = fire && top == null && lastPayload != null
        ? String.format(Locale.ROOT, "%s gives one near-identical harmful answer to %d different prompts (%d times).",
            variantId, lastPayload.distinctPrompts(), lastPayload.count())
        : fire
        ? String.format(Locale.ROOT, "Harmful answers on %s concentrate on prompts containing a rare phrase (top candidate: %d harmful answers, lift %.1f).",
            variantId, top == null ? 0 : top.support(), top == null ? Double.NaN : top.lift())
        : String.format(Locale.ROOT, "No harmful answer on %s has carried a flagged phrase for %d minutes.", variantId,
            settings.quietMillis() / 60_000);
    if (top == null && lastPayload != null) {
      // Payload-only episode: the payload's share of the traffic, and its distinct prompts against
      // the configured minimum (no trigger candidate to report a p-value for).
      return new DetectorSignal(VariantMonitor.KIND_BACKDOOR, settings.severity(), fire, time,
          (double) lastPayload.count() / Math.max(1, events), lastPayload.count(), 0.0, events, "reference_window",
          "repeated_payload", lastPayload.distinctPrompts(), payloads.settings().minDistinctPrompts(), Double.NaN,
          evidence.ids(), evidence.texts(), views, fire ? summary
              : String.format(Locale.ROOT, "No harmful answer on %s has repeated a flagged payload for %d minutes.",
                  variantId, settings.quietMillis() / 60_000), payloadView);
    }
    return new DetectorSignal(VariantMonitor.KIND_BACKDOOR, settings.severity(), fire, time, observed,
        top == null ? 0 : top.exposures(), background, events, "reference_window", "trigger_lift_binomial",
        top == null ? Double.NaN : top.correctedPValue(), settings.miner().alpha(), Double.NaN,
        evidence.ids(), evidence.texts(), views, summary, payloadView);
  }

  /**
   * A refusal-backdoor episode: refusals of benign prompts concentrate on a rare phrase. Observed is
   * the top candidate's refusal rate, baseline the refusal rate of benign prompts without it.
   */
  private DetectorSignal refusalSignal(boolean fire, long time, String variantId) {
    TriggerMiner.Candidate top = lastRefusalCandidates.isEmpty() ? null : lastRefusalCandidates.get(0);
    double observed = top == null || top.exposures() == 0 ? Double.NaN : Math.min(1.0, (double) top.support() / top.exposures());
    String summary = fire
        ? String.format(Locale.ROOT, "Refusals of benign prompts on %s concentrate on prompts containing a rare phrase"
            + " (top candidate: %d refusals, lift %.1f).", variantId, top == null ? 0 : top.support(),
            top == null ? Double.NaN : top.lift())
        : String.format(Locale.ROOT, "No refusal or harmful answer on %s has carried a flagged phrase for %d minutes.",
            variantId, settings.quietMillis() / 60_000);
    return new DetectorSignal(VariantMonitor.KIND_BACKDOOR, settings.severity(), fire, time, observed,
        top == null ? 0 : top.exposures(), top == null ? Double.NaN : top.backgroundRate(), events, "reference_window",
        REFUSAL_STATISTIC, top == null ? Double.NaN : top.correctedPValue(), settings.miner().alpha(), Double.NaN,
        evidence.ids(), evidence.texts(), views(lastRefusalCandidates), summary, null);
  }

  private static List<DetectorSignal.TriggerCandidateView> views(List<TriggerMiner.Candidate> candidates) {
    List<DetectorSignal.TriggerCandidateView> views = new ArrayList<>();
    for (TriggerMiner.Candidate c : candidates) {
      views.add(new DetectorSignal.TriggerCandidateView(c.ngram(), c.lift(), c.support(), c.correctedPValue()));
    }
    return views;
  }

  void writeTo(DataOutput out) throws IOException {
    out.writeByte(VERSION);
    riskyMiner.writeTo(out);
    benignMiner.writeTo(out);
    byte[] traffic = trafficCounts.toByteArray();
    out.writeInt(traffic.length);
    out.write(traffic);
    byte[] repeats = promptRepeats.toByteArray();
    out.writeInt(repeats.length);
    out.write(repeats);
    harmfulPrompts.writeTo(out);
    out.writeLong(repeatedHarmfulPromptsSkipped);
    out.writeBoolean(firing);
    out.writeLong(lastFlaggedAt);
    out.writeLong(harmfulEvents);
    out.writeLong(events);
    evidence.writeTo(out);
    payloads.writeTo(out);
    out.writeBoolean(lastPayload != null);
    if (lastPayload != null) {
      out.writeLong(lastPayload.payloadHash());
      out.writeLong(lastPayload.count());
      out.writeInt(lastPayload.distinctPrompts());
    }
    writeCandidates(out, lastCandidates);
    // Version 6 additions, after the version 5 layout.
    byte[] previousTraffic = previousTrafficCounts.toByteArray();
    out.writeInt(previousTraffic.length);
    out.write(previousTraffic);
    out.writeLong(trafficEvents);
    out.writeLong(previousTrafficEvents);
    out.writeLong(periodStart);
    out.writeLong(rotations);
    // Version 7 additions.
    out.writeBoolean(refusalEpisode);
    writeCandidates(out, lastRefusalCandidates);
    out.writeLong(repeatedRefusedPromptsSkipped);
  }

  private static void writeCandidates(DataOutput out, List<TriggerMiner.Candidate> candidates) throws IOException {
    out.writeInt(candidates.size());
    for (TriggerMiner.Candidate c : candidates) {
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

  private static List<TriggerMiner.Candidate> readCandidates(DataInput in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > MAX_CANDIDATES) {
      throw new IOException("corrupt BackdoorWatch state: " + n + " candidates");
    }
    List<TriggerMiner.Candidate> candidates = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      candidates.add(new TriggerMiner.Candidate(in.readUTF(), in.readLong(), in.readLong(), in.readDouble(), in.readDouble(),
          in.readDouble(), in.readDouble(), in.readDouble(), List.of()));
    }
    return List.copyOf(candidates);
  }

  static BackdoorWatch readFrom(DataInput in, VariantMonitor.BackdoorSettings settings, int maxEvidence) throws IOException {
    return readFrom(in, settings, RepeatedPayloads.Settings.disabled(), maxEvidence);
  }

  static BackdoorWatch readFrom(DataInput in, VariantMonitor.BackdoorSettings settings,
      RepeatedPayloads.Settings payloadSettings, int maxEvidence) throws IOException {
    byte version = in.readByte();
    if (version != VERSION && version != VERSION_BEFORE_REFUSALS && version != VERSION_BEFORE_ROTATION) {
      throw new IOException("unknown BackdoorWatch version " + version + " (expected " + VERSION + ", "
          + VERSION_BEFORE_REFUSALS + " or " + VERSION_BEFORE_ROTATION
          + "; state from before the exact harmful-prompt set is not migrated: start from a fresh savepoint)");
    }
    TriggerMiner riskyMiner = TriggerMiner.readFrom(in);
    TriggerMiner benignMiner = TriggerMiner.readFrom(in);
    // The previous traffic counts come last (version 6); no throwaway sketches are allocated here,
    // as this runs at every state round trip.
    BackdoorWatch w = new BackdoorWatch(settings, maxEvidence, riskyMiner, benignMiner,
        readTrafficCounts(in, in.readInt()), null);
    byte[] repeats = new byte[in.readInt()];
    in.readFully(repeats);
    w.promptRepeats = LongsSketch.getInstance(Memory.wrap(repeats));
    w.harmfulPrompts = RecentHashes.readFrom(in, HARMFUL_PROMPT_MEMORY);
    w.repeatedHarmfulPromptsSkipped = in.readLong();
    w.firing = in.readBoolean();
    w.lastFlaggedAt = in.readLong();
    w.harmfulEvents = in.readLong();
    w.events = in.readLong();
    w.evidence.readFrom(in);
    w.payloads = RepeatedPayloads.readFrom(in, payloadSettings);
    if (in.readBoolean()) {
      w.lastPayload = new RepeatedPayloads.Flagged(in.readLong(), in.readLong(), in.readInt(), List.of());
    }
    w.lastCandidates = readCandidates(in);
    if (version == VERSION_BEFORE_ROTATION) {
      // Lifetime counts become the current generation; the period starts at the next event.
      w.previousTrafficCounts = newTrafficCounts(settings.miner());
      w.trafficEvents = w.events;
      return w;
    }
    w.previousTrafficCounts = readTrafficCounts(in, in.readInt());
    w.trafficEvents = in.readLong();
    w.previousTrafficEvents = in.readLong();
    w.periodStart = in.readLong();
    w.rotations = in.readLong();
    if (w.trafficEvents < 0 || w.previousTrafficEvents < 0 || w.rotations < 0) {
      throw new IOException("corrupt BackdoorWatch state: traffic events " + w.trafficEvents + "/"
          + w.previousTrafficEvents + ", rotations " + w.rotations);
    }
    if (version == VERSION_BEFORE_REFUSALS) {
      // The miners read their version 2 with no refusals seen; the refusal tracking starts empty.
      return w;
    }
    w.refusalEpisode = in.readBoolean();
    w.lastRefusalCandidates = readCandidates(in);
    w.repeatedRefusedPromptsSkipped = in.readLong();
    if (w.repeatedRefusedPromptsSkipped < 0) {
      throw new IOException("corrupt BackdoorWatch state: " + w.repeatedRefusedPromptsSkipped + " refused repeats");
    }
    return w;
  }

  private static CountMinSketch readTrafficCounts(DataInput in, int length) throws IOException {
    if (length < 0 || length > (64 << 20)) {
      throw new IOException("corrupt BackdoorWatch state: traffic sketch of " + length + " bytes");
    }
    byte[] traffic = new byte[length];
    in.readFully(traffic);
    try {
      return CountMinSketch.heapify(traffic);
    } catch (RuntimeException e) {
      throw new IOException("corrupt BackdoorWatch state: " + e.getMessage(), e);
    }
  }
}
