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
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * A logistic-regression model over {@link HashedTextFeatures} of one text plus a few named dense
 * features: {@code p = sigmoid(bias + sum_g (1/sqrt(n_g)) sum w[bucket]*sign + sum_k v_k*x_k)}.
 *
 * <p>Hashed weights are stored quantised to 16 bits with one scale ({@code w = q * scale}), which
 * bounds the error of each weight by {@code scale/2}; with the usual scale (max |w| / 32767) the
 * score moves by well under 1e-3. File format: gzip of magic {@code "LSLM"}, version byte 1,
 * kind, feature spec, dense names and weights, bias, scale, then all buckets as shorts. Writing
 * is deterministic (Java's gzip header carries no timestamp), so the same weights give the same
 * bytes. Immutable and thread-safe.
 */
public final class LinearTextModel {

  private static final int MAGIC = 0x4C534C4D; // "LSLM"
  private static final byte VERSION = 1;

  private final String kind;
  private final HashedTextFeatures features;
  private final short[] weights;
  private final float scale;
  private final List<String> denseNames;
  private final double[] denseWeights;
  private final double bias;

  private LinearTextModel(
      String kind, HashedTextFeatures features, short[] weights, float scale,
      List<String> denseNames, double[] denseWeights, double bias) {
    if (weights.length != features.buckets()) {
      throw new IllegalArgumentException("weights length " + weights.length + " != buckets");
    }
    if (denseNames.size() != denseWeights.length) {
      throw new IllegalArgumentException("dense names and weights differ in length");
    }
    this.kind = kind;
    this.features = features;
    this.weights = weights;
    this.scale = scale;
    this.denseNames = List.copyOf(denseNames);
    this.denseWeights = denseWeights.clone();
    this.bias = bias;
  }

  /**
   * Quantises trained weights: {@code w} holds the hashed weights, then one per dense feature,
   * then the bias ({@code w.length == buckets + denseNames.size() + 1}).
   */
  public static LinearTextModel quantise(
      String kind, HashedTextFeatures features, List<String> denseNames, double[] w) {
    int b = features.buckets();
    if (w.length != b + denseNames.size() + 1) {
      throw new IllegalArgumentException("expected " + (b + denseNames.size() + 1) + " weights");
    }
    double max = 0;
    for (int i = 0; i < b; i++) {
      max = Math.max(max, Math.abs(w[i]));
    }
    float scale = max == 0 ? 1f : (float) (max / Short.MAX_VALUE);
    short[] q = new short[b];
    for (int i = 0; i < b; i++) {
      q[i] = (short) Math.round(w[i] / scale);
    }
    return new LinearTextModel(
        kind, features, q, scale, denseNames,
        Arrays.copyOfRange(w, b, b + denseNames.size()), w[w.length - 1]);
  }

  public String kind() {
    return kind;
  }

  public HashedTextFeatures features() {
    return features;
  }

  public List<String> denseNames() {
    return denseNames;
  }

  /** Log-odds for normalised text and dense feature values in {@link #denseNames} order. */
  public double logit(String normalized, double[] dense) {
    return logit(NormalizedText.of(normalized), dense);
  }

  double logit(NormalizedText normalized, double[] dense) {
    double z = bias + features.weightedSum(normalized, weights) * scale;
    for (int k = 0; k < denseWeights.length; k++) {
      z += denseWeights[k] * dense[k];
    }
    return z;
  }

  public static double sigmoid(double z) {
    return 1.0 / (1.0 + Math.exp(-z));
  }

  /** Number of hashed buckets with a non-zero weight (model sparsity, for provenance). */
  public int nonZeroBuckets() {
    int n = 0;
    for (short s : weights) {
      n += s != 0 ? 1 : 0;
    }
    return n;
  }

  public byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new GZIPOutputStream(bytes), 1 << 16))) {
      out.writeInt(MAGIC);
      out.writeByte(VERSION);
      out.writeUTF(kind);
      out.writeInt(features.bucketBits());
      out.writeBoolean(features.wordBigrams());
      out.writeInt(features.charMin());
      out.writeInt(features.charMax());
      out.writeInt(features.scanChars());
      out.writeInt(denseNames.size());
      for (int k = 0; k < denseNames.size(); k++) {
        out.writeUTF(denseNames.get(k));
        out.writeDouble(denseWeights[k]);
      }
      out.writeDouble(bias);
      out.writeFloat(scale);
      for (short s : weights) {
        out.writeShort(s);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  public static LinearTextModel read(InputStream raw) throws IOException {
    DataInputStream in = new DataInputStream(new BufferedInputStream(new GZIPInputStream(raw), 1 << 16));
    if (in.readInt() != MAGIC) {
      throw new IOException("not a linear text model (bad magic)");
    }
    byte version = in.readByte();
    if (version != VERSION) {
      throw new IOException("unsupported linear text model version " + version);
    }
    String kind = in.readUTF();
    HashedTextFeatures f =
        new HashedTextFeatures(in.readInt(), in.readBoolean(), in.readInt(), in.readInt(), in.readInt());
    int d = in.readInt();
    String[] names = new String[d];
    double[] dense = new double[d];
    for (int k = 0; k < d; k++) {
      names[k] = in.readUTF();
      dense[k] = in.readDouble();
    }
    double bias = in.readDouble();
    float scale = in.readFloat();
    short[] w = new short[f.buckets()];
    for (int i = 0; i < w.length; i++) {
      w[i] = in.readShort();
    }
    return new LinearTextModel(kind, f, w, scale, List.of(names), dense, bias);
  }

  /** Loads a model from the classpath, failing clearly when it is missing or of another kind. */
  public static LinearTextModel fromResource(String resource, String expectedKind) {
    try (InputStream in = LinearTextModel.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("detector resource not on classpath: " + resource);
      }
      LinearTextModel m = read(in);
      if (!m.kind.equals(expectedKind)) {
        throw new IllegalStateException(resource + " is a '" + m.kind + "' model, expected '" + expectedKind + "'");
      }
      return m;
    } catch (IOException e) {
      throw new UncheckedIOException(resource + ": " + e.getMessage(), e);
    }
  }
}
