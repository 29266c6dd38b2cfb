package io.llmsafety.monitor.detectors;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/** TEMPORARY placeholder until the real implementation merges. */
public final class BernoulliCusum {
  public enum Transition { NONE, FIRED, CLEARED }
  private final double p0, p1, h, up, down;
  private double s; private boolean alarmed; private long n, k;
  private BernoulliCusum(double p0, double p1, double h) { this.p0=p0; this.p1=p1; this.h=h; up=Math.log(p1/p0); down=Math.log((1-p1)/(1-p0)); }
  public static BernoulliCusum create(double p0, double p1, double h) { return new BernoulliCusum(p0,p1,h); }
  public static double thresholdForArl0(double arl0) { return Math.log(arl0); }
  public Transition update(boolean x) {
    n++; if (x) k++;
    s = Math.max(0, s + (x ? up : down));
    if (alarmed) { s = Math.min(s, 2*h); if (s == 0) { alarmed = false; return Transition.CLEARED; } return Transition.NONE; }
    if (s >= h) { alarmed = true; return Transition.FIRED; }
    return Transition.NONE;
  }
  public double statistic() { return s; }
  public double threshold() { return h; }
  public double p0() { return p0; }
  public double p1() { return p1; }
  public boolean alarmed() { return alarmed; }
  public long observations() { return n; }
  public long positives() { return k; }
  public void writeTo(DataOutput out) throws IOException { out.writeByte(1); out.writeDouble(p0); out.writeDouble(p1); out.writeDouble(h); out.writeDouble(s); out.writeBoolean(alarmed); out.writeLong(n); out.writeLong(k);}
  public static BernoulliCusum readFrom(DataInput in) throws IOException { in.readByte(); BernoulliCusum c = new BernoulliCusum(in.readDouble(), in.readDouble(), in.readDouble()); c.s=in.readDouble(); c.alarmed=in.readBoolean(); c.n=in.readLong(); c.k=in.readLong(); return c; }
}
