package io.ssebroker.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Samples the Redis server a system under test runs on: commands it has carried out (from {@code INFO
 * commandstats}, its own INFO calls left out) and the CPU it has used ({@code INFO cpu}), so that a run reports
 * Redis's share of the work per delivery next to the system's own.
 */
final class RedisProbe {
    record Sample(long commands, double cpuSeconds) {
        long commandsSince(Sample before) {
            return commands - before.commands;
        }

        double cpuSecondsSince(Sample before) {
            return cpuSeconds - before.cpuSeconds;
        }
    }

    private final String host;
    private final int port;

    RedisProbe(String hostAndPort) {
        int colon = hostAndPort.lastIndexOf(':');
        if (colon < 1) {
            throw new IllegalArgumentException("--redis takes host:port, not " + hostAndPort);
        }
        this.host = hostAndPort.substring(0, colon);
        this.port = Integer.parseInt(hostAndPort.substring(colon + 1));
    }

    Sample sample() {
        try (Socket socket = new Socket(host, port)) {
            socket.setSoTimeout(5000);
            long commands = 0;
            for (String line : info(socket, "commandstats").split("\r\n")) {
                if (line.startsWith("cmdstat_") && !line.startsWith("cmdstat_info:")) {
                    int calls = line.indexOf("calls=");
                    int end = line.indexOf(',', calls);
                    commands += Long.parseLong(line.substring(calls + 6, end < 0 ? line.length() : end));
                }
            }
            double cpu = 0;
            for (String line : info(socket, "cpu").split("\r\n")) {
                if (line.startsWith("used_cpu_sys:") || line.startsWith("used_cpu_user:")) {
                    cpu += Double.parseDouble(line.substring(line.indexOf(':') + 1));
                }
            }
            return new Sample(commands, cpu);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read INFO from Redis at " + host + ":" + port, e);
        }
    }

    /** One {@code INFO section} in the inline protocol; the answer is a bulk string. */
    private static String info(Socket socket, String section) throws IOException {
        socket.getOutputStream().write(("INFO " + section + "\r\n").getBytes(StandardCharsets.US_ASCII));
        InputStream in = socket.getInputStream();
        String header = line(in);
        if (!header.startsWith("$")) {
            throw new IOException("unexpected answer to INFO: " + header);
        }
        byte[] body = in.readNBytes(Integer.parseInt(header.substring(1)));
        line(in); // the CRLF after the bulk string
        return new String(body, StandardCharsets.UTF_8);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("Redis closed the connection");
            }
            if (b != '\r') {
                out.write(b);
            }
        }
        return out.toString(StandardCharsets.US_ASCII);
    }
}
