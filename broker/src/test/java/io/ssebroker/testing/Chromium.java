package io.ssebroker.testing;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A headless Chromium process with a throw-away profile, driven over the Chrome DevTools Protocol. Closing it
 * (or the JVM exiting, should a test run be killed) ends the browser and every process it started and deletes
 * the profile.
 */
public final class Chromium implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final List<String> FLAGS = List.of("--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-quic", "--remote-debugging-port=0");

    private final Process process;
    private final Path profile;
    private final DevTools devTools;
    private final Thread cleanupOnExit;

    private Chromium(Process process, Path profile, DevTools devTools, Thread cleanupOnExit) {
        this.process = process;
        this.profile = profile;
        this.devTools = devTools;
        this.cleanupOnExit = cleanupOnExit;
    }

    /** The {@code chromium} executable on the PATH, if the package is installed. */
    public static Optional<Path> executable() {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("/usr/bin");
        return Stream.of(path.split(File.pathSeparator))
                .map(dir -> Path.of(dir, "chromium"))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** Starts the browser for a test class, which is skipped where the package is not installed. */
    public static Chromium launchOrSkip() throws IOException, InterruptedException {
        Assumptions.assumeTrue(executable().isPresent(),
                "skipped: Chromium is not installed (bin/test installs it: apt-get install chromium)");
        return launch();
    }

    /** Starts the browser; fails (rather than skips) when an installed Chromium does not come up. */
    public static Chromium launch() throws IOException, InterruptedException {
        Path executable = executable().orElseThrow(() -> new IllegalStateException("chromium is not installed"));
        Path profile = Files.createTempDirectory("sse-broker-chromium-");
        Path output = profile.resolve("chromium.log");
        List<String> command = new ArrayList<>();
        command.add(executable.toString());
        command.addAll(FLAGS);
        command.add("--user-data-dir=" + profile);
        command.add("about:blank");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        Thread cleanupOnExit = new Thread(() -> destroy(process, process.descendants().toList(), profile, Duration.ZERO),
                "chromium-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanupOnExit);
        try {
            URI browser = awaitDevToolsEndpoint(process, profile, output);
            return new Chromium(process, profile, DevTools.connect(browser), cleanupOnExit);
        } catch (IOException | InterruptedException | RuntimeException e) {
            destroy(process, process.descendants().toList(), profile, Duration.ZERO);
            Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
            throw e;
        }
    }

    /** Opens a new tab on {@code url} and waits until the page has loaded. */
    public BrowserTab open(String url) {
        BrowserTab tab = newTab();
        tab.navigate(url);
        return tab;
    }

    /** Accepts any server certificate from now on, such as a test's self-signed one. */
    public void acceptAnyCertificate() {
        devTools.call(null, "Security.setIgnoreCertificateErrors", Map.of("ignore", true));
    }

    /** Opens a new, empty tab. */
    public BrowserTab newTab() {
        String targetId = devTools.call(null, "Target.createTarget", Map.of("url", "about:blank"))
                .path("targetId").asText();
        String sessionId = devTools.call(null, "Target.attachToTarget", Map.of("targetId", targetId, "flatten", true))
                .path("sessionId").asText();
        return new BrowserTab(devTools, targetId, sessionId);
    }

    @Override
    public void close() {
        // Taken before the browser exits: helpers it leaves behind are re-parented and could not be found later.
        List<ProcessHandle> helpers = process.descendants().toList();
        try {
            devTools.call(null, "Browser.close", Map.of());
        } catch (RuntimeException e) {
            // the browser is ended by force below
        }
        devTools.close();
        destroy(process, helpers, profile, Duration.ofSeconds(5));
        Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
    }

    /**
     * Chromium announces its DevTools port in the profile once it listens: the first line is the port, the
     * second the path of the browser's WebSocket.
     */
    private static URI awaitDevToolsEndpoint(Process process, Path profile, Path output)
            throws IOException, InterruptedException {
        Path portFile = profile.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("chromium exited with status " + process.exitValue() + ":\n" + tail(output));
            }
            if (Files.exists(portFile)) {
                List<String> lines = Files.readAllLines(portFile, StandardCharsets.UTF_8);
                if (lines.size() >= 2) {
                    return URI.create("ws://127.0.0.1:" + lines.get(0).trim() + lines.get(1).trim());
                }
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("chromium did not open its DevTools port within " + START_TIMEOUT + ":\n" + tail(output));
    }

    private static String tail(Path output) throws IOException {
        List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }

    /**
     * Gives the browser {@code grace} to exit by itself, then ends it and its helper processes (zygotes, renderers,
     * network service) by force, and deletes the profile.
     */
    private static void destroy(Process process, List<ProcessHandle> helpers, Path profile, Duration grace) {
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroy();
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            }
            // Helpers still running once the browser is gone would never be reaped: kill them too.
            for (ProcessHandle helper : helpers) {
                helper.destroyForcibly();
                helper.onExit().get(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // a helper that will not die is left to the operating system
        }
        TempDirectories.deleteRecursively(profile);
    }
}
