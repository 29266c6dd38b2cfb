package io.llmsafety.monitor.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsafety.monitor.sim.EmbeddedKafka;
import io.llmsafety.monitor.sim.TrafficSimulator;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar on a real standalone Flink cluster: a JobManager and a TaskManager as separate JVMs
 * on loopback, the jar submitted over Flink's REST API (/jars/upload, /jars/:id/run) as an operator
 * or CI would, against the in-JVM Kafka broker of this test. Runs in the integration-test phase
 * (failsafe), after `package` built target/safety-monitor.jar.
 *
 * <p>The cluster's classpath is Flink's own jars (from this test's classpath, without the project's
 * classes, Kafka or the connector), so the job's classes come from the uploaded jar through Flink's
 * user-code class loader, as on a real cluster.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class StandaloneClusterITCase {

  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  static final long START = 1_793_577_600_000L;
  static final int EVENTS = 6_000;

  @TempDir
  static Path tmp;
  static EmbeddedKafka kafka;
  static final List<Process> processes = new ArrayList<>();
  static String rest;
  static Path jobSpec;
  static int metricsPort;

  @BeforeAll
  static void startClusterAndKafka() throws Exception {
    Path jar = Path.of(System.getProperty("safety-monitor.jar", "target/safety-monitor.jar"));
    assertThat(jar).as("run `mvn package` first: the cluster test submits the shaded jar").isRegularFile();

    kafka = EmbeddedKafka.start();
    Map<String, Integer> topics = new LinkedHashMap<>();
    topics.put("llm.interactions", 2);
    topics.put("llm.safety.alerts", 1);
    topics.put("llm.safety.dead-letter", 1);
    topics.put("llm.safety.window-metrics", 1);
    kafka.createTopics(topics);

    metricsPort = freePort();
    jobSpec = tmp.resolve("job.yaml");
    Files.writeString(jobSpec, ItJobSpec.yaml("cluster-it-safety-monitor", kafka.bootstrapServers(), "cluster-it-" + UUID.randomUUID(), metricsPort));

    Path conf = Files.createDirectories(tmp.resolve("conf"));
    Path work = Files.createDirectories(tmp.resolve("work"));
    int restPort = freePort();
    rest = "http://127.0.0.1:" + restPort;
    Files.writeString(conf.resolve("config.yaml"), """
        jobmanager.rpc.address: 127.0.0.1
        jobmanager.bind-host: 127.0.0.1
        jobmanager.rpc.port: %d
        jobmanager.memory.process.size: 768m
        taskmanager.host: 127.0.0.1
        taskmanager.bind-host: 127.0.0.1
        taskmanager.numberOfTaskSlots: 2
        taskmanager.memory.process.size: 1280m
        # Flink's start scripts derive these from process.size (BashJavaUtils) and pass them as -D;
        # launched directly, the TaskManager needs them spelled out. They add up to 1280m with the
        # 256m metaspace and 192m JVM overhead, and give the -Xmx / direct memory used below.
        taskmanager.cpu.cores: 2.0
        taskmanager.memory.framework.heap.size: 128m
        taskmanager.memory.task.heap.size: 256m
        taskmanager.memory.framework.off-heap.size: 128m
        taskmanager.memory.task.off-heap.size: 0m
        taskmanager.memory.network.min: 64m
        taskmanager.memory.network.max: 64m
        taskmanager.memory.managed.size: 256m
        taskmanager.memory.jvm-metaspace.size: 256m
        taskmanager.memory.jvm-overhead.min: 192m
        taskmanager.memory.jvm-overhead.max: 192m
        rest.address: 127.0.0.1
        rest.bind-address: 127.0.0.1
        rest.port: %d
        parallelism.default: 2
        restart-strategy.type: none
        io.tmp.dirs: %s
        web.upload.dir: %s
        """.formatted(freePort(), restPort, work, work));
    Files.writeString(conf.resolve("log4j.properties"), """
        rootLogger.level = WARN
        rootLogger.appenderRef.console.ref = Console
        appender.console.name = Console
        appender.console.type = Console
        appender.console.layout.type = PatternLayout
        appender.console.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} - %m%n
        logger.job.name = io.llmsafety
        logger.job.level = INFO
        """);

    long t0 = System.nanoTime();
    String classpath = flinkClasspath();
    // JobManager 768m: heap as Flink derives it for that process size; TaskManager: framework + task heap.
    processes.add(launch("jobmanager", classpath, conf, "448m", "256m",
        "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint"));
    processes.add(launch("taskmanager", classpath, conf, "384m", "192m", "org.apache.flink.runtime.taskexecutor.TaskManagerRunner"));
    await("a registered TaskManager", Duration.ofSeconds(60),
        () -> get("/taskmanagers").path("taskmanagers").size() >= 1);
    phase("cluster", t0);
  }

  @AfterAll
  static void stopClusterAndKafka() throws Exception {
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
    }
    for (Process p : processes) {
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void shouldRunTheSubmittedJarAndPublishAlerts() throws Exception {
    Path jar = Path.of(System.getProperty("safety-monitor.jar", "target/safety-monitor.jar"));
    long t0 = System.nanoTime();
    String jarId = upload(jar);
    phase("upload", t0);
    JsonNode run = post("/jars/" + jarId + "/run", JSON.createObjectNode()
        .put("entryClass", "io.llmsafety.monitor.cli.Main")
        .set("programArgsList", JSON.valueToTree(List.of("run", "--job", jobSpec.toString()))));
    String jobId = run.path("jobid").asText();
    assertThat(jobId).as("run response %s", run).matches("[0-9a-f]{32}");
    phase("run", t0);
    await("job RUNNING", Duration.ofSeconds(60), () -> {
      String state = get("/jobs/" + jobId).path("state").asText();
      if (state.equals("FAILED") || state.equals("CANCELED")) {
        throw new AssertionError("job " + state + ": " + get("/jobs/" + jobId + "/exceptions"));
      }
      return state.equals("RUNNING");
    });

    phase("running", t0);
    produce(traffic());
    phase("produced", t0);
    List<JsonNode> alerts = consumeAlerts(a -> a.size() >= 2, Duration.ofSeconds(90), jobId);
    phase("alerts", t0);

    assertThat(alerts).extracting(a -> a.path("variant_id").asText()).containsOnly("cluster-degrading");
    assertThat(alerts).extracting(a -> a.path("status").asText()).containsOnly("firing");
    assertThat(alerts).extracting(a -> a.path("kind").asText()).containsExactlyInAnyOrder("refusal_drop", "harm_rise");
    // The TaskManager (the only JVM running operators) serves the domain metrics; the JobManager
    // that ran `run` does not hold the port.
    String metrics = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
    assertThat(metrics).contains("llm_safety_events_total{model_variant=\"cluster-degrading\",segment=\"risky\"}",
        "llm_safety_alerts_total{kind=\"refusal_drop\"");
    JsonNode vertices = get("/jobs/" + jobId).path("vertices");
    assertThat(vertices.size()).isGreaterThan(1);
    assertThat(get("/jobs/" + jobId).path("state").asText()).isEqualTo("RUNNING");

    HTTP.send(HttpRequest.newBuilder(URI.create(rest + "/jobs/" + jobId + "?mode=cancel"))
        .method("PATCH", HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.discarding());
    await("job CANCELED", Duration.ofSeconds(30), () -> get("/jobs/" + jobId).path("state").asText().equals("CANCELED"));
  }

  static void phase(String name, long t0) {
    System.out.printf("cluster-it %-9s +%d ms%n", name, (System.nanoTime() - t0) / 1_000_000);
  }

  /** A healthy and a degrading variant (refusals collapse half way), as in SafetyPipelineITCase. */
  static List<String> traffic() {
    TrafficSimulator sim = new TrafficSimulator(11, List.of(
        TrafficSimulator.VariantProfile.healthy("cluster-healthy", "base-a"),
        new TrafficSimulator.VariantProfile("cluster-degrading", "base-a", TrafficSimulator.NORMAL,
            new TrafficSimulator.Behaviour(0.15, 0.2, 0.01), 0.5, null, 2, 0)),
        START, 100, EVENTS);
    List<String> out = new ArrayList<>();
    sim.forEachRemaining(out::add);
    return out;
  }

  // ---- processes ----

  /** Flink's jars from this test's classpath: no project classes, no Kafka, no test tooling. */
  static String flinkClasspath() {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> kept = Stream.of(cp.split(File.pathSeparator))
        .filter(e -> !e.isBlank())
        .filter(e -> !e.contains(File.separator + "target" + File.separator))
        .filter(e -> {
          String name = Path.of(e).getFileName().toString();
          return !(name.startsWith("kafka") || name.startsWith("flink-connector-kafka") || name.startsWith("scala")
              || name.startsWith("junit") || name.startsWith("assertj") || name.startsWith("archunit")
              || name.startsWith("helm-java") || name.startsWith("lib-api") || name.startsWith("linux-")
              || name.startsWith("jna") || name.startsWith("opentest4j") || name.startsWith("flink-test-utils"));
        })
        .collect(Collectors.toList());
    assertThat(kept).anyMatch(e -> e.contains("flink-runtime-web")).anyMatch(e -> e.contains("flink-runtime-2"));
    return String.join(File.pathSeparator, kept);
  }

  static Process launch(String name, String classpath, Path conf, String heap, String direct, String mainClass) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + heap, "-Xms" + heap, "-XX:MaxDirectMemorySize=" + direct, "-XX:MaxMetaspaceSize=256m",
        // Startup dominates this small test on 2 cores: C1 only and the serial collector start faster.
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-Dlog4j.configurationFile=" + conf.resolve("log4j.properties").toUri(),
        "-Dlog.file=" + tmp.resolve(name + ".log"),
        // What Flink's scripts pass on Java 17 (env.java.default-opts.all of its config.yaml).
        "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
        "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
        "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "--add-opens=java.base/java.net=ALL-UNNAMED",
        "--add-opens=java.base/java.io=ALL-UNNAMED",
        "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
        "--add-opens=java.base/java.text=ALL-UNNAMED",
        "--add-opens=java.base/java.time=ALL-UNNAMED",
        "--add-opens=java.base/java.util=ALL-UNNAMED",
        "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
        "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
        "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED",
        "-cp", classpath, mainClass, "--configDir", conf.toString()));
    return new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(tmp.resolve(name + ".out").toFile())
        .start();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  // ---- REST ----

  static JsonNode get(String path) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(rest + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body());
  }

  static JsonNode post(String path, JsonNode body) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(rest + path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
        .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("POST %s: %s", path, r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  /** Multipart upload as {@code curl -F jarfile=@safety-monitor.jar}; returns the jar id. */
  static String upload(Path jar) throws IOException, InterruptedException {
    String boundary = "----safety-monitor-" + UUID.randomUUID();
    String head = "--" + boundary + "\r\n"
        + "Content-Disposition: form-data; name=\"jarfile\"; filename=\"safety-monitor.jar\"\r\n"
        + "Content-Type: application/x-java-archive\r\n\r\n";
    String tail = "\r\n--" + boundary + "--\r\n";
    HttpRequest request = HttpRequest.newBuilder(URI.create(rest + "/jars/upload"))
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.concat(
            HttpRequest.BodyPublishers.ofString(head, StandardCharsets.UTF_8),
            HttpRequest.BodyPublishers.ofFile(jar),
            HttpRequest.BodyPublishers.ofString(tail, StandardCharsets.UTF_8)))
        .timeout(Duration.ofSeconds(60)).build();
    HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("upload: %s", r.body()).isEqualTo(200);
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.path("status").asText()).isEqualTo("success");
    String filename = body.path("filename").asText();
    return Path.of(filename).getFileName().toString();
  }

  interface Check {
    boolean ok() throws Exception;
  }

  static void await(String what, Duration timeout, Check check) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try {
        if (check.ok()) {
          return;
        }
      } catch (IOException e) {
        last = e; // not listening yet
      }
      for (Process p : processes) {
        if (!p.isAlive()) {
          throw new AssertionError("a Flink process exited with " + p.exitValue() + " while waiting for " + what + logs());
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError("timed out waiting for " + what + (last == null ? "" : " (" + last + ")") + logs());
  }

  static String logs() {
    StringBuilder sb = new StringBuilder();
    for (String name : List.of("jobmanager", "taskmanager")) {
      for (String suffix : List.of(".out", ".log")) {
        Path f = tmp.resolve(name + suffix);
        try {
          if (Files.exists(f)) {
            List<String> lines = Files.readAllLines(f);
            sb.append("\n--- ").append(f.getFileName()).append(" (last 40 lines) ---\n")
                .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
          }
        } catch (IOException e) {
          sb.append("\n(").append(f).append(": ").append(e).append(')');
        }
      }
    }
    return sb.toString();
  }

  // ---- Kafka ----

  static void produce(List<String> lines) {
    KafkaTestClients.produce(kafka.bootstrapServers(), "llm.interactions", lines);
  }

  static List<JsonNode> consumeAlerts(Predicate<List<JsonNode>> done, Duration timeout, String jobId) throws Exception {
    Properties props = KafkaTestClients.readCommitted(kafka.bootstrapServers(), "cluster-it-reader-" + UUID.randomUUID());
    List<JsonNode> alerts = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      consumer.subscribe(List.of("llm.safety.alerts"));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!done.test(alerts)) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("alerts so far " + alerts + "; job " + get("/jobs/" + jobId).path("state") + logs());
        }
        for (var record : consumer.poll(Duration.ofMillis(500))) {
          alerts.add(JSON.readTree(record.value()));
        }
      }
      // A little longer: a duplicate alert would show up here.
      long extra = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
      while (System.nanoTime() < extra) {
        for (var record : consumer.poll(Duration.ofMillis(500))) {
          alerts.add(JSON.readTree(record.value()));
        }
      }
    }
    return alerts;
  }
}
