package io.ssebroker.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The class-data archive as the build, the packages and the container make it ({@code sse-broker class-archive}
 * through the launcher) and as the launcher uses it: made for the built jar, the node's classes come from it; beside
 * another jar the JVM ignores it and starts as without one (on the JDK's own archive), with nothing printed.
 */
class ClassArchiveIT {
    private static final Path BUILD = Path.of(System.getProperty("build.directory", "target"));
    private static final Path JAR = BUILD.resolve("sse-broker.jar");
    private static final Path LAUNCHER = BUILD.resolve("../../bin/sse-broker").normalize();
    private static final String FROM_ARCHIVE = "io.ssebroker.cli.Main source: shared objects file (top)";
    private static final String FROM_JDK_ARCHIVE = "java.lang.Object source: shared objects file";

    /** The launcher on this jar and this test's runtime, with this archive and these JVM options. */
    private static ExternalCommand launcher(Path jar, Path archive, String javaOptions, String... arguments)
            throws Exception {
        String[] command = new String[arguments.length + 1];
        command[0] = LAUNCHER.toString();
        System.arraycopy(arguments, 0, command, 1, arguments.length);
        return ExternalCommand.run(Map.of("SSE_BROKER_JAR", jar.toString(), "SSE_BROKER_CLASS_ARCHIVE",
                archive.toString(), "JAVA_HOME", System.getProperty("java.home"), "JAVA_OPTS", javaOptions), command);
    }

    @Test
    void theLauncherStartsTheNodeOnTheArchiveMadeForItsJar(@TempDir Path directory) throws Exception {
        Path archive = directory.resolve("node.jsa");
        ExternalCommand made = launcher(JAR, archive, "", "class-archive");
        assertThat(made.exit()).as(made.output()).isZero();
        assertThat(made.output()).contains("class-data archive " + archive);
        assertThat(archive).isRegularFile();
        try (var files = Files.list(directory)) {
            assertThat(files).as("nothing left beside it").containsExactly(archive);
        }

        ExternalCommand started = launcher(JAR, archive, "-Xlog:class+load=info", "--version");
        assertThat(started.exit()).as(started.output()).isZero();
        assertThat(started.output()).contains(FROM_ARCHIVE);

        ExternalCommand again = launcher(JAR, archive, "", "class-archive");
        assertThat(again.exit()).as("made again over the one in use: %s", again.output()).isZero();
        assertThat(launcher(JAR, archive, "-Xlog:class+load=info", "--version").output()).contains(FROM_ARCHIVE);
    }

    @Test
    void anArchiveOfAnotherJarIsIgnoredSilently(@TempDir Path directory) throws Exception {
        Path archive = directory.resolve("node.jsa");
        assertThat(launcher(JAR, archive, "", "class-archive").exit()).isZero();
        Path rebuilt = Files.copy(JAR, directory.resolve("rebuilt.jar"));

        ExternalCommand started = launcher(rebuilt, archive, "", "--version");
        assertThat(started.exit()).as(started.output()).isZero();
        assertThat(started.output().lines()).singleElement(InstanceOfAssertFactories.STRING).startsWith("sse-broker ");
        ExternalCommand logged = launcher(rebuilt, archive, "-Xlog:class+load=info", "--version");
        assertThat(logged.output()).contains(FROM_JDK_ARCHIVE).doesNotContain(FROM_ARCHIVE);
    }

    /**
     * The JVM refuses an archive of another Java release, or one it cannot read, by sharing no classes at all, not
     * even the JDK's: the launcher passes none whose header does not name the runtime it starts.
     */
    @Test
    void anArchiveOfAnotherRuntimeIsNotGivenToTheJvm(@TempDir Path directory) throws Exception {
        Path archive = Files.writeString(directory.resolve("node.jsa"),
                "OpenJDK 64-Bit Server VM (99.0.1+1) for linux-amd64 JRE (99.0.1+1), built on a day to come");
        ExternalCommand started = launcher(JAR, archive, "-Xlog:class+load=info", "--version");
        assertThat(started.exit()).as(started.output()).isZero();
        assertThat(started.output()).contains(FROM_JDK_ARCHIVE).doesNotContain(FROM_ARCHIVE);
    }

    /**
     * A heap over 32 GB has no compressed object pointers, and an archive is bound to the encoding: made with the
     * node's heap size, it serves that node.
     */
    @Test
    void anArchiveMadeWithALargeHeapServesANodeWithIt(@TempDir Path directory) throws Exception {
        Path archive = directory.resolve("node.jsa");
        String largeHeap = "-XX:MaxRAM=64g";
        ExternalCommand made = launcher(JAR, archive, largeHeap, "class-archive");
        assertThat(made.exit()).as(made.output()).isZero();
        assertThat(launcher(JAR, archive, largeHeap + " -Xlog:class+load=info", "--version").output())
                .contains(FROM_ARCHIVE);
        assertThat(launcher(JAR, archive, "-Xmx1g -Xlog:class+load=info", "--version").output())
                .as("a node with compressed pointers ignores it").doesNotContain(FROM_ARCHIVE).contains(FROM_JDK_ARCHIVE);
    }

    @Test
    void aDirectoryThatCannotBeWrittenIsSaidAndLeavesNoArchive(@TempDir Path directory) throws Exception {
        Path archive = directory.resolve("missing/node.jsa");
        ExternalCommand made = launcher(JAR, archive, "", "class-archive");
        assertThat(made.exit()).isEqualTo(1);
        assertThat(made.output()).contains("cannot write in " + archive.getParent());
        assertThat(archive).doesNotExist();
    }
}
