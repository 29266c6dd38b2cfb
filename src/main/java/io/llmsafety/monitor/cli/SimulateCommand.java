package io.llmsafety.monitor.cli;

import io.llmsafety.monitor.sim.TrafficSimulator;
import java.io.BufferedWriter;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.zip.GZIPOutputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Writes the demo's simulated traffic to a JSONL file, for {@code replay} and benchmarks. */
@Command(name = "simulate", mixinStandardHelpOptions = true,
    description = "Write simulated traffic (the demo's three variants) as input-event JSONL (.gz compresses).")
final class SimulateCommand implements Callable<Integer> {

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output file (.jsonl or .jsonl.gz).")
  Path out;

  @Option(names = "--events", defaultValue = "100000", description = "Number of events. Default: ${DEFAULT-VALUE}.")
  long events;

  @Option(names = "--gap-ms", defaultValue = "100", description = "Event-time gap between events in ms. Default: ${DEFAULT-VALUE}.")
  long gapMillis;

  @Option(names = "--start", defaultValue = "1793577600000", description = "Event time of the first event, epoch ms. Default: ${DEFAULT-VALUE} (2026-11-02T00:00Z).")
  long start;

  @Option(names = "--seed", defaultValue = "42", description = "Seed. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Override
  public Integer call() throws Exception {
    TrafficSimulator sim = new TrafficSimulator(seed, TrafficSimulator.demoVariants(), start, gapMillis, events);
    OutputStream raw = Files.newOutputStream(out);
    if (out.toString().endsWith(".gz")) {
      raw = new GZIPOutputStream(raw, 1 << 16);
    }
    try (BufferedWriter w = new BufferedWriter(new OutputStreamWriter(raw, StandardCharsets.UTF_8), 1 << 16)) {
      while (sim.hasNext()) {
        w.write(sim.next());
        w.newLine();
      }
    }
    System.err.printf("simulate: wrote %,d events to %s%n", events, out);
    return 0;
  }
}
