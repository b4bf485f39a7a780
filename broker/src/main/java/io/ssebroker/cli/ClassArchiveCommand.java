package io.ssebroker.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code class-archive [FILE]}: makes a class-data archive (JDK application class-data sharing) of the classes a node
 * loads, for the Java runtime that runs this command and the jar it runs from. The launcher ({@code bin/sse-broker})
 * starts the JVM on it when it is beside the jar ({@code sse-broker.jsa}) or at {@code
 * /var/cache/sse-broker/sse-broker.jsa} (where the packages make it): the node then maps those classes, parsed and
 * verified, instead of reading them from the jar, which starts it in about two thirds of the time (and a memory-engine
 * node in less memory; BENCHMARKS.md). An archive made by another runtime or for another jar is ignored by the JVM.
 *
 * <p>The archive is written by a second JVM, started on the same jar with {@code -XX:ArchiveClassesAtExit}, which
 * runs {@link ClassArchiveWorkload} and exits: the JDK writes what that run loaded.
 */
@Command(name = "class-archive", mixinStandardHelpOptions = true,
        description = "make a class-data archive for this Java runtime and jar, which the launcher starts the node "
                + "on (faster, in less memory)")
final class ClassArchiveCommand implements Callable<Integer> {
    private static final long WORKLOAD_TIMEOUT_SECONDS = 120;

    @Parameters(arity = "0..1", paramLabel = "FILE",
            description = "where to write it (default: beside the jar, sse-broker.jsa, where the launcher looks)")
    Path file;

    /** Set in the second JVM: run the workload here. */
    @Option(names = "--workload", hidden = true)
    boolean workload;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private Path target;

    @Override
    public Integer call() throws Exception {
        if (workload) {
            ClassArchiveWorkload.run();
            return 0;
        }
        Optional<Path> jar = BrokerJar.path();
        if (jar.isEmpty()) {
            spec.commandLine().getErr().println("class-archive: not running from sse-broker.jar; an archive is made "
                    + "for a jar (java -jar sse-broker.jar class-archive)");
            return Main.CONFIG_ERROR;
        }
        // The archive records the jar's path as given: the real one matches however the launcher names it.
        Path jarPath = jar.get().toRealPath();
        target = (file != null ? file : defaultArchive(jarPath)).toAbsolutePath();
        Files.deleteIfExists(target);
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:ArchiveClassesAtExit=" + target,
                // the JDK warns of each class it leaves out (picocli's, compiled for Java 5): not the user's concern
                "-Xlog:cds=off", "-Xlog:cds+dynamic=off",
                "-jar", jarPath.toString(), "class-archive", "--workload");
        Path log = Files.createTempFile("sse-broker-class-archive", ".log");
        try {
            Process run = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                if (!run.waitFor(WORKLOAD_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    return failed("the run did not end in " + WORKLOAD_TIMEOUT_SECONDS + " s", log);
                }
            } finally {
                run.destroyForcibly(); // interrupted or timed out: the run does not outlive this command
            }
            if (run.exitValue() != 0 || !Files.isRegularFile(target)) {
                return failed("the run ended with status " + run.exitValue(), log);
            }
        } finally {
            Files.deleteIfExists(log);
        }
        spec.commandLine().getOut().printf("class-data archive %s (%d MB), for %s on Java %s%n", target,
                Files.size(target) >> 20, jarPath, Runtime.version());
        return 0;
    }

    /** {@code sse-broker.jsa} beside {@code sse-broker.jar}: the launcher's first place to look. */
    static Path defaultArchive(Path jar) {
        String name = jar.getFileName().toString();
        return jar.resolveSibling((name.endsWith(".jar") ? name.substring(0, name.length() - 4) : name) + ".jsa");
    }

    private int failed(String why, Path log) throws IOException {
        Files.deleteIfExists(target); // what a run that did not do all its work wrote: less than a node loads
        spec.commandLine().getErr().println("class-archive: no archive made: " + why + "; its output:");
        spec.commandLine().getErr().print(Files.readString(log));
        return 1;
    }
}
