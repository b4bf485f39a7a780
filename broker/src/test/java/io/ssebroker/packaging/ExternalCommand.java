package io.ssebroker.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A command run to its end as a separate process, with its exit status and its output (standard error included). */
record ExternalCommand(int exit, String output) {
    /**
     * Variables the JVM reads options from: a CI runner's would change what the JVMs these tests start print
     * ("Picked up ...") and how they run.
     */
    private static final List<String> JVM_OPTION_VARIABLES = List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS",
            "_JAVA_OPTIONS");

    static ExternalCommand run(String... command) throws IOException, InterruptedException {
        return run(Map.of(), command);
    }

    /** Runs the command with these variables added to the environment, for at most two minutes. */
    static ExternalCommand run(Map<String, String> environment, String... command) throws IOException, InterruptedException {
        File output = File.createTempFile("external-command", ".log");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output);
            JVM_OPTION_VARIABLES.forEach(builder.environment()::remove);
            builder.environment().putAll(environment);
            Process process = builder.start();
            boolean ended = process.waitFor(120, TimeUnit.SECONDS);
            if (!ended) {
                process.destroyForcibly().waitFor();
            }
            assertThat(ended).as("%s finished: %s", List.of(command), Files.readString(output.toPath())).isTrue();
            return new ExternalCommand(process.exitValue(), Files.readString(output.toPath()));
        } finally {
            Files.deleteIfExists(output.toPath());
        }
    }
}
