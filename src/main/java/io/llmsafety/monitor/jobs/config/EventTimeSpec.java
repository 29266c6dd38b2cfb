package io.llmsafety.monitor.jobs.config;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * Event-time handling.
 *
 * @param maxOutOfOrderness watermark lag behind the highest event time seen; later events are late
 * @param idleness a partition silent this long stops holding back the watermark
 * @param dedupHorizon how long an event_id is remembered for duplicate dropping
 * @param variantTtl per-variant state is dropped after this long without traffic
 */
public record EventTimeSpec(Duration maxOutOfOrderness, Duration idleness, Duration dedupHorizon, Duration variantTtl)
    implements Serializable {

  public EventTimeSpec {
    Objects.requireNonNull(maxOutOfOrderness, "maxOutOfOrderness");
    Objects.requireNonNull(idleness, "idleness");
    Objects.requireNonNull(dedupHorizon, "dedupHorizon");
    Objects.requireNonNull(variantTtl, "variantTtl");
  }
}
