package io.ssebroker.cli;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code class-archive [FILE]}: makes a class-data archive (JDK application class-data sharing) of the classes a node
 * loads, for the Java runtime that runs this command and the jar it runs from. The launcher ({@code bin/sse-broker})
 * starts the JVM on it: beside the jar ({@code sse-broker.jsa}), or for the installed jar at {@code
 * /var/cache/sse-broker/sse-broker.jsa} (where the packages make it). The node then maps those classes, parsed and
 * verified, instead of reading them from the jar, which starts it in about two thirds of the time (and a memory-engine
 * node in less memory; BENCHMARKS.md). The JVM ignores an archive for another jar or pointer encoding; one of another
 * Java release, or one it cannot read, it answers by sharing no classes at all, so the launcher passes only a readable
 * archive whose header names the runtime's build.
 *
 * <p>The archive is written by a second JVM, started on the same jar with {@code -XX:ArchiveClassesAtExit}, which
 * runs {@link ClassArchiveWorkload} and exits: the JDK writes what that run loaded.
 */
@Command(name = "class-archive", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "make a class-data archive for this Java runtime and jar, which the launcher starts the node "
                + "on (a faster start)")
final class ClassArchiveCommand implements Callable<Integer> {
    private static final long WORKLOAD_TIMEOUT_SECONDS = 120;
    /** Set by the launcher to the archive it looks for. */
    static final String LAUNCHER_ARCHIVE = "SSE_BROKER_CLASS_ARCHIVE";
    /** The packages' jar and the archive they make for it (/usr is theirs; the launcher looks there for it). */
    private static final Path INSTALLED_JAR = Path.of("/usr/share/sse-broker/sse-broker.jar");
    private static final Path INSTALLED_ARCHIVE = Path.of("/var/cache/sse-broker/sse-broker.jsa");

    @Parameters(arity = "0..1", paramLabel = "FILE",
            description = "where to write it (default: where the launcher looks, else sse-broker.jsa beside the jar)")
    Path file;

    /** Set in the second JVM: run the workload here. */
    @Option(names = "--workload", hidden = true)
    boolean workload;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (workload) {
            ClassArchiveWorkload.run();
            return 0;
        }
        Optional<Path> jar = BrokerJar.path();
        if (jar.isEmpty()) {
            spec.commandLine().getErr().println("class-archive: not running from sse-broker.jar; an archive is made "
                    + "for a jar, through the launcher that starts it (sse-broker class-archive)");
            return Main.CONFIG_ERROR;
        }
        // The archive records the jar's path, which must lead to the same file from wherever a node starts.
        Path jarPath = jar.get().toRealPath();
        Path target = (file != null ? file : defaultArchive(System.getenv(LAUNCHER_ARCHIVE), jarPath)).toAbsolutePath();
        if (!Files.isDirectory(target.getParent()) || !Files.isWritable(target.getParent())) {
            spec.commandLine().getErr().println("class-archive: cannot write in " + target.getParent());
            return 1;
        }
        // Written beside the target and moved over it once whole: a node that starts meanwhile maps the old archive or
        // the new one, and a run that fails leaves the old one.
        Path written = target.resolveSibling(target.getFileName() + ".new-" + ProcessHandle.current().pid());
        Path log = Files.createTempFile("sse-broker-class-archive", ".log");
        // Stopped (Ctrl-C, SIGTERM): the run is ended and what it wrote removed, not left beside the archive. At a
        // normal exit there is nothing left to do.
        AtomicReference<Process> running = new AtomicReference<>();
        Thread cleanUp = new Thread(() -> {
            endQuietly(running.get());
            removeQuietly(written, log);
        }, "class-archive-clean-up");
        Runtime.getRuntime().addShutdownHook(cleanUp);
        try {
            String failure = runWorkload(jarPath, written, log, running);
            if (failure != null) {
                spec.commandLine().getErr().println("class-archive: no archive made: " + failure + "; its output:");
                spec.commandLine().getErr().print(Files.readString(log));
                return 1;
            }
            // readable by the service's user whatever this one's umask (the JVM makes it 0444 less the umask)
            if (Files.getFileStore(written).supportsFileAttributeView("posix")) {
                Files.setPosixFilePermissions(written, PosixFilePermissions.fromString("r--r--r--"));
            }
            Files.move(written, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            removeQuietly(written, log);
        }
        spec.commandLine().getOut().printf("class-data archive %s (%d MB), for %s on Java %s%n", target,
                Files.size(target) >> 20, jarPath, Runtime.version());
        return 0;
    }

    /**
     * Runs the workload in a JVM that writes the classes it loaded to {@code archive} when it exits; null when it did,
     * else why not. That JVM encodes object and class pointers as this one does (run by the launcher with the node's
     * options, this JVM's heap is the node's size): an archive is bound to that encoding, which a heap over 32 GB or
     * another collector changes. It gets none of this JVM's other options, which may name the node's log files, ports
     * or agents.
     */
    private static String runWorkload(Path jar, Path archive, Path log, AtomicReference<Process> running)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        command.add("-Xmx512m");
        for (String pointers : List.of("UseCompressedOops", "UseCompressedClassPointers")) {
            command.add("-XX:" + (Boolean.parseBoolean(vm.getVMOption(pointers).getValue()) ? "+" : "-") + pointers);
        }
        command.add("-XX:ObjectAlignmentInBytes=" + vm.getVMOption("ObjectAlignmentInBytes").getValue());
        command.add("-XX:ArchiveClassesAtExit=" + archive);
        // the JDK warns of each class it leaves out (picocli's, compiled for Java 5): only its errors are told
        command.addAll(List.of("-Xlog:cds=error", "-Xlog:cds+dynamic=error"));
        command.addAll(List.of("-jar", jar.toString(), "class-archive", "--workload"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        // nor the options the environment gives every JVM (an agent, a management port this JVM holds)
        List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS").forEach(builder.environment()::remove);
        Process run = builder.start();
        running.set(run);
        try {
            if (!run.waitFor(WORKLOAD_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                return "the run did not end in " + WORKLOAD_TIMEOUT_SECONDS + " s";
            }
        } finally {
            run.destroyForcibly().waitFor(); // timed out or interrupted: the run does not outlive this command
        }
        if (run.exitValue() != 0) {
            return "the run ended with status " + run.exitValue();
        }
        return Files.isRegularFile(archive) ? null : "the JVM wrote no archive (one without class-data sharing?)";
    }

    private static void endQuietly(Process run) {
        if (run == null) {
            return;
        }
        try {
            run.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void removeQuietly(Path... files) {
        for (Path file : files) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // a file left in a temporary or cache directory: nothing a node reads
            }
        }
    }

    /**
     * Where the launcher looks (it sets {@code SSE_BROKER_CLASS_ARCHIVE} to that for the JVM it starts): for the
     * installed jar where the packages make it, else {@code sse-broker.jsa} beside {@code sse-broker.jar}.
     */
    static Path defaultArchive(String launcherArchive, Path jar) {
        if (launcherArchive != null && !launcherArchive.isBlank() && !launcherArchive.equals("off")) {
            return Path.of(launcherArchive);
        }
        if (jar.equals(INSTALLED_JAR)) {
            return INSTALLED_ARCHIVE;
        }
        String name = jar.getFileName().toString();
        return jar.resolveSibling((name.endsWith(".jar") ? name.substring(0, name.length() - 4) : name) + ".jsa");
    }
}
