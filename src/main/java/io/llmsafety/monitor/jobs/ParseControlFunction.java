package io.llmsafety.monitor.jobs;

import io.llmsafety.monitor.event.ControlCommand;
import io.llmsafety.monitor.event.DeadLetter;
import io.llmsafety.monitor.metrics.SafetyMetrics;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/** Parses control-topic messages; unknown ones go to the dead-letter output like bad events. */
public final class ParseControlFunction extends ProcessFunction<String, ControlCommand> {

  private static final long serialVersionUID = 1L;

  @Override
  public void processElement(String record, Context ctx, Collector<ControlCommand> out) {
    Object parsed = ControlCommand.parse(record);
    if (parsed instanceof ControlCommand command) {
      out.collect(command);
    } else {
      DeadLetter d = (DeadLetter) parsed;
      SafetyMetrics.get().deadLetter(d.reason());
      ctx.output(ParseAndScoreFunction.DEAD_LETTERS, d);
    }
  }
}
