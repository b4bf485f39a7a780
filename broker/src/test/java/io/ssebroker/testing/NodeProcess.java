package io.ssebroker.testing;

import static org.awaitility.Awaitility.await;

import io.ssebroker.cli.Main;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A broker node in a process of its own, configured by environment, so that a test can kill it with SIGKILL or
 * freeze it.
 */
public final class NodeProcess implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Api api;

    private NodeProcess(Process process, int port) {
        this.process = process;
        this.port = port;
        this.api = new Api("http://127.0.0.1:" + port);
    }

    /** Starts a node on a free port with these environment settings, its output in {@code dir}; waits until it serves. */
    public static NodeProcess start(Path dir, Map<String, String> environment) throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "--port", Integer.toString(port), "--host", "127.0.0.1", "--secret", TestNode.SECRET)
                .directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("node-" + port + ".log").toFile()));
        // every test client comes from 127.0.0.1: the connect rate per address would throttle the tests' own load
        builder.environment().put("SSE_BROKER_LIMITS_CONNECTS_PER_SECOND_PER_ADDRESS", "0");
        builder.environment().putAll(environment);
        NodeProcess node = new NodeProcess(builder.start(), port);
        // Serving, not only listening: a node binds its port before it has connected its engine, and the kernel
        // completes connections to it from then on, while the node has not started to take them.
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> node.api.get("/healthz", Map.of()).status() == 200);
        return node;
    }

    public int port() {
        return port;
    }

    public Api api() {
        return api;
    }

    /** Opens an SSE stream of this uid and device. */
    public SseClient connect(String uid, String device) {
        return SseClient.open("127.0.0.1", port, "/events", Map.of("X-SSE-TOKEN", api.token(uid, device)));
    }

    /** Freezes the process (SIGSTOP): its connections stay open, and it neither beats nor answers. */
    public void pause() {
        Signals.send(process, "STOP");
    }

    public void resume() {
        Signals.send(process, "CONT");
    }

    /** SIGKILL: no goodbye. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("interrupted", e));
        }
    }

    @Override
    public void close() {
        kill();
    }
}
