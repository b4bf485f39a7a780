package io.ssebroker.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** One JVM reached through the JDK's jcmd tool: nothing is added to the server for it. */
final class Jcmd {
    private static final long TIMEOUT_SECONDS = 60;

    private final long pid;
    private final Path tool = Path.of(System.getProperty("java.home"), "bin", "jcmd");

    private Jcmd(long pid) {
        this.pid = pid;
    }

    /** jcmd for the process when it is a JVM. */
    static Optional<Jcmd> forProcess(long pid) {
        try {
            String command = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"));
            if (!command.split("\0")[0].endsWith("java")) {
                return Optional.empty();
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.of(new Jcmd(pid));
    }

    long pid() {
        return pid;
    }

    /** What the diagnostic command printed. */
    String run(String... command) {
        List<String> line = new ArrayList<>(List.of(tool.toString(), Long.toString(pid)));
        line.addAll(List.of(command));
        try {
            Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("jcmd " + String.join(" ", command) + " did not finish");
            }
            return new String(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run jcmd: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running jcmd", e);
        }
    }
}
