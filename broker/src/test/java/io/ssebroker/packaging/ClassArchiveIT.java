package io.ssebroker.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The class-data archive as the build, the packages and the container make it ({@code sse-broker class-archive}) and
 * as the launcher uses it: made for the built jar, the node's classes come from it; beside another jar the JVM
 * ignores it and the launcher starts the node as without one, with nothing printed.
 */
class ClassArchiveIT {
    private static final Path BUILD = Path.of(System.getProperty("build.directory", "target"));
    private static final Path JAR = BUILD.resolve("sse-broker.jar");
    private static final Path LAUNCHER = BUILD.resolve("../../bin/sse-broker").normalize();
    private static final String FROM_ARCHIVE = "io.ssebroker.cli.Main source: shared objects file (top)";

    private record Result(int exit, String output) {
    }

    private static Result run(Map<String, String> environment, String... command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("%s finished", List.of(command)).isTrue();
        return new Result(process.exitValue(), output);
    }

    @Test
    void theLauncherStartsTheNodeOnTheArchiveMadeForItsJar(@TempDir Path directory) throws Exception {
        Path archive = directory.resolve("node.jsa");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Result made = run(Map.of(), java, "-jar", JAR.toString(), "class-archive", archive.toString());
        assertThat(made.exit()).as(made.output()).isZero();
        assertThat(made.output()).contains("class-data archive " + archive);
        assertThat(archive).isRegularFile();

        Map<String, String> onTheArchive = Map.of("SSE_BROKER_CLASS_ARCHIVE", archive.toString(),
                "SSE_BROKER_JAR", JAR.toString(), "JAVA_HOME", System.getProperty("java.home"),
                "JAVA_OPTS", "-Xlog:class+load=info");
        Result started = run(onTheArchive, LAUNCHER.toString(), "--version");
        assertThat(started.exit()).as(started.output()).isZero();
        assertThat(started.output()).contains(FROM_ARCHIVE);
    }

    @Test
    void anArchiveOfAnotherJarIsIgnoredSilently(@TempDir Path directory) throws Exception {
        Path archive = directory.resolve("node.jsa");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        assertThat(run(Map.of(), java, "-jar", JAR.toString(), "class-archive", archive.toString()).exit()).isZero();
        Path rebuilt = Files.copy(JAR, directory.resolve("rebuilt.jar"));

        Map<String, String> environment = Map.of("SSE_BROKER_CLASS_ARCHIVE", archive.toString(),
                "SSE_BROKER_JAR", rebuilt.toString(), "JAVA_HOME", System.getProperty("java.home"));
        Result started = run(environment, LAUNCHER.toString(), "--version");
        assertThat(started.exit()).as(started.output()).isZero();
        assertThat(started.output().lines()).singleElement(InstanceOfAssertFactories.STRING).startsWith("sse-broker ");
    }
}
