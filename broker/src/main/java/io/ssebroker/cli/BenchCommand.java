package io.ssebroker.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code bench ...}: runs the load generator, which is a jar of its own ({@code sse-broker-loadgen.jar}, built with
 * the broker by {@code mvn package}) so that the broker's jar carries none of its code. Its arguments go to the load
 * generator unchanged ({@code bench --help} prints the load generator's), on the Java runtime that runs this command,
 * with this process's standard input and output; the exit status is the load generator's.
 */
@Command(name = "bench", description = "run the load generator (sse-broker-loadgen.jar) with these arguments; "
        + "'bench --help' lists them")
final class BenchCommand implements Callable<Integer> {
    static final String JAR_VARIABLE = "SSE_BROKER_LOADGEN_JAR";
    private static final String JAR_NAME = "sse-broker-loadgen.jar";

    @CommandLine.Unmatched
    List<String> arguments = new ArrayList<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Optional<Path> jar = loadGenerator(System.getenv(JAR_VARIABLE), BrokerJar.path().map(Path::getParent));
        if (jar.isEmpty()) {
            spec.commandLine().getErr().println("bench: the load generator is not here: set " + JAR_VARIABLE
                    + " to its jar, or build it from the sources (mvn -B package makes loadgen/target/" + JAR_NAME
                    + "); the packages do not install it");
            return Main.CONFIG_ERROR;
        }
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.get().toString()));
        command.addAll(arguments);
        Process loadGenerator = new ProcessBuilder(command).inheritIO().start();
        try {
            return loadGenerator.waitFor();
        } finally {
            loadGenerator.destroy(); // interrupted: the load generator does not outlive this command
        }
    }

    /**
     * Where the load generator's jar is: the variable's path when it is set (an error if nothing is there), else next
     * to the broker's jar, else where a build of the sources puts it beside {@code broker/target/}.
     */
    static Optional<Path> loadGenerator(String variable, Optional<Path> brokerJarDirectory) {
        if (variable != null && !variable.isBlank()) {
            return Optional.of(Path.of(variable)).filter(Files::isRegularFile);
        }
        return brokerJarDirectory.flatMap(directory -> List.of(directory.resolve(JAR_NAME),
                        directory.resolve("../../loadgen/target/" + JAR_NAME).normalize()).stream()
                .filter(Files::isRegularFile).findFirst());
    }
}
