package io.llmsafety.monitor.detectors;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The alert lifecycle of one variant in event time: per alert kind, pending, then firing, then
 * resolved. Detectors report raw transitions (their statistic crossed the threshold, or drained back);
 * this class turns them into what on-call receives.
 *
 * <ul>
 *   <li><b>Pending.</b> With {@code pendingForMillis > 0}, a crossing only becomes an alert when the
 *       detector is still alarmed that much event time later, like Prometheus' {@code for}. A detector
 *       that clears first leaves no alert at all. Zero fires at the crossing.
 *   <li><b>One firing per episode.</b> A kind has at most one open episode; each detector already
 *       reports one crossing per episode (its own hysteresis: a CUSUM fires at {@code h} and clears
 *       only at 0), so a variant that degrades on several statistics gets one alert per kind.
 *   <li><b>Re-notification.</b> With {@code renotifyIntervalMillis > 0}, a firing alert is sent again
 *       every interval of event time with the same {@code alert_id}, the current statistic and a
 *       notification count, so a consumer that lost the first record (or an Alertmanager whose alert
 *       would expire) sees it again.
 *   <li><b>Resolved</b> when the detector clears, once per episode.
 * </ul>
 *
 * <p>Deterministic: a deadline (pending confirmation, re-notification) at time {@code d} takes effect
 * after every event at or before {@code d} and before every event after it, whether an event or the
 * watermark reaches it first. The caller calls {@code advanceTo(t - 1)} before an event at {@code t}
 * and {@code advanceTo(watermark)} after the events up to a watermark; at the final watermark of a
 * bounded input ("no more input", not "time passed") it advances to the newest event time seen instead.
 */
public final class AlertLifecycle {

  private static final byte VERSION = 3;
  /** Signals without a tenant breakdown; read with an empty one. */
  private static final byte VERSION_WITHOUT_TENANTS = 2;
  /** State whose stored signals lack repeated-payload and judge-category evidence; read without them. */
  private static final byte VERSION_WITHOUT_EXTRA_EVIDENCE = 1;

  /**
   * @param pendingForMillis event time a detector must stay alarmed before its alert fires; 0 = at once
   * @param renotifyIntervalMillis event time between re-sends of a firing alert; 0 = never
   */
  public record Settings(long pendingForMillis, long renotifyIntervalMillis) implements Serializable {

    /** Fire at the crossing, send once: the behaviour without lifecycle settings. */
    public static final Settings IMMEDIATE = new Settings(0, 0);

    public Settings {
      if (pendingForMillis < 0 || renotifyIntervalMillis < 0) {
        throw new IllegalArgumentException("durations must be >= 0");
      }
    }
  }

  /** What a notification means for on-call. */
  public enum Phase {
    /** Crossed, waiting for confirmation: visible as a metric only, not sent as an alert. */
    PENDING,
    /** A pending crossing cleared before confirmation: no alert was sent. */
    PENDING_CANCELLED,
    /** The first firing record of an episode. */
    FIRING,
    /** The same episode, still firing, sent again. */
    RENOTIFY,
    RESOLVED
  }

  /**
   * One lifecycle step. {@code signal.eventTime()} is the episode's detection time for firing and
   * re-notification records (so they share an alert id), and the clearing time for resolved ones.
   *
   * @param count notifications of this episode so far, including this one (1 for the first firing)
   * @param notifiedAt event time at which this record is sent
   */
  public record Notification(Phase phase, DetectorSignal signal, int count, long notifiedAt) {

    /** Whether this goes to the alert sinks (pending steps are metrics only). */
    public boolean isAlert() {
      return phase == Phase.FIRING || phase == Phase.RENOTIFY || phase == Phase.RESOLVED;
    }
  }

  /** The detectors' current view of a firing kind, for confirmations and re-notifications. */
  public interface CurrentSignals {
    /** The kind's signal as of {@code eventTime} with firing=true, or null when unknown. */
    DetectorSignal current(String kind, long eventTime);
  }

  private static final byte PENDING = 0;
  private static final byte FIRING = 1;

  private static final class Episode {
    byte state;
    /** Event time the detector crossed its threshold. */
    long since;
    /** Next event time something happens: confirmation when pending, re-notification when firing. */
    long deadline;
    int count;
    /** The crossing as the detector reported it, the fallback for {@link CurrentSignals}. */
    DetectorSignal crossing;
  }

  private final Settings settings;
  /** Sorted by kind, so deadlines due together come out in one order. */
  private final TreeMap<String, Episode> episodes = new TreeMap<>();

  public AlertLifecycle(Settings settings) {
    this.settings = settings;
  }

  /** Kinds with an episode (pending or firing). */
  public boolean isEmpty() {
    return episodes.isEmpty();
  }

  public boolean pending(String kind) {
    Episode e = episodes.get(kind);
    return e != null && e.state == PENDING;
  }

  public boolean firing(String kind) {
    Episode e = episodes.get(kind);
    return e != null && e.state == FIRING;
  }

  /** Earliest event time at which {@link #advanceTo} would do something, or {@code Long.MAX_VALUE}. */
  public long nextDeadline() {
    long next = Long.MAX_VALUE;
    for (Episode e : episodes.values()) {
      next = Math.min(next, e.deadline);
    }
    return next;
  }

  /** Applies the detectors' raw transitions, in order, appending what they mean for on-call. */
  public void accept(List<DetectorSignal> raw, List<Notification> out) {
    for (DetectorSignal s : raw) {
      Episode e = episodes.get(s.kind());
      if (s.firing()) {
        if (e != null) {
          continue; // already open: a detector re-reporting its crossing adds nothing
        }
        e = new Episode();
        e.since = s.eventTime();
        e.crossing = s;
        episodes.put(s.kind(), e);
        if (settings.pendingForMillis() == 0) {
          fire(e, s, s.eventTime(), out);
        } else {
          e.state = PENDING;
          e.deadline = saturatedAdd(s.eventTime(), settings.pendingForMillis());
          out.add(new Notification(Phase.PENDING, s, 0, s.eventTime()));
        }
      } else if (e != null) {
        episodes.remove(s.kind());
        if (e.state == PENDING) {
          out.add(new Notification(Phase.PENDING_CANCELLED, s, 0, s.eventTime()));
        } else {
          out.add(new Notification(Phase.RESOLVED, s, e.count + 1, s.eventTime()));
        }
      }
      // A clear with no open episode (e.g. a rebaseline of a test that never crossed) is nothing.
    }
  }

  /**
   * Acts on every deadline up to and including {@code time}: confirms pending episodes that are
   * still open and re-notifies firing ones. Each missed re-notification is sent, dated at its own
   * deadline: collapsing them would make the output depend on how far each watermark jumped. The
   * variant TTL bounds how many one jump can release ({@code variant_ttl / renotify_interval}).
   */
  public void advanceTo(long time, CurrentSignals current, List<Notification> out) {
    for (Map.Entry<String, Episode> entry : episodes.entrySet()) {
      Episode e = entry.getValue();
      if (e.deadline > time) {
        continue;
      }
      if (e.state == PENDING) {
        long confirmedAt = e.deadline;
        fire(e, snapshot(entry.getKey(), e, confirmedAt, current), confirmedAt, out);
        if (e.deadline > time) {
          continue;
        }
      }
      long interval = settings.renotifyIntervalMillis();
      if (interval == 0) {
        e.deadline = Long.MAX_VALUE;
        continue;
      }
      while (e.deadline <= time) {
        long at = e.deadline;
        e.count++;
        e.deadline = saturatedAdd(at, interval);
        out.add(new Notification(Phase.RENOTIFY, snapshot(entry.getKey(), e, at, current), e.count, at));
      }
    }
  }

  /**
   * Ends every open episode at {@code time} without a verdict, e.g. when a silent variant's state
   * expires: a firing alert gets its resolved record (with {@code summary}) so that nothing stays
   * firing with no state left to clear it; a pending one is cancelled.
   */
  public void closeAll(long time, String summary, List<Notification> out) {
    for (Map.Entry<String, Episode> entry : episodes.entrySet()) {
      Episode e = entry.getValue();
      DetectorSignal c = e.crossing;
      DetectorSignal closed = new DetectorSignal(c.kind(), c.severity(), false, time, c.observedRate(), c.observedN(),
          c.baselineRate(), c.baselineN(), c.baselineSource(), c.statisticName(), c.statisticValue(), c.threshold(), c.arl0(),
          List.of(), List.of(), List.of(), summary);
      out.add(e.state == PENDING
          ? new Notification(Phase.PENDING_CANCELLED, closed, 0, time)
          : new Notification(Phase.RESOLVED, closed, e.count + 1, time));
    }
    episodes.clear();
  }

  private void fire(Episode e, DetectorSignal s, long at, List<Notification> out) {
    e.state = FIRING;
    e.count = 1;
    e.deadline = settings.renotifyIntervalMillis() == 0 ? Long.MAX_VALUE : saturatedAdd(at, settings.renotifyIntervalMillis());
    out.add(new Notification(Phase.FIRING, withEventTime(s, e.since), 1, at));
  }

  /** The current statistic, dated at the episode's start so the alert id stays the same. */
  private static DetectorSignal snapshot(String kind, Episode e, long at, CurrentSignals current) {
    DetectorSignal now = current == null ? null : current.current(kind, at);
    return withEventTime(now != null ? now : e.crossing, e.since);
  }

  static DetectorSignal withEventTime(DetectorSignal s, long eventTime) {
    return s.withEventTime(eventTime);
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }

  public byte[] toBytes() {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
      writeTo(new DataOutputStream(bytes));
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static AlertLifecycle fromBytes(byte[] bytes, Settings settings) {
    try {
      return readFrom(new DataInputStream(new ByteArrayInputStream(bytes)), settings);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes a version byte, then each episode; settings come from the job spec, not from state. */
  public void writeTo(DataOutput out) throws IOException {
    out.writeByte(VERSION);
    out.writeInt(episodes.size());
    for (Map.Entry<String, Episode> entry : episodes.entrySet()) {
      Episode e = entry.getValue();
      out.writeUTF(entry.getKey());
      out.writeByte(e.state);
      out.writeLong(e.since);
      out.writeLong(e.deadline);
      out.writeInt(e.count);
      writeSignal(out, e.crossing);
    }
  }

  public static AlertLifecycle readFrom(DataInput in, Settings settings) throws IOException {
    byte version = in.readByte();
    if (version != VERSION && version != VERSION_WITHOUT_TENANTS && version != VERSION_WITHOUT_EXTRA_EVIDENCE) {
      throw new IOException("unknown AlertLifecycle version " + version + " (expected " + VERSION + ", "
          + VERSION_WITHOUT_TENANTS + " or " + VERSION_WITHOUT_EXTRA_EVIDENCE
          + "; start the job without this state or from a fresh savepoint)");
    }
    AlertLifecycle l = new AlertLifecycle(settings);
    int n = in.readInt();
    if (n < 0) {
      throw new IOException("corrupt AlertLifecycle state: " + n + " episodes");
    }
    for (int i = 0; i < n; i++) {
      String kind = in.readUTF();
      Episode e = new Episode();
      e.state = in.readByte();
      if (e.state != PENDING && e.state != FIRING) {
        throw new IOException("corrupt AlertLifecycle state: episode state " + e.state);
      }
      e.since = in.readLong();
      e.deadline = in.readLong();
      e.count = in.readInt();
      e.crossing = readSignal(in, version != VERSION_WITHOUT_EXTRA_EVIDENCE, version == VERSION);
      l.episodes.put(kind, e);
    }
    return l;
  }

  private static void writeSignal(DataOutput out, DetectorSignal s) throws IOException {
    out.writeUTF(s.kind());
    writeNullable(out, s.severity());
    out.writeBoolean(s.firing());
    out.writeLong(s.eventTime());
    out.writeDouble(s.observedRate());
    out.writeLong(s.observedN());
    out.writeDouble(s.baselineRate());
    out.writeLong(s.baselineN());
    writeNullable(out, s.baselineSource());
    writeNullable(out, s.statisticName());
    out.writeDouble(s.statisticValue());
    out.writeDouble(s.threshold());
    out.writeDouble(s.arl0());
    writeStrings(out, s.evidenceEventIds());
    writeStrings(out, s.evidenceTexts());
    out.writeInt(s.triggerCandidates().size());
    for (DetectorSignal.TriggerCandidateView c : s.triggerCandidates()) {
      out.writeUTF(c.ngram());
      out.writeDouble(c.lift());
      out.writeLong(c.support());
      out.writeDouble(c.pValue());
    }
    writeNullable(out, s.summary());
    DetectorSignal.RepeatedPayloadView payload = s.repeatedPayload();
    out.writeBoolean(payload != null);
    if (payload != null) {
      out.writeLong(payload.count());
      out.writeInt(payload.distinctPrompts());
      writeNullable(out, payload.payloadHash());
    }
    out.writeInt(s.judgeCategories().size());
    for (DetectorSignal.JudgeCategoryCount c : s.judgeCategories()) {
      out.writeUTF(c.category());
      out.writeLong(c.count());
    }
    out.writeInt(s.tenants().size());
    for (DetectorSignal.TenantShare t : s.tenants()) {
      writeNullable(out, t.tenant());
      out.writeLong(t.events());
      out.writeLong(t.positives());
    }
  }

  private static DetectorSignal readSignal(DataInput in, boolean extraEvidence, boolean withTenants)
      throws IOException {
    String kind = in.readUTF();
    String severity = readNullable(in);
    boolean firing = in.readBoolean();
    long eventTime = in.readLong();
    double observedRate = in.readDouble();
    long observedN = in.readLong();
    double baselineRate = in.readDouble();
    long baselineN = in.readLong();
    String baselineSource = readNullable(in);
    String statisticName = readNullable(in);
    double statisticValue = in.readDouble();
    double threshold = in.readDouble();
    double arl0 = in.readDouble();
    List<String> ids = readStrings(in);
    List<String> texts = readStrings(in);
    int n = in.readInt();
    if (n < 0) {
      throw new IOException("corrupt AlertLifecycle state: " + n + " trigger candidates");
    }
    List<DetectorSignal.TriggerCandidateView> candidates = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      candidates.add(new DetectorSignal.TriggerCandidateView(in.readUTF(), in.readDouble(), in.readLong(), in.readDouble()));
    }
    String summary = readNullable(in);
    DetectorSignal.RepeatedPayloadView payload = null;
    List<DetectorSignal.JudgeCategoryCount> categories = List.of();
    if (extraEvidence) {
      if (in.readBoolean()) {
        payload = new DetectorSignal.RepeatedPayloadView(in.readLong(), in.readInt(), readNullable(in));
      }
      int c = in.readInt();
      if (c < 0 || c > 64) {
        throw new IOException("corrupt AlertLifecycle state: " + c + " judge categories");
      }
      categories = new ArrayList<>(c);
      for (int i = 0; i < c; i++) {
        categories.add(new DetectorSignal.JudgeCategoryCount(in.readUTF(), in.readLong()));
      }
    }
    List<DetectorSignal.TenantShare> tenants = List.of();
    if (withTenants) {
      int t = in.readInt();
      if (t < 0 || t > 64) {
        throw new IOException("corrupt AlertLifecycle state: " + t + " tenants");
      }
      tenants = new ArrayList<>(t);
      for (int i = 0; i < t; i++) {
        tenants.add(new DetectorSignal.TenantShare(readNullable(in), in.readLong(), in.readLong()));
      }
    }
    return new DetectorSignal(kind, severity, firing, eventTime, observedRate, observedN, baselineRate, baselineN,
        baselineSource, statisticName, statisticValue, threshold, arl0, ids, texts, candidates, summary, payload,
        categories, tenants);
  }

  private static void writeNullable(DataOutput out, String s) throws IOException {
    out.writeBoolean(s != null);
    if (s != null) {
      writeLongUtf(out, s);
    }
  }

  private static String readNullable(DataInput in) throws IOException {
    return in.readBoolean() ? readLongUtf(in) : null;
  }

  private static void writeStrings(DataOutput out, List<String> strings) throws IOException {
    out.writeInt(strings.size());
    for (String s : strings) {
      writeLongUtf(out, s);
    }
  }

  private static List<String> readStrings(DataInput in) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      throw new IOException("corrupt AlertLifecycle state: " + n + " strings");
    }
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(readLongUtf(in));
    }
    return out;
  }

  /** writeUTF caps at 64 KiB; evidence texts with include_text may be longer. */
  private static void writeLongUtf(DataOutput out, String s) throws IOException {
    byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  private static String readLongUtf(DataInput in) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      throw new IOException("corrupt AlertLifecycle state: string of " + n + " bytes");
    }
    byte[] bytes = new byte[n];
    in.readFully(bytes);
    return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
  }
}
