package io.ssebroker.bench;

import picocli.CommandLine;

/** {@code java -jar sse-broker-loadgen.jar [options]}: the load generator of the benchmarks, on its own. */
public final class LoadgenMain {
    private LoadgenMain() {
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return new CommandLine(new BenchCommand()).setCommandName("sse-broker-loadgen");
    }
}
