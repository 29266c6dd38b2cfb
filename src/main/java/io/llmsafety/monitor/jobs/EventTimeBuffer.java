package io.llmsafety.monitor.jobs;

import io.llmsafety.monitor.event.ScoredEvent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.MapState;

/** Keyed state that holds events by timestamp until the watermark passes them. */
final class EventTimeBuffer {

  private EventTimeBuffer() {}

  /**
   * Removes and returns the buffered events at or before {@code watermark}, ordered by timestamp
   * and then event id, so that processing does not depend on arrival order.
   */
  static List<ScoredEvent> drainUpTo(MapState<Long, List<ScoredEvent>> buffer, long watermark) throws Exception {
    List<ScoredEvent> ready = new ArrayList<>();
    Iterator<Map.Entry<Long, List<ScoredEvent>>> it = buffer.iterator();
    while (it.hasNext()) {
      Map.Entry<Long, List<ScoredEvent>> entry = it.next();
      if (entry.getKey() <= watermark) {
        ready.addAll(entry.getValue());
        it.remove();
      }
    }
    ready.sort(Comparator.comparingLong(ScoredEvent::timestamp).thenComparing(ScoredEvent::eventId));
    return ready;
  }
}
