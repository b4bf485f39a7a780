package io.ssebroker.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Samples the Redis server(s) a system under test runs on (summed over the masters of a cluster): commands it has carried out (from {@code INFO
 * commandstats}, its own INFO calls left out) and the CPU it has used ({@code INFO cpu}), so that a run reports
 * Redis's share of the work per delivery next to the system's own.
 */
final class RedisProbe {
    record Sample(long commands, double cpuSeconds, List<Long> commandsByServer) {
        long commandsSince(Sample before) {
            return commands - before.commands;
        }

        double cpuSecondsSince(Sample before) {
            return cpuSeconds - before.cpuSeconds;
        }

        List<Long> commandsByServerSince(Sample before) {
            return IntStream.range(0, commandsByServer.size())
                    .mapToObj(i -> commandsByServer.get(i) - before.commandsByServer.get(i)).toList();
        }
    }

    private record Server(String host, int port) {
        static Server parse(String hostAndPort) {
            int colon = hostAndPort.lastIndexOf(':');
            try {
                if (colon >= 1) {
                    return new Server(hostAndPort.substring(0, colon), Integer.parseInt(hostAndPort.substring(colon + 1)));
                }
            } catch (NumberFormatException e) {
                // reported below, as a missing port is
            }
            throw new IllegalArgumentException("--redis takes host:port, not " + hostAndPort);
        }

        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    private final List<Server> servers;

    /** @param servers host:port of each Redis server (each master of a cluster): their figures are summed */
    RedisProbe(List<String> servers) {
        this.servers = servers.stream().map(Server::parse).toList();
    }

    Sample sample() {
        long commands = 0;
        double cpu = 0;
        List<Long> byServer = new ArrayList<>();
        for (Server server : servers) {
            Sample one = sample(server);
            commands += one.commands;
            cpu += one.cpuSeconds;
            byServer.add(one.commands);
        }
        return new Sample(commands, cpu, byServer);
    }

    private static Sample sample(Server server) {
        try (Socket socket = new Socket(server.host(), server.port())) {
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
            return new Sample(commands, cpu, List.of(commands));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read INFO from Redis at " + server, e);
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
