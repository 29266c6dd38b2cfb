package io.llmsafety.monitor.detectors;

import io.llmsafety.monitor.event.ScoredEvent;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.List;

/**
 * What kind of harm the remote judge saw in each harm episode of one variant: its category codes
 * counted over the events the episode's evidence is drawn from, reported as {@code
 * evidence.judge_categories}. The counts follow each detector's own evidence without changing it:
 *
 * <ul>
 *   <li>{@code harm_rise}, {@code benign_harm}: the harmful events of the rate test's current run
 *       (since its statistic last left zero), cleared whenever the run is.
 *   <li>{@code score_drift}: the judged events of the current test window (answered benign
 *       prompts), cleared when a window closes.
 *   <li>{@code backdoor_suspected}: from the firing event on, the harmful events the backdoor watch
 *       adds to its evidence (a flagged n-gram or a repeated payload), until the next episode.
 * </ul>
 *
 * Refusal kinds get none. Events without judge categories count nothing, so without a judge every
 * list is empty and alerts are unchanged.
 */
final class EpisodeJudgeCategories {

  private static final byte VERSION = 1;

  private final JudgeCategoryTally harmRise = new JudgeCategoryTally();
  private final JudgeCategoryTally benignHarm = new JudgeCategoryTally();
  private final JudgeCategoryTally scoreDrift = new JudgeCategoryTally();
  private final JudgeCategoryTally backdoor = new JudgeCategoryTally();

  /** After {@code test} (of {@code kind}) observed one event: follows the run's evidence. */
  void rateTestObserved(String kind, RateTest test, boolean positive, String[] codes) {
    JudgeCategoryTally tally = rateTally(kind);
    if (tally == null) {
      return;
    }
    if (test.runN() == 0) {
      tally.clear();
    } else if (positive) {
      tally.add(codes);
    }
  }

  /** Before {@code drift} observes {@code score}: counts the event if it goes into a test window. */
  void scoreDriftWillObserve(ScoreDrift drift, double score, String[] codes) {
    if (drift.armed() && !Double.isNaN(score)) {
      scoreDrift.add(codes);
    }
  }

  /** After {@code drift} observed (and any verdict was reported): a closed window starts a new count. */
  void scoreDriftObserved(ScoreDrift drift) {
    if (drift.windowFill() == 0) {
      scoreDrift.clear();
    }
  }

  /**
   * After the backdoor watch observed {@code e}: a firing signal starts a new count with the firing
   * event; while firing, a harmful event the watch took as evidence (its newest evidence id) counts.
   *
   * @return {@code emitted} with the episode's categories, or null when it was null
   */
  DetectorSignal backdoorObserved(BackdoorWatch watch, DetectorSignal emitted, ScoredEvent e, String variantId) {
    if (emitted != null) {
      if (emitted.firing()) {
        backdoor.clear();
        if (e.harmful()) {
          backdoor.add(e.judgeCategories());
        }
      }
      return emitted.withJudgeCategories(backdoor.top());
    }
    if (watch.firing() && e.harmful() && e.judgeCategories() != null) {
      List<String> ids = watch.current(e.timestamp(), variantId).evidenceEventIds();
      if (!ids.isEmpty() && ids.get(ids.size() - 1).equals(e.eventId())) {
        backdoor.add(e.judgeCategories());
      }
    }
    return null;
  }

  /** A backdoor signal with the current episode's categories (null stays null). */
  DetectorSignal backdoorSignal(DetectorSignal s) {
    return s == null ? null : s.withJudgeCategories(backdoor.top());
  }

  /** The ranked categories of {@code kind}'s current episode; empty for kinds without any. */
  List<DetectorSignal.JudgeCategoryCount> top(String kind) {
    JudgeCategoryTally tally = switch (kind) {
      case VariantMonitor.KIND_SCORE_DRIFT -> scoreDrift;
      case VariantMonitor.KIND_BACKDOOR -> backdoor;
      default -> rateTally(kind);
    };
    return tally == null ? List.of() : tally.top();
  }

  /** Forgets every count, e.g. on a rebaseline. */
  void clear() {
    harmRise.clear();
    benignHarm.clear();
    scoreDrift.clear();
    backdoor.clear();
  }

  private JudgeCategoryTally rateTally(String kind) {
    return switch (kind) {
      case VariantMonitor.KIND_HARM_RISE -> harmRise;
      case VariantMonitor.KIND_BENIGN_HARM -> benignHarm;
      default -> null;
    };
  }

  void writeTo(DataOutput out) throws IOException {
    out.writeByte(VERSION);
    harmRise.writeTo(out);
    benignHarm.writeTo(out);
    scoreDrift.writeTo(out);
    backdoor.writeTo(out);
  }

  static EpisodeJudgeCategories readFrom(DataInput in) throws IOException {
    byte version = in.readByte();
    if (version != VERSION) {
      throw new IOException("unknown EpisodeJudgeCategories version " + version);
    }
    EpisodeJudgeCategories c = new EpisodeJudgeCategories();
    c.harmRise.readFrom(in);
    c.benignHarm.readFrom(in);
    c.scoreDrift.readFrom(in);
    c.backdoor.readFrom(in);
    return c;
  }
}
