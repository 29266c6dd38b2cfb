package io.llmsafety.monitor.detectors;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Events and positives of a rate test's current run by the events' {@code tenant}, so an alert
 * can show whether a rise is spread over the variant's traffic or comes from one tenant (a new
 * customer whose prompts the model treats differently changes the mix, not the model). The first
 * {@link #MAX_TENANTS} tenants of a run are counted by name, later ones together as {@link
 * #OTHERS}; events without a tenant under {@link #NONE}.
 */
final class TenantTally {

  static final int MAX_TENANTS = 16;
  /** Tenant names are cut to this many characters (they are ids; this bounds the state). */
  static final int MAX_NAME_CHARS = 128;
  /** Key of events whose tenant is not given. */
  static final String NONE = "";
  /** Key of the tenants beyond {@link #MAX_TENANTS}; not a possible tenant name (starts with NUL). */
  static final String OTHERS = "\u0000others";
  /** How {@link #OTHERS} is reported. */
  static final String OTHERS_NAME = "(others)";

  private final Map<String, long[]> counts = new LinkedHashMap<>();

  void add(String tenant, boolean positive) {
    String key = tenant == null ? NONE
        : tenant.length() > MAX_NAME_CHARS ? tenant.substring(0, MAX_NAME_CHARS) : tenant;
    long[] c = counts.get(key);
    if (c == null) {
      key = counts.size() < MAX_TENANTS ? key : OTHERS;
      c = counts.computeIfAbsent(key, k -> new long[2]);
    }
    c[0]++;
    c[1] += positive ? 1 : 0;
  }

  void clear() {
    counts.clear();
  }

  /**
   * The {@code limit} tenants with the most positives (then the most events), each with its events
   * and positives in the run. {@code tenant} is null for events without one and {@link
   * #OTHERS_NAME} for the tenants past the first {@link #MAX_TENANTS}.
   */
  List<DetectorSignal.TenantShare> top(int limit) {
    List<DetectorSignal.TenantShare> out = new ArrayList<>(counts.size());
    for (Map.Entry<String, long[]> e : counts.entrySet()) {
      String name = switch (e.getKey()) {
        case NONE -> null;
        case OTHERS -> OTHERS_NAME;
        default -> e.getKey();
      };
      out.add(new DetectorSignal.TenantShare(name, e.getValue()[0], e.getValue()[1]));
    }
    out.sort(Comparator.comparingLong(DetectorSignal.TenantShare::positives)
        .thenComparingLong(DetectorSignal.TenantShare::events).reversed());
    return out.size() > limit ? List.copyOf(out.subList(0, limit)) : List.copyOf(out);
  }

  void writeTo(DataOutput out) throws IOException {
    out.writeInt(counts.size());
    for (Map.Entry<String, long[]> e : counts.entrySet()) {
      out.writeUTF(e.getKey());
      out.writeLong(e.getValue()[0]);
      out.writeLong(e.getValue()[1]);
    }
  }

  void readFrom(DataInput in) throws IOException {
    clear();
    int n = in.readInt();
    if (n < 0 || n > MAX_TENANTS + 1) {
      throw new IOException("corrupt tenant tally: " + n + " tenants");
    }
    for (int i = 0; i < n; i++) {
      counts.put(in.readUTF(), new long[] {in.readLong(), in.readLong()});
    }
  }
}
