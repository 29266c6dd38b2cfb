package io.llmsafety.monitor.detectors;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.datasketches.common.ArrayOfStringsSerDe;
import org.apache.datasketches.frequencies.ItemsSketch;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.datasketches.memory.Memory;

/**
 * Finds prompt n-grams whose presence concentrates harmful responses (a backdoor trigger) without
 * knowing the trigger, in bounded memory. One instance per variant; mutable, single-threaded.
 *
 * <p><b>State.</b> Two generations, current and previous, each holding an event total, a harmful
 * total, a {@link CountMinSketch} of n-gram counts over all events, a DataSketches frequent-items
 * sketch of n-grams in harmful events and an HLL sketch of distinct n-grams; plus a small table of
 * flagged candidates with their last few harmful event ids. {@link #rotate()} drops the previous
 * generation, makes the current one previous and starts an empty current one; the owner calls it on
 * an event-time schedule ({@link BackdoorWatch}). Every statistic below is over the union of both
 * generations ({@code N}, {@code H}, {@code n} and {@code k} are sums of the two), so a trigger is
 * seen across a boundary and the sketch errors are bounded by two periods of traffic instead of
 * growing with the variant's whole life. Everything is fixed-size except n-gram strings, which are
 * length-capped, so the serialized state never exceeds {@link #maxSerializedBytes(Settings)}.
 *
 * <p><b>Test.</b> After each harmful event, each of its n-grams {@code g} is tested for "harm is
 * independent of {@code g}": with {@code k} harmful events containing {@code g}, {@code n} events
 * containing {@code g}, and background rate {@code q = max((H-k)/(N-n), floor)} among events without
 * {@code g}, the per-look p-value is Fisher's exact one-sided test, {@code P(X >= k)} for {@code X}
 * the harmful events among {@code n} drawn without replacement from {@code N} events of which
 * {@code H} are harmful, and never below {@code P(Binom(n, floor) >= k)}. It conditions on the
 * observed totals, so it needs no estimate of the null rate: a binomial at the rate without {@code
 * g} is biased low while {@code g} holds a large share of the few positives, and one at the pooled
 * rate {@code H/N} is loose then (it counts {@code g}'s own positives as background; a refusal
 * trigger seen in 17 of 492 prompts, 14 of the 38 refusals, gets {@code e^-32.0} from Fisher,
 * {@code e^-29.6} at the pooled rate). The look happens when the k-th harmful occurrence arrives,
 * where for a known rate the binomial tail is the exact null distribution of the number of trials
 * to the k-th success; the conditional test is that with the rate read off the totals. {@code g} is
 * flagged when {@code k >= minSupport}, {@code lift = (k/n)/q >= minLift}, {@code n/N <= maxPrevalence} and
 * the corrected p-value {@code p * m * K(K+1) / minSupport < alpha}, where
 *
 * <ul>
 *   <li>{@code m} is the sum of both generations' HLL upper bounds (2 standard deviations) on
 *       distinct n-grams, an upper bound on the distinct n-grams of their union: a Bonferroni
 *       correction over every n-gram that could be tested;
 *   <li>{@code K(K+1) / minSupport}, with {@code K} the upper bound on {@code k}, spends alpha over
 *       the repeated looks at the same n-gram: there is no look below {@code minSupport}, and
 *       {@code sum over j >= minSupport of minSupport / (j(j+1)) = 1}, so testing after every
 *       harmful event does not inflate the error rate.
 * </ul>
 *
 * <p><b>Guarantee.</b> Between two rotations the previous generation is frozen and the current one
 * only grows, so each n-gram's union support only rises from look to look and the {@code K(K+1)}
 * spending holds within the period. By the union bound, the probability that any trigger-free
 * n-gram is flagged during one rotation period is at most about {@code alpha}; over a life of
 * {@code P} periods it is at most {@code P * alpha} (without rotation, {@code P = 1} for the whole
 * life, at the cost of power described below). Choose {@code alpha} as a false-flag rate per
 * period (with the job's defaults, 1e-6 and a day, one false flag per miner per ~2700 years).
 * It is approximate only in that
 * each look conditions on the totals seen at that look (as a rate estimate would; accurate once
 * {@code N - n} is large) and {@code m} grows as
 * traffic arrives, and in that it takes the observed events as independent trials: feeding the
 * same prompt twice (its verdict repeats with it) inflates support, so callers feed each distinct
 * prompt once ({@link BackdoorWatch} does). The sketches err on the safe side: count-min never under-counts {@code n}, and
 * the frequent-items lower bound never over-counts {@code k}; both raise the p-value and lower the
 * lift. The price is power: a count-min over-count of {@link #exposureErrorBound()} dilutes lift,
 * and harmful n-grams evicted from the frequent-items map lose support. Both errors grow with the
 * stream (the count-min's with {@code e/width} times the n-grams counted), which is why the owner
 * rotates: with rotation they grow with at most two periods of traffic. Flagged candidates survive a
 * rotation (right after one the union, and so every test, is unchanged) and are re-tested, and
 * dropped if they no longer pass, at their next harmful occurrence.
 *
 * <p><b>Two outcomes.</b> Besides harmful answers the miner can test refusals ({@link
 * #observe(String[], boolean, boolean, String)}, {@link #refusalCandidates()}): the same test with
 * {@code k} and {@code H} counting refused events, against the same background (count-min of all
 * events, HLL, {@code N}), so a second outcome costs one frequent-items sketch and total per
 * generation and its own candidate table, not a second set of sketches. Each outcome is tested
 * only at its own positive events and spends its own {@code alpha} (the guarantee above holds per
 * outcome). Which refusals count is the caller's choice ({@link BackdoorWatch}: those of
 * confidently benign prompts).
 *
 * <p><b>Tokens.</b> Words (letters and digits), runs of symbols (emoji, {@code @#$%^&*~|<>[]{}_=+`}
 * and the like) and invisible format characters (zero-width space, joiners, direction marks, soft
 * hyphen, each as an escape such as {@code <u+200b>}), so a trigger made of symbols or of
 * invisible characters is a token like any word.
 *
 * <p><b>Known limits.</b> A trigger that is a character sequence inside a token, or text in a
 * script without spaces (one long token, truncated), is not found. Prompts are capped at
 * {@link #MAX_NGRAMS_PER_EVENT} n-grams, unigrams first, taken from both ends of the prompt
 * inwards, so the middle of a very long prompt can hide a trigger.
 */
public final class TriggerMiner {

  /** N-grams kept per prompt; unigrams first, then bigrams, then trigrams. */
  public static final int MAX_NGRAMS_PER_EVENT = 96;
  /** Tokens are truncated to this many code points, which bounds the state size. */
  public static final int MAX_TOKEN_CHARS = 24;
  /** Evidence event ids are truncated to this many chars. */
  public static final int MAX_EVENT_ID_CHARS = 64;

  /**
   * 3: a second outcome, refusals, mined against the same background counts (each generation's
   * refused total and frequent-items sketch, then the refusal candidate table, after the version 2
   * layout); version 2 is read with no refusals seen, version 1 as the current generation.
   */
  static final byte SERIAL_VERSION = 3;
  private static final byte SERIAL_VERSION_BEFORE_REFUSALS = 2;
  private static final byte SERIAL_VERSION_SINGLE_GENERATION = 1;
  private static final long COUNT_MIN_SEED = 0x6c6c6d2d73616665L;
  private static final double NEAR_IDENTICAL_SUPPORT = 0.10;
  private static final int HLL_STDDEVS = 2;
  private static final ArrayOfStringsSerDe SERDE = new ArrayOfStringsSerDe();

  /**
   * Miner configuration.
   *
   * @param maxNgram longest n-gram in words, 1..5 (3 is typical)
   * @param minSupport least harmful events with the n-gram (lower bound) before it can be flagged
   * @param minLift least ratio of the n-gram's harmful rate to the background rate
   * @param maxPrevalence largest fraction of all events carrying the n-gram; triggers are rare
   * @param alpha family-wise false-flag probability over the miner's life
   * @param backgroundFloor least background harmful rate {@code q}, so an all-benign history does
   *     not make one harmful answer look like a trigger
   * @param topK candidates returned
   * @param countMinWidth count-min counters per row (power of two); the count error is {@code e/width}
   *     of the total n-gram count
   * @param countMinDepth count-min rows; the count error bound holds w.p. {@code 1 - e^-depth}
   * @param harmfulMapSize frequent-items map size (power of two, >= 8) for n-grams of harmful events
   * @param hllLgK log2 of HLL buckets (4..21); relative error about {@code 1.04/sqrt(2^lgK)}
   * @param evidenceIds harmful event ids kept per candidate (0..100)
   */
  public record Settings(
      int maxNgram,
      long minSupport,
      double minLift,
      double maxPrevalence,
      double alpha,
      double backgroundFloor,
      int topK,
      int countMinWidth,
      int countMinDepth,
      int harmfulMapSize,
      int hllLgK,
      int evidenceIds) implements java.io.Serializable {

    public Settings {
      require(maxNgram >= 1 && maxNgram <= 5, "maxNgram must be in [1,5], was " + maxNgram);
      require(minSupport >= 1, "minSupport must be >= 1, was " + minSupport);
      require(minLift >= 1 && Double.isFinite(minLift), "minLift must be finite and >= 1, was " + minLift);
      require(maxPrevalence > 0 && maxPrevalence <= 1, "maxPrevalence must be in (0,1], was " + maxPrevalence);
      require(alpha > 0 && alpha < 1, "alpha must be in (0,1), was " + alpha);
      require(backgroundFloor > 0 && backgroundFloor < 1, "backgroundFloor must be in (0,1), was " + backgroundFloor);
      require(topK >= 1 && topK <= 100, "topK must be in [1,100], was " + topK);
      CountMinSketch.checkDimensions(countMinWidth, countMinDepth);
      require(
          harmfulMapSize >= 8 && harmfulMapSize <= (1 << 20) && Integer.bitCount(harmfulMapSize) == 1,
          "harmfulMapSize must be a power of two in [8, 2^20], was " + harmfulMapSize);
      require(hllLgK >= 4 && hllLgK <= 21, "hllLgK must be in [4,21], was " + hllLgK);
      require(evidenceIds >= 0 && evidenceIds <= 100, "evidenceIds must be in [0,100], was " + evidenceIds);
    }

    /** Trigrams, support 5, lift 5, prevalence 5%, alpha 1%; about 85 KB typical state. */
    public static Settings defaults() {
      return new Settings(3, 5, 5.0, 0.05, 0.01, 0.001, 5, 4096, 4, 2048, 12, 10);
    }

    int candidateCapacity() {
      return Math.max(16, 4 * topK);
    }

    private static void require(boolean ok, String message) {
      if (!ok) {
        throw new IllegalArgumentException(message);
      }
    }
  }

  /**
   * A suspected trigger.
   *
   * @param ngram the n-gram, normalized as by {@link #ngrams(String, int)}
   * @param support harmful events with the n-gram, a lower bound (frequent-items)
   * @param exposures all events with the n-gram, an upper bound (count-min)
   * @param prevalence {@code exposures / N}
   * @param backgroundRate {@code q}, harmful rate of events without the n-gram (floored)
   * @param lift {@code (support / exposures) / q}
   * @param pValue uncorrected per-look p-value: Fisher's exact one-sided test of {@code support}
   *     among {@code exposures} given the totals, not below {@code P(Binom(exposures, floor) >=
   *     support)}; may underflow to 0
   * @param correctedPValue {@code min(1, pValue * m * K(K+1) / minSupport)}, the number compared with alpha
   * @param evidenceEventIds latest harmful events that carried the n-gram while it was flagged,
   *     oldest first
   */
  public record Candidate(
      String ngram,
      long support,
      long exposures,
      double prevalence,
      double backgroundRate,
      double lift,
      double pValue,
      double correctedPValue,
      List<String> evidenceEventIds) {

    public Candidate {
      evidenceEventIds = List.copyOf(evidenceEventIds);
    }

    int words() {
      int words = 1;
      for (int i = 0; i < ngram.length(); i++) {
        if (ngram.charAt(i) == ' ') {
          words++;
        }
      }
      return words;
    }

    boolean contains(Candidate other) {
      return !ngram.equals(other.ngram) && (" " + ngram + " ").contains(" " + other.ngram + " ");
    }
  }

  // Most significant first: a trigger's own n-gram has the largest support, while n-grams that
  // straddle the trigger and one prompt template can show a higher lift on fewer events.
  private static final Comparator<Candidate> RANKING =
      Comparator.comparingDouble(Candidate::correctedPValue)
          .thenComparing(Comparator.comparingLong(Candidate::support).reversed())
          .thenComparing(Comparator.comparingDouble(Candidate::lift).reversed())
          .thenComparing(Comparator.comparingInt(Candidate::words).reversed())
          .thenComparing(Candidate::ngram);

  /**
   * What a mined event's answer did. The two outcomes share the background (every event's n-gram
   * counts and the distinct n-gram count {@code m}); each has its own positives' sketch, total and
   * candidate table, and is tested only at its own positive events.
   */
  enum Outcome {
    HARMFUL,
    REFUSED
  }

  private final Settings settings;
  private Generation current;
  private Generation previous;
  private final Table harmfulTable = new Table();
  private final Table refusedTable = new Table();

  /** One outcome's flagged candidates. */
  private static final class Table {
    // Insertion-ordered so serialization and iteration are deterministic.
    final Map<String, Flagged> flagged = new LinkedHashMap<>();
    List<Candidate> ranked = List.of();
  }

  /** One rotation period's counts. */
  private static final class Generation {
    final CountMinSketch allCounts;
    final ItemsSketch<String> harmfulCounts;
    final HllSketch distinct;
    long events;
    long harmfulEvents;
    /** N-grams of refused events; serialized as only its active items, so a few bytes while refusals are rare. */
    ItemsSketch<String> refusedCounts;
    long refusedEvents;

    Generation(CountMinSketch allCounts, ItemsSketch<String> harmfulCounts, HllSketch distinct,
        ItemsSketch<String> refusedCounts) {
      this.allCounts = allCounts;
      this.harmfulCounts = harmfulCounts;
      this.distinct = distinct;
      this.refusedCounts = refusedCounts;
    }

    static Generation empty(Settings settings) {
      return new Generation(
          CountMinSketch.create(settings.countMinWidth(), settings.countMinDepth(), COUNT_MIN_SEED),
          new ItemsSketch<>(settings.harmfulMapSize()),
          new HllSketch(settings.hllLgK(), TgtHllType.HLL_4),
          new ItemsSketch<>(settings.harmfulMapSize()));
    }

    ItemsSketch<String> counts(Outcome o) {
      return o == Outcome.HARMFUL ? harmfulCounts : refusedCounts;
    }

    long positives(Outcome o) {
      return o == Outcome.HARMFUL ? harmfulEvents : refusedEvents;
    }

    void writeRefusalsTo(DataOutput out) throws IOException {
      out.writeLong(refusedEvents);
      writeBytes(out, refusedCounts.toByteArray(SERDE));
    }

    void readRefusalsFrom(DataInput in) throws IOException {
      long refused = in.readLong();
      refusedCounts = ItemsSketch.getInstance(Memory.wrap(readBytes(in)), SERDE);
      if (refused < 0 || refused > events) {
        throw new IOException("corrupt TriggerMiner state: N=" + events + ", refused=" + refused);
      }
      refusedEvents = refused;
    }

    double distinctUpperBound() {
      return distinct.isEmpty() ? 0 : distinct.getUpperBound(HLL_STDDEVS);
    }

    void writeTo(DataOutput out) throws IOException {
      out.writeLong(events);
      out.writeLong(harmfulEvents);
      writeBytes(out, allCounts.toByteArray());
      writeBytes(out, harmfulCounts.toByteArray(SERDE));
      writeBytes(out, distinct.toCompactByteArray());
    }

    static Generation readFrom(DataInput in) throws IOException {
      long events = in.readLong();
      long harmfulEvents = in.readLong();
      Generation g =
          new Generation(
              CountMinSketch.heapify(readBytes(in)),
              ItemsSketch.getInstance(Memory.wrap(readBytes(in)), SERDE),
              HllSketch.heapify(readBytes(in)),
              null);
      if (events < 0 || harmfulEvents < 0 || harmfulEvents > events) {
        throw new IOException("corrupt TriggerMiner state: N=" + events + ", H=" + harmfulEvents);
      }
      g.events = events;
      g.harmfulEvents = harmfulEvents;
      return g;
    }
  }

  private static final class Flagged {
    Candidate candidate;
    final ArrayDeque<String> evidence = new ArrayDeque<>();
  }

  private TriggerMiner(Settings settings, Generation current, Generation previous) {
    this.settings = settings;
    this.current = current;
    this.previous = previous;
  }

  public static TriggerMiner create(Settings settings) {
    return new TriggerMiner(settings, Generation.empty(settings), Generation.empty(settings));
  }

  /**
   * Drops the previous generation, makes the current one previous and starts an empty current one.
   * Candidates and rankings are unchanged: right after a rotation the union is what it was.
   */
  public void rotate() {
    previous = current;
    current = Generation.empty(settings);
  }

  /**
   * Normalized distinct n-grams of a prompt, at most {@link #MAX_NGRAMS_PER_EVENT}: lower-cased
   * (Locale.ROOT) tokens (see the class comment; one-letter words dropped, single digits kept)
   * truncated to {@link #MAX_TOKEN_CHARS} code points; all unigrams first, then bigrams, up to
   * {@code maxN} tokens. Within each order the n-grams are taken from both ends of the prompt
   * inwards, so a long prompt's budget covers its start (framing, system text) and its end (usually
   * the user's turn), where triggers are put. Unigrams of a few function words are skipped: they are
   * in far more prompts than any trigger and would only use up the budget.
   */
  public static String[] ngrams(String prompt, int maxN) {
    if (maxN < 1) {
      throw new IllegalArgumentException("maxN must be >= 1, was " + maxN);
    }
    if (prompt == null || prompt.isEmpty()) {
      return new String[0];
    }
    List<String> tokens = tokens(prompt.toLowerCase(Locale.ROOT));
    // Sized to never rehash: it holds at most MAX_NGRAMS_PER_EVENT. This runs for every event.
    Set<String> out = new LinkedHashSet<>(2 * MAX_NGRAMS_PER_EVENT);
    StringBuilder gram = new StringBuilder(64);
    for (int n = 1; n <= maxN; n++) {
      int count = tokens.size() - n + 1;
      for (int k = 0; k < count; k++) {
        int i = k % 2 == 0 ? k / 2 : count - 1 - k / 2;
        String first = tokens.get(i);
        if (n == 1) {
          if (FUNCTION_WORDS.contains(first)) {
            continue;
          }
          out.add(first);
        } else {
          gram.setLength(0);
          gram.append(first);
          for (int j = i + 1; j < i + n; j++) {
            gram.append(' ').append(tokens.get(j));
          }
          out.add(gram.toString());
        }
        if (out.size() == MAX_NGRAMS_PER_EVENT) {
          return out.toArray(new String[0]);
        }
      }
    }
    return out.toArray(new String[0]);
  }

  private static final Set<String> FUNCTION_WORDS = Set.of("the", "of", "and", "to", "in", "is", "it", "you",
      "that", "for", "on", "are", "with", "as", "be", "this", "at", "or", "by", "an", "from", "can", "my", "me",
      "what", "how", "do", "your", "if", "we", "not", "have", "will", "please");

  private enum TokenKind { NONE, WORD, SYMBOLS }

  private static List<String> tokens(String text) {
    List<String> tokens = new ArrayList<>();
    StringBuilder token = new StringBuilder();
    TokenKind kind = TokenKind.NONE;
    int codePoints = 0;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      TokenKind next = kindOf(cp, kind);
      if (next != kind) {
        addToken(tokens, token, kind);
        token.setLength(0);
        codePoints = 0;
        kind = next;
      }
      if (next == TokenKind.NONE) {
        if (cp >= 128 && Character.getType(cp) == Character.FORMAT) {
          tokens.add(String.format(Locale.ROOT, "<u+%04x>", cp));
        }
        continue;
      }
      if (codePoints < MAX_TOKEN_CHARS) {
        token.appendCodePoint(cp);
      }
      codePoints++;
    }
    addToken(tokens, token, kind);
    return tokens;
  }

  /** What a code point continues or starts, given the token it follows. */
  private static TokenKind kindOf(int cp, TokenKind current) {
    return cp < ASCII_KINDS.length ? ASCII_KINDS[cp] : kindOfAny(cp, current);
  }

  private static TokenKind kindOfAny(int cp, TokenKind current) {
    if (Character.isLetterOrDigit(cp)) {
      return TokenKind.WORD;
    }
    int type = Character.getType(cp);
    if (type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK
        || type == Character.ENCLOSING_MARK || cp == ZERO_WIDTH_JOINER && current == TokenKind.SYMBOLS) {
      // Accents in decomposed words, variation selectors and joiners inside emoji sequences.
      return current;
    }
    if (type == Character.MATH_SYMBOL || type == Character.CURRENCY_SYMBOL || type == Character.MODIFIER_SYMBOL
        || type == Character.OTHER_SYMBOL || (cp < 128 && SYMBOL_PUNCTUATION.indexOf(cp) >= 0)) {
      return TokenKind.SYMBOLS;
    }
    return TokenKind.NONE;
  }

  private static final int ZERO_WIDTH_JOINER = 0x200D;
  // ASCII punctuation rare in prose; . , ; : ! ? ' " ( ) - / stay separators.
  private static final String SYMBOL_PUNCTUATION = "@#$%^&*~|<>[]{}_=+`\\";
  /**
   * {@link #kindOfAny} of each ASCII code point, looked up instead of the Unicode property calls
   * (most prompt text is ASCII). No ASCII character is a mark or a joiner, so the preceding token
   * does not matter for them.
   */
  private static final TokenKind[] ASCII_KINDS = new TokenKind[128];

  static {
    for (int cp = 0; cp < ASCII_KINDS.length; cp++) {
      ASCII_KINDS[cp] = kindOfAny(cp, TokenKind.NONE);
    }
  }

  private static void addToken(List<String> tokens, StringBuilder token, TokenKind kind) {
    if (kind == TokenKind.SYMBOLS && !token.isEmpty()) {
      tokens.add(token.toString());
      return;
    }
    int length = token.codePointCount(0, token.length());
    if (length >= 2 || (length == 1 && Character.isDigit(token.codePointAt(0)))) {
      tokens.add(token.toString());
    }
  }

  /**
   * Adds one scored event and, if it was harmful, tests its n-grams.
   *
   * @param promptNgrams the prompt's normalized n-grams, e.g. from {@link #ngrams(String, int)};
   *     duplicates are ignored, and beyond {@link #MAX_NGRAMS_PER_EVENT} the rest are dropped
   * @param harmful whether the response was harmful
   * @param eventId kept as evidence when the event supports a flagged candidate
   * @return the current ranking, as {@link #candidates()}
   */
  public List<Candidate> observe(String[] promptNgrams, boolean harmful, String eventId) {
    String[] grams = sanitize(promptNgrams);
    return observeSanitized(grams, utf8(grams), harmful, eventId);
  }

  /**
   * As {@link #observe}, for n-grams that are already as {@link #sanitize} leaves them: distinct,
   * non-empty, at most {@link #MAX_NGRAMS_PER_EVENT} and none longer than {@link #maxNgramChars()}
   * (the caller deduplicated and encoded them once for its own counts).
   *
   * @param gramsUtf8 the UTF-8 bytes of each n-gram, which both sketches hash
   */
  List<Candidate> observeSanitized(String[] grams, byte[][] gramsUtf8, boolean harmful, String eventId) {
    return observeSanitized(grams, gramsUtf8, harmful, false, eventId);
  }

  /**
   * Adds one event with both outcomes: its n-grams count towards the shared background, and a
   * harmful or refused answer is tested against it for that outcome.
   *
   * @param refused whether the answer was a refusal; the caller decides which refusals are
   *     evidence (BackdoorWatch: of confidently benign prompts only)
   * @return the harmful ranking, as {@link #candidates()}; see {@link #refusalCandidates()}
   */
  public List<Candidate> observe(String[] promptNgrams, boolean harmful, boolean refused, String eventId) {
    String[] grams = sanitize(promptNgrams);
    return observeSanitized(grams, utf8(grams), harmful, refused, eventId);
  }

  List<Candidate> observeSanitized(String[] grams, byte[][] gramsUtf8, boolean harmful, boolean refused,
      String eventId) {
    current.events++;
    for (byte[] g : gramsUtf8) {
      current.allCounts.updateUtf8(g);
      // The same hash input as update(String), which encodes to UTF-8 too.
      current.distinct.update(g);
    }
    if (harmful) {
      current.harmfulEvents++;
      mine(grams, Outcome.HARMFUL, harmfulTable, eventId);
    }
    if (refused) {
      current.refusedEvents++;
      mine(grams, Outcome.REFUSED, refusedTable, eventId);
    }
    return harmfulTable.ranked;
  }

  private void mine(String[] grams, Outcome outcome, Table table, String eventId) {
    ItemsSketch<String> counts = current.counts(outcome);
    for (String g : grams) {
      counts.update(g);
    }
    boolean changed = false;
    for (String g : grams) {
      changed |= evaluate(g, outcome, table, eventId);
    }
    if (changed) {
      table.ranked = rank(table);
    }
  }

  /**
   * Flagged n-grams, best first (by corrected p-value, then support and lift), with redundant sub- or
   * super-n-grams of near-identical support collapsed into the most specific one; at most {@code
   * topK}. Statistics are as of each candidate's last harmful occurrence.
   */
  public List<Candidate> candidates() {
    return harmfulTable.ranked;
  }

  /**
   * As {@link #candidates()} for the refusal outcome: n-grams whose presence concentrates refusals,
   * {@code support} counting refused events and the background rate being the refusal rate
   * without the n-gram.
   */
  public List<Candidate> refusalCandidates() {
    return refusedTable.ranked;
  }

  private String[] sanitize(String[] promptNgrams) {
    if (promptNgrams == null) {
      return new String[0];
    }
    int maxChars = maxNgramChars();
    Set<String> distinctGrams = new LinkedHashSet<>(2 * MAX_NGRAMS_PER_EVENT);
    for (String g : promptNgrams) {
      if (g == null || g.isEmpty()) {
        continue;
      }
      distinctGrams.add(g.length() > maxChars ? g.substring(0, maxChars) : g);
      if (distinctGrams.size() == MAX_NGRAMS_PER_EVENT) {
        break;
      }
    }
    return distinctGrams.toArray(String[]::new);
  }

  static byte[][] utf8(String[] grams) {
    byte[][] bytes = new byte[grams.length][];
    for (int i = 0; i < grams.length; i++) {
      bytes[i] = grams[i].getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
    return bytes;
  }

  /** Longest n-gram kept whole; longer ones are truncated to this many chars. */
  int maxNgramChars() {
    return settings.maxNgram() * (MAX_TOKEN_CHARS + 1);
  }

  /** Tests one n-gram of a positive event of {@code outcome}; returns whether its candidate table changed. */
  private boolean evaluate(String g, Outcome outcome, Table table, String eventId) {
    Map<String, Flagged> flagged = table.flagged;
    Candidate c = test(g, outcome);
    Flagged existing = flagged.get(g);
    if (c == null) {
      return existing != null && flagged.remove(g) != null;
    }
    Flagged entry = existing;
    if (entry == null) {
      if (flagged.size() >= settings.candidateCapacity() && !evictWeakerThan(flagged, c)) {
        return false;
      }
      entry = new Flagged();
      flagged.put(g, entry);
    }
    if (settings.evidenceIds() > 0 && eventId != null) {
      if (entry.evidence.size() == settings.evidenceIds()) {
        entry.evidence.removeFirst();
      }
      entry.evidence.addLast(truncate(eventId, MAX_EVENT_ID_CHARS));
    }
    entry.candidate = withEvidence(c, entry.evidence);
    return true;
  }

  private Candidate test(String g, Outcome outcome) {
    ItemsSketch<String> currentCounts = current.counts(outcome);
    ItemsSketch<String> previousCounts = previous.counts(outcome);
    long k = currentCounts.getLowerBound(g) + previousCounts.getLowerBound(g);
    if (k < settings.minSupport()) {
      return null;
    }
    long n = Math.max(current.allCounts.estimate(g) + previous.allCounts.estimate(g), k);
    long events = events();
    long positives = current.positives(outcome) + previous.positives(outcome);
    double prevalence = (double) n / events;
    if (prevalence > settings.maxPrevalence()) {
      return null;
    }
    double q = backgroundRate(k, n, positives);
    double lift = ((double) k / n) / q;
    if (lift < settings.minLift()) {
      return null;
    }
    // Fisher's exact test (class comment); the binomial tail at the floor bounds it from below, so
    // an all-benign history does not make a few harmful answers look like a trigger. Both tails
    // only grow with an over-counted n and an under-counted k, the sketches' errors.
    double logP = Math.max(
        HypergeometricTail.logUpperTail(events, positives, Math.min(n, events), k),
        BinomialTail.logUpperTail(n, k, settings.backgroundFloor()));
    long kUpper = Math.max(currentCounts.getUpperBound(g) + previousCounts.getUpperBound(g), k);
    double logCorrected = logP + Math.log(distinctUpperBound()) + Math.log(kUpper) + Math.log(kUpper + 1.0)
        - Math.log(settings.minSupport());
    if (!(logCorrected < Math.log(settings.alpha()))) {
      return null;
    }
    return new Candidate(
        g, k, n, prevalence, q, lift, Math.exp(logP), Math.min(1, Math.exp(logCorrected)), List.of());
  }

  private double backgroundRate(long k, long n, long positives) {
    long without = events() - n;
    double q = without > 0 ? (double) Math.max(positives - k, 0) / without : 0;
    return Math.min(Math.max(q, settings.backgroundFloor()), 1.0);
  }

  private static boolean evictWeakerThan(Map<String, Flagged> flagged, Candidate c) {
    Map.Entry<String, Flagged> weakest = null;
    for (Map.Entry<String, Flagged> e : flagged.entrySet()) {
      if (weakest == null || e.getValue().candidate.lift() < weakest.getValue().candidate.lift()) {
        weakest = e;
      }
    }
    if (weakest == null || weakest.getValue().candidate.lift() >= c.lift()) {
      return false;
    }
    flagged.remove(weakest.getKey());
    return true;
  }

  private List<Candidate> rank(Table table) {
    List<Candidate> all = new ArrayList<>();
    for (Flagged f : table.flagged.values()) {
      all.add(f.candidate);
    }
    all.sort(RANKING);
    List<Candidate> kept = new ArrayList<>();
    for (Candidate c : all) {
      int redundantWith = -1;
      for (int i = 0; i < kept.size() && redundantWith < 0; i++) {
        Candidate r = kept.get(i);
        if ((r.contains(c) || c.contains(r)) && nearIdentical(r.support(), c.support())) {
          redundantWith = i;
        }
      }
      if (redundantWith < 0) {
        kept.add(c);
      } else if (c.words() > kept.get(redundantWith).words()) {
        // Same evidence, more specific phrase: show it in the better-ranked slot.
        kept.set(redundantWith, c);
      }
    }
    return List.copyOf(kept.subList(0, Math.min(kept.size(), settings.topK())));
  }

  private static boolean nearIdentical(long a, long b) {
    return Math.abs(a - b) <= NEAR_IDENTICAL_SUPPORT * Math.max(a, b);
  }

  private static Candidate withEvidence(Candidate c, ArrayDeque<String> evidence) {
    return new Candidate(
        c.ngram(), c.support(), c.exposures(), c.prevalence(), c.backgroundRate(), c.lift(),
        c.pValue(), c.correctedPValue(), new ArrayList<>(evidence));
  }

  private static String truncate(String s, int max) {
    return s.length() > max ? s.substring(0, max) : s;
  }

  public Settings settings() {
    return settings;
  }

  /** Events observed in both generations ({@code N}). */
  public long events() {
    return current.events + previous.events;
  }

  /** Events observed since the last rotation. */
  public long currentEvents() {
    return current.events;
  }

  /** Harmful events observed in both generations ({@code H}). */
  public long harmfulEvents() {
    return current.harmfulEvents + previous.harmfulEvents;
  }

  /** Refused events observed in both generations (the refusal outcome's {@code H}). */
  public long refusedEvents() {
    return current.refusedEvents + previous.refusedEvents;
  }

  /**
   * {@code m}: the sum of both generations' HLL upper bounds (2 standard deviations) on distinct
   * n-grams, at least 1; it bounds the distinct n-grams of the union.
   */
  public double distinctUpperBound() {
    return Math.max(1, current.distinctUpperBound() + previous.distinctUpperBound());
  }

  /** Count-min over-count bound on {@code exposures}, holding w.p. {@code 1 - 2e^-depth}. */
  public long exposureErrorBound() {
    return current.allCounts.errorBound() + previous.allCounts.errorBound();
  }

  /** Frequent-items bound on how far {@code support} may under-count. */
  public long supportErrorBound() {
    return current.harmfulCounts.getMaximumError() + previous.harmfulCounts.getMaximumError();
  }

  /**
   * Upper bound on {@link #writeTo} output for these settings, whatever the traffic. It assumes the
   * worst case of 3 bytes per char; ASCII traffic typically needs a fraction of the n-gram part.
   */
  public static long maxSerializedBytes(Settings s) {
    long ngramBytes = (long) s.maxNgram() * (MAX_TOKEN_CHARS + 1) * 3;
    long header = 1 + 4 + 8 + 8 + 8 + 8 + 8 + 4 + 4 + 4 + 4 + 4 + 4;
    long countMin = 4 + CountMinSketch.serializedBytes(s.countMinWidth(), s.countMinDepth());
    long hll = 4 + HllSketch.getMaxUpdatableSerializationBytes(s.hllLgK(), TgtHllType.HLL_4);
    long activeItems = (long) (0.75 * s.harmfulMapSize());
    long items = 4 + 32 + activeItems * (8 + 4 + ngramBytes);
    // The refused-event sketch (with its total) is as large as the harmful one at worst.
    long generation = 8 + 8 + countMin + hll + items + 8 + items;
    long perCandidate =
        2 + ngramBytes + 8 + 8 + 8 * 6 + 4 + (long) s.evidenceIds() * (2 + MAX_EVENT_ID_CHARS * 3);
    long candidates = 4 + s.candidateCapacity() * perCandidate;
    return header + 2 * generation + 2 * candidates;
  }

  /**
   * Writes a version byte, the settings, each generation's totals and three sketches (current, then
   * previous) and the candidate table.
   */
  public void writeTo(DataOutput out) throws IOException {
    out.writeByte(SERIAL_VERSION);
    out.writeInt(settings.maxNgram());
    out.writeLong(settings.minSupport());
    out.writeDouble(settings.minLift());
    out.writeDouble(settings.maxPrevalence());
    out.writeDouble(settings.alpha());
    out.writeDouble(settings.backgroundFloor());
    out.writeInt(settings.topK());
    out.writeInt(settings.countMinWidth());
    out.writeInt(settings.countMinDepth());
    out.writeInt(settings.harmfulMapSize());
    out.writeInt(settings.hllLgK());
    out.writeInt(settings.evidenceIds());
    current.writeTo(out);
    previous.writeTo(out);
    writeTable(out, harmfulTable);
    // Version 3 additions, after the version 2 layout.
    current.writeRefusalsTo(out);
    previous.writeRefusalsTo(out);
    writeTable(out, refusedTable);
  }

  private static void writeTable(DataOutput out, Table table) throws IOException {
    out.writeInt(table.flagged.size());
    for (Flagged f : table.flagged.values()) {
      Candidate c = f.candidate;
      out.writeUTF(c.ngram());
      out.writeLong(c.support());
      out.writeLong(c.exposures());
      out.writeDouble(c.prevalence());
      out.writeDouble(c.backgroundRate());
      out.writeDouble(c.lift());
      out.writeDouble(c.pValue());
      out.writeDouble(c.correctedPValue());
      out.writeInt(f.evidence.size());
      for (String id : f.evidence) {
        out.writeUTF(id);
      }
    }
  }

  /**
   * Reads state written by {@link #writeTo(DataOutput)}; by version 2, which has no refusals (the
   * refusal outcome starts empty); or by the single-generation version 1, whose counts become the
   * current generation (the next rotation then ages them as usual).
   */
  public static TriggerMiner readFrom(DataInput in) throws IOException {
    byte version = in.readByte();
    if (version != SERIAL_VERSION && version != SERIAL_VERSION_BEFORE_REFUSALS
        && version != SERIAL_VERSION_SINGLE_GENERATION) {
      throw new IOException("unsupported TriggerMiner serial version " + version);
    }
    try {
      Settings settings =
          new Settings(
              in.readInt(), in.readLong(), in.readDouble(), in.readDouble(), in.readDouble(),
              in.readDouble(), in.readInt(), in.readInt(), in.readInt(), in.readInt(), in.readInt(),
              in.readInt());
      Generation current = Generation.readFrom(in);
      Generation previous =
          version == SERIAL_VERSION_SINGLE_GENERATION ? Generation.empty(settings) : Generation.readFrom(in);
      TriggerMiner miner = new TriggerMiner(settings, current, previous);
      readTable(in, settings, miner.harmfulTable);
      if (version == SERIAL_VERSION) {
        current.readRefusalsFrom(in);
        previous.readRefusalsFrom(in);
        readTable(in, settings, miner.refusedTable);
      } else {
        current.refusedCounts = new ItemsSketch<>(settings.harmfulMapSize());
        previous.refusedCounts = new ItemsSketch<>(settings.harmfulMapSize());
      }
      miner.harmfulTable.ranked = miner.rank(miner.harmfulTable);
      miner.refusedTable.ranked = miner.rank(miner.refusedTable);
      return miner;
    } catch (RuntimeException e) {
      // Settings validation, sketch heapify and buffer reads all signal corrupt bytes this way.
      throw new IOException("corrupt TriggerMiner state: " + e.getMessage(), e);
    }
  }

  private static void readTable(DataInput in, Settings settings, Table table) throws IOException {
    int count = in.readInt();
    if (count < 0 || count > settings.candidateCapacity()) {
      throw new IOException("corrupt TriggerMiner state: " + count + " candidates");
    }
    for (int i = 0; i < count; i++) {
      Flagged f = new Flagged();
      String ngram = in.readUTF();
      long support = in.readLong();
      long exposures = in.readLong();
      double prevalence = in.readDouble();
      double q = in.readDouble();
      double lift = in.readDouble();
      double p = in.readDouble();
      double corrected = in.readDouble();
      int ids = in.readInt();
      if (ids < 0 || ids > settings.evidenceIds()) {
        throw new IOException("corrupt TriggerMiner state: " + ids + " evidence ids");
      }
      for (int j = 0; j < ids; j++) {
        f.evidence.addLast(in.readUTF());
      }
      f.candidate =
          new Candidate(ngram, support, exposures, prevalence, q, lift, p, corrected, new ArrayList<>(f.evidence));
      table.flagged.put(ngram, f);
    }
  }

  private static void writeBytes(DataOutput out, byte[] bytes) throws IOException {
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  private static byte[] readBytes(DataInput in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > (64 << 20)) {
      throw new IOException("corrupt TriggerMiner state: block of " + length + " bytes");
    }
    byte[] bytes = new byte[length];
    in.readFully(bytes);
    return bytes;
  }
}
