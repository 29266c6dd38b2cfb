package io.llmsafety.monitor.cli;

/** Entry point of {@code target/safety-monitor.jar}. */
public final class Main {
  public static void main(String[] args) {
    throw new UnsupportedOperationException("CLI is being built");
  }
}
