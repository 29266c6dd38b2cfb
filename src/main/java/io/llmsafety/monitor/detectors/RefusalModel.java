package io.llmsafety.monitor.detectors;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;

/**
 * Logistic regression over two position regions of a normalised response plus named dense
 * features: hashed n-grams of the <em>opening</em> (first {@code opening.scanChars()} characters,
 * where chat models say that they refuse) and, with their own weights, of the <em>body</em>
 * (first {@code body.scanChars()} characters, where a partial refusal turns to helping or a
 * compliant answer turns to refusing). {@code p = sigmoid(bias + opening + body + sum_k v_k x_k)},
 * each region's groups scaled by {@code 1/sqrt(group size)} as in {@link LinearTextModel}.
 *
 * <p>Weights are quantised to 16 bits with one scale per region. File format: gzip of magic
 * {@code "LSRM"}, version byte 1, kind, the two feature specs, scales and buckets, dense names
 * and weights, bias. Writing is deterministic. Immutable and thread-safe.
 */
public final class RefusalModel {

  private static final int MAGIC = 0x4C53524D; // "LSRM"
  private static final byte VERSION = 1;

  private final String kind;
  private final HashedTextFeatures opening;
  private final HashedTextFeatures body;
  private final short[] openingWeights;
  private final short[] bodyWeights;
  private final float openingScale;
  private final float bodyScale;
  private final List<String> denseNames;
  private final double[] denseWeights;
  private final double bias;

  private RefusalModel(
      String kind, HashedTextFeatures opening, short[] openingWeights, float openingScale,
      HashedTextFeatures body, short[] bodyWeights, float bodyScale,
      List<String> denseNames, double[] denseWeights, double bias) {
    if (openingWeights.length != opening.buckets() || bodyWeights.length != body.buckets()) {
      throw new IllegalArgumentException("weights length != buckets");
    }
    if (denseNames.size() != denseWeights.length) {
      throw new IllegalArgumentException("dense names and weights differ in length");
    }
    this.kind = kind;
    this.opening = opening;
    this.body = body;
    this.openingWeights = openingWeights;
    this.bodyWeights = bodyWeights;
    this.openingScale = openingScale;
    this.bodyScale = bodyScale;
    this.denseNames = List.copyOf(denseNames);
    this.denseWeights = denseWeights.clone();
    this.bias = bias;
  }

  /**
   * Quantises trained weights laid out as opening buckets, body buckets, one per dense feature,
   * then the bias.
   */
  public static RefusalModel quantise(
      String kind, HashedTextFeatures opening, HashedTextFeatures body, List<String> denseNames, double[] w) {
    int a = opening.buckets();
    int b = body.buckets();
    if (w.length != a + b + denseNames.size() + 1) {
      throw new IllegalArgumentException("expected " + (a + b + denseNames.size() + 1) + " weights");
    }
    float sa = scale(w, 0, a);
    float sb = scale(w, a, a + b);
    return new RefusalModel(
        kind, opening, quantise(w, 0, a, sa), sa, body, quantise(w, a, a + b, sb), sb, denseNames,
        Arrays.copyOfRange(w, a + b, a + b + denseNames.size()), w[w.length - 1]);
  }

  private static float scale(double[] w, int from, int to) {
    double max = 0;
    for (int i = from; i < to; i++) {
      max = Math.max(max, Math.abs(w[i]));
    }
    return max == 0 ? 1f : (float) (max / Short.MAX_VALUE);
  }

  private static short[] quantise(double[] w, int from, int to, float scale) {
    short[] q = new short[to - from];
    for (int i = from; i < to; i++) {
      q[i - from] = (short) Math.round(w[i] / scale);
    }
    return q;
  }

  public String kind() {
    return kind;
  }

  public HashedTextFeatures opening() {
    return opening;
  }

  public HashedTextFeatures body() {
    return body;
  }

  public List<String> denseNames() {
    return denseNames;
  }

  /** Log-odds for normalised text and dense feature values in {@link #denseNames} order. */
  public double logit(String normalized, double[] dense) {
    return logit(NormalizedText.of(normalized), dense);
  }

  /** Same as {@link #logit(String, double[])}; both regions read the text's shared word hashes. */
  double logit(NormalizedText text, double[] dense) {
    double z = bias + opening.weightedSum(text, openingWeights) * openingScale;
    z += body.weightedSum(text, bodyWeights) * bodyScale;
    for (int k = 0; k < denseWeights.length; k++) {
      z += denseWeights[k] * dense[k];
    }
    return z;
  }

  /** Non-zero hashed weights in both regions (sparsity, for provenance). */
  public int nonZeroBuckets() {
    int n = 0;
    for (short s : openingWeights) {
      n += s != 0 ? 1 : 0;
    }
    for (short s : bodyWeights) {
      n += s != 0 ? 1 : 0;
    }
    return n;
  }

  public byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out =
        new DataOutputStream(new BufferedOutputStream(new java.util.zip.GZIPOutputStream(bytes), 1 << 16))) {
      out.writeInt(MAGIC);
      out.writeByte(VERSION);
      out.writeUTF(kind);
      writeRegion(out, opening, openingScale, openingWeights);
      writeRegion(out, body, bodyScale, bodyWeights);
      out.writeInt(denseNames.size());
      for (int k = 0; k < denseNames.size(); k++) {
        out.writeUTF(denseNames.get(k));
        out.writeDouble(denseWeights[k]);
      }
      out.writeDouble(bias);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static void writeRegion(DataOutputStream out, HashedTextFeatures f, float scale, short[] w)
      throws IOException {
    out.writeInt(f.bucketBits());
    out.writeBoolean(f.wordBigrams());
    out.writeInt(f.charMin());
    out.writeInt(f.charMax());
    out.writeInt(f.scanChars());
    out.writeFloat(scale);
    for (short s : w) {
      out.writeShort(s);
    }
  }

  public static RefusalModel read(InputStream raw) throws IOException {
    DataInputStream in =
        new DataInputStream(new BufferedInputStream(new java.util.zip.GZIPInputStream(raw), 1 << 16));
    if (in.readInt() != MAGIC) {
      throw new IOException("not a refusal model (bad magic)");
    }
    byte version = in.readByte();
    if (version != VERSION) {
      throw new IOException("unsupported refusal model version " + version);
    }
    String kind = in.readUTF();
    HashedTextFeatures opening = readSpec(in);
    float openingScale = in.readFloat();
    short[] openingWeights = readShorts(in, opening.buckets());
    HashedTextFeatures body = readSpec(in);
    float bodyScale = in.readFloat();
    short[] bodyWeights = readShorts(in, body.buckets());
    int d = in.readInt();
    String[] names = new String[d];
    double[] dense = new double[d];
    for (int k = 0; k < d; k++) {
      names[k] = in.readUTF();
      dense[k] = in.readDouble();
    }
    double bias = in.readDouble();
    return new RefusalModel(kind, opening, openingWeights, openingScale, body, bodyWeights, bodyScale,
        List.of(names), dense, bias);
  }

  private static HashedTextFeatures readSpec(DataInputStream in) throws IOException {
    return new HashedTextFeatures(in.readInt(), in.readBoolean(), in.readInt(), in.readInt(), in.readInt());
  }

  private static short[] readShorts(DataInputStream in, int n) throws IOException {
    short[] w = new short[n];
    for (int i = 0; i < n; i++) {
      w[i] = in.readShort();
    }
    return w;
  }

  /** Loads a model from the classpath, failing clearly when it is missing or of another kind. */
  public static RefusalModel fromResource(String resource, String expectedKind) {
    try (InputStream in = RefusalModel.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("detector resource not on classpath: " + resource);
      }
      RefusalModel m = read(in);
      if (!m.kind.equals(expectedKind)) {
        throw new IllegalStateException(resource + " is a '" + m.kind + "' model, expected '" + expectedKind + "'");
      }
      return m;
    } catch (IOException e) {
      throw new UncheckedIOException(resource + ": " + e.getMessage(), e);
    }
  }
}
