package io.llmsafety.monitor.cli;

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
    subcommands = {DemoCommand.class, RunCommand.class, ReplayCommand.class, EvalCommand.class, TrainCommand.class, SimulateCommand.class})
public final class Main implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    int code = commandLine().execute(args);
    System.exit(code);
  }

  public static CommandLine commandLine() {
    return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
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
