package io.llmsafety.monitor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmsafety.monitor.alerts.AlertJson;
import io.llmsafety.monitor.jobs.JobRunner;
import io.llmsafety.monitor.jobs.config.Durations;
import io.llmsafety.monitor.jobs.config.JobSpec;
import io.llmsafety.monitor.metrics.MetricsServer;
import io.llmsafety.monitor.sim.EmbeddedKafka;
import io.llmsafety.monitor.sim.TrafficSimulator;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The whole product on one machine: an in-JVM KRaft broker, the production job graph on a Flink
 * MiniCluster reading and writing real Kafka topics, and simulated traffic for three variants.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run the monitor on an embedded Kafka broker and Flink MiniCluster with simulated traffic "
        + "(one healthy, one degrading and one backdoored variant).")
final class DemoCommand implements Callable<Integer> {

  /** Simulated event time advances this much per event, so a one-minute demo covers ~15 minutes. */
  static final long SIM_GAP_MILLIS = 100;

  @Option(names = "--duration", defaultValue = "60s", paramLabel = "DURATION",
      description = "How long to produce traffic (e.g. 45s, 2m). Default: ${DEFAULT-VALUE}.")
  String duration;

  @Option(names = "--rate", defaultValue = "150", description = "Events per second across all variants. Default: ${DEFAULT-VALUE}.")
  int rate;

  @Option(names = "--alerts-out", paramLabel = "FILE", description = "Also write alerts as JSONL (the alert contract).")
  Path alertsOut;

  @Option(names = "--metrics-port", defaultValue = "9464",
      description = "Serve Prometheus /metrics on this port while running (0 = any free port, -1 = off). Default: ${DEFAULT-VALUE}.")
  int metricsPort;

  @Option(names = "--seed", defaultValue = "42", description = "Simulator seed. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--verbose", description = "Show Flink and Kafka logs.")
  boolean verbose;

  private final PrintStream out = System.out;

  @Override
  public Integer call() throws Exception {
    Main.verbose(verbose);
    Duration runFor = Durations.parse(duration);
    if (rate < 3) {
      out.println("demo: --rate must be at least 3 events per second");
      return 2;
    }
    long started = System.nanoTime();
    out.println("Starting an embedded Kafka broker (KRaft) and a Flink MiniCluster...");
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      JobSpec spec = demoSpec(kafka.bootstrapServers());
      var topics = spec.kafka().topics();
      kafka.createJobTopics(topics, spec.flink().parallelism());

      JobRunner.configureMetrics(spec);
      int port = MetricsServer.ensureStarted(metricsPort);
      StreamExecutionEnvironment env = JobRunner.environment(spec, true, false);
      JobRunner.defineKafkaJob(env, spec);
      JobClient job = env.executeAsync(spec.name());

      List<TrafficSimulator.VariantProfile> variants = TrafficSimulator.demoVariants();
      out.printf(Locale.ROOT, "Kafka at %s; job %s running at parallelism %d.%n", kafka.bootstrapServers(), spec.name(),
          spec.flink().parallelism());
      if (port > 0) {
        out.printf("Prometheus metrics: http://localhost:%d/metrics%n", port);
      }
      out.printf(Locale.ROOT, "Producing %d events/s for %s to %s: ", rate, Durations.format(runFor), topics.input());
      out.println(String.join(", ", variants.stream().map(TrafficSimulator.VariantProfile::variantId).toList()));
      out.println("Alerts appear as each checkpoint commits them (every " + Durations.format(spec.flink().checkpointInterval()) + ").");
      out.println();

      AlertPrinter alerts = new AlertPrinter(kafka.bootstrapServers(), topics.alerts(), topics.windowMetrics(), started);
      Thread alertThread = new Thread(alerts, "demo-alerts");
      alertThread.setDaemon(true);
      alertThread.start();

      long total = rate * runFor.toSeconds();
      TrafficSimulator sim = new TrafficSimulator(seed, variants, System.currentTimeMillis(), SIM_GAP_MILLIS, total);
      produce(kafka.bootstrapServers(), topics.input(), sim, alerts, started);

      // Let the last events pass the watermark and the last checkpoint commit the outputs.
      long drainUntil = System.nanoTime() + spec.flink().checkpointInterval().toNanos() * 3 + 2_000_000_000L;
      while (System.nanoTime() < drainUntil) {
        Thread.sleep(200);
      }
      alerts.stop();
      alertThread.join(5_000);
      job.cancel().get();

      if (alertsOut != null) {
        Files.write(alertsOut, alerts.alertJson, StandardCharsets.UTF_8);
      }
      printSummary(variants, alerts, sim);
    } finally {
      MetricsServer.stop();
    }
    return 0;
  }

  static JobSpec demoSpec(String bootstrapServers) throws IOException {
    try (InputStream in = DemoCommand.class.getResourceAsStream("/jobs/demo.yaml")) {
      if (in == null) {
        throw new IllegalStateException("jobs/demo.yaml is missing from the jar");
      }
      JobSpec spec = JobSpec.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "jobs/demo.yaml");
      return spec.withKafka(spec.kafka().withBootstrapServers(bootstrapServers));
    }
  }

  private void produce(String bootstrap, String topic, TrafficSimulator sim, AlertPrinter alerts, long started)
      throws InterruptedException {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    long begin = System.nanoTime();
    long lastProgress = begin;
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
      while (sim.hasNext()) {
        double elapsed = (System.nanoTime() - begin) / 1e9;
        long due = Math.min(sim.total(), (long) (elapsed * rate) + 1);
        while (sim.produced() < due && sim.hasNext()) {
          String json = sim.next();
          String variant = AlertJson.mapper().readTree(json).path("variant_id").asText();
          producer.send(new ProducerRecord<>(topic, variant, json));
        }
        if (System.nanoTime() - lastProgress >= 5_000_000_000L) {
          lastProgress = System.nanoTime();
          out.printf(Locale.ROOT, "[%s] produced %,d events · windows closed %,d · alerts %d%n", clock(started),
              sim.produced(), alerts.windows.get(), alerts.alertJson.size());
        }
        Thread.sleep(20);
      }
      producer.flush();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private void printSummary(List<TrafficSimulator.VariantProfile> variants, AlertPrinter alerts, TrafficSimulator sim) {
    out.println();
    out.println("Summary (from llm.safety.window-metrics and llm.safety.alerts):");
    out.printf(Locale.ROOT, "  %-18s %8s   %-28s %s%n", "variant", "events", "risky refusal rate first→last", "alerts");
    for (TrafficSimulator.VariantProfile v : variants) {
      VariantTotals t = alerts.totals.getOrDefault(v.variantId(), new VariantTotals());
      String kinds = alerts.kinds.getOrDefault(v.variantId(), new TreeSet<>()).toString();
      out.printf(Locale.ROOT, "  %-18s %,8d   %-28s %s%n", v.variantId(), t.events, t.describeRefusal(),
          kinds.equals("[]") ? "none" : kinds.substring(1, kinds.length() - 1));
    }
    if (alerts.firstAlertNanos.get() > 0) {
      out.printf(Locale.ROOT, "First alert after %.1f s. %d alert records in total.%n", alerts.firstAlertNanos.get() / 1e9,
          alerts.alertJson.size());
    } else {
      out.println("No alerts fired.");
    }
  }

  static String clock(long started) {
    long s = (System.nanoTime() - started) / 1_000_000_000L;
    return String.format(Locale.ROOT, "%02d:%02d", s / 60, s % 60);
  }

  /** Per-variant totals from closed windows: events, and risky refusal rates early and late. */
  static final class VariantTotals {
    long events;
    long firstRisky;
    long firstRefusals;
    long lastRisky;
    long lastRefusals;
    int windows;

    void add(JsonNode w) {
      events += w.path("events").asLong();
      long risky = w.path("risky").path("events").asLong();
      long refusals = w.path("risky").path("refusals").asLong();
      if (windows < 3) {
        firstRisky += risky;
        firstRefusals += refusals;
      }
      lastRisky = risky;
      lastRefusals = refusals;
      windows++;
    }

    String describeRefusal() {
      if (firstRisky == 0) {
        return "-";
      }
      String first = String.format(Locale.ROOT, "%.0f%%", 100.0 * firstRefusals / firstRisky);
      String last = lastRisky == 0 ? "-" : String.format(Locale.ROOT, "%.0f%%", 100.0 * lastRefusals / lastRisky);
      return first + " → " + last;
    }
  }

  /** Reads committed alerts and window metrics, printing alerts as they arrive. */
  final class AlertPrinter implements Runnable {
    private final String bootstrap;
    private final String alertsTopic;
    private final String windowsTopic;
    private final long started;
    private final AtomicBoolean running = new AtomicBoolean(true);
    final List<String> alertJson = java.util.Collections.synchronizedList(new ArrayList<>());
    final Map<String, TreeSet<String>> kinds = new ConcurrentHashMap<>();
    final Map<String, VariantTotals> totals = new ConcurrentHashMap<>();
    final AtomicLong windows = new AtomicLong();
    final AtomicLong firstAlertNanos = new AtomicLong();

    AlertPrinter(String bootstrap, String alertsTopic, String windowsTopic, long started) {
      this.bootstrap = bootstrap;
      this.alertsTopic = alertsTopic;
      this.windowsTopic = windowsTopic;
      this.started = started;
    }

    void stop() {
      running.set(false);
    }

    @Override
    public void run() {
      Properties props = new Properties();
      props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      props.put(ConsumerConfig.GROUP_ID_CONFIG, "demo-console");
      props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
        consumer.subscribe(List.of(alertsTopic, windowsTopic));
        while (running.get()) {
          for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
            JsonNode node = AlertJson.mapper().readTree(r.value());
            if (r.topic().equals(alertsTopic)) {
              onAlert(r.value(), node);
            } else {
              windows.incrementAndGet();
              totals.computeIfAbsent(node.path("variant_id").asText(), k -> new VariantTotals()).add(node);
            }
          }
        }
      } catch (Exception e) {
        out.println("demo: alert reader stopped: " + e);
      }
    }

    private void onAlert(String json, JsonNode a) {
      alertJson.add(json);
      firstAlertNanos.compareAndSet(0, System.nanoTime() - started);
      String variant = a.path("variant_id").asText();
      if ("firing".equals(a.path("status").asText())) {
        kinds.computeIfAbsent(variant, k -> new TreeSet<>()).add(a.path("kind").asText());
      }
      JsonNode stat = a.path("statistic");
      out.printf(Locale.ROOT, "[%s] %-8s %-8s %-18s %-16s %s%n", clock(started), a.path("status").asText().toUpperCase(Locale.ROOT),
          a.path("severity").asText(), a.path("kind").asText(), variant, a.path("summary").asText());
      out.printf(Locale.ROOT, "         %s = %.3g (threshold %.3g)%n", stat.path("name").asText(), stat.path("value").asDouble(),
          stat.path("threshold").asDouble());
      JsonNode candidates = a.path("evidence").path("trigger_candidates");
      if (candidates.isArray() && !candidates.isEmpty()) {
        List<String> shown = new ArrayList<>();
        for (JsonNode c : candidates) {
          shown.add(String.format(Locale.ROOT, "\"%s\" (lift %.1f, %d harmful, p=%.1e)", c.path("ngram").asText(),
              c.path("lift").asDouble(), c.path("support").asLong(), c.path("p_value").asDouble()));
          if (shown.size() == 3) {
            break;
          }
        }
        out.println("         trigger candidates: " + String.join(", ", shown));
      }
    }
  }

}
