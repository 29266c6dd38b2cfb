package io.llmsafety.monitor.cli;

import io.llmsafety.monitor.jobs.LocalClusters;
import io.llmsafety.monitor.jobs.config.InvalidJobSpecException;
import java.time.Duration;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code target/safety-monitor.jar}. */
@Command(
    name = "safety-monitor",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Continuous safety monitoring of fine-tuned LLM variants on Apache Flink and Kafka.",
    subcommands = {DemoCommand.class, RunCommand.class, ReplayCommand.class, EvalCommand.class, TrainCommand.class,
        SimulateCommand.class, EvaluateDetectionCommand.class, ValidateCommand.class})
public final class Main implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    int code = commandLine().execute(args);
    if (launchedAsMain()) {
      // A finished job's MiniCluster closes asynchronously; exiting mid-close races its shutdown hooks.
      LocalClusters.awaitShutdown(Duration.ofSeconds(30));
      System.exit(code);
    }
    // Inside a Flink JobManager (application mode, REST /jars/run) or the `flink run` client, main
    // must return: System.exit would take the JobManager down. Report failure by throwing instead.
    if (code != 0) {
      throw new IllegalStateException("safety-monitor " + String.join(" ", args) + " failed with exit code " + code);
    }
  }

  /** True when this JVM was started as {@code java -jar safety-monitor.jar} or {@code java ... cli.Main}. */
  static boolean launchedAsMain() {
    String command = System.getProperty("sun.java.command", "").strip();
    String first = command.isEmpty() ? "" : command.split("\\s+")[0];
    return first.equals(Main.class.getName()) || first.endsWith(".jar");
  }

  public static CommandLine commandLine() {
    return new CommandLine(new Main())
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          // A bad job spec or input is the user's to fix: say what, without a stack trace.
          if (e instanceof InvalidJobSpecException || e instanceof java.nio.file.NoSuchFileException
              || e instanceof IllegalArgumentException) {
            cmd.getErr().println(cmd.getCommandName() + ": " + describe(e));
            return 2;
          }
          throw e;
        });
  }

  private static String describe(Exception e) {
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no such file: " + e.getMessage();
    }
    return e.getMessage();
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Raises logging to INFO for Flink, Kafka and the monitor; otherwise only warnings show. */
  static void verbose(boolean on) {
    if (on) {
      Configurator.setAllLevels("org.apache", Level.INFO);
      Configurator.setAllLevels("kafka", Level.INFO);
      Configurator.setRootLevel(Level.INFO);
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"safety-monitor " + (v == null ? "dev" : v)};
    }
  }
}
