package io.ssebroker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Real redis-server processes on free loopback ports, started and stopped by the tests: a standalone server, a
 * three-master Redis Cluster, or a master with a replica watched by sentinels. Faults are injected by stopping,
 * pausing (SIGSTOP) or killing the processes.
 */
public final class RedisServers implements AutoCloseable {
    private static final int LOWEST_PORT = 10_000;
    /** Every port given to a server in this run (see {@link #freePort()}). */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private final Path dir;
    private final List<Server> servers = new ArrayList<>();
    /** The address the servers are known by to each other and to clients: IPv4 loopback, or IPv6's. */
    private final String host;

    /** One redis-server process and how it was started, so it can be restarted on the same port with its data. */
    public final class Server {
        final int port;
        final List<String> args;
        Process process;

        Server(int port, List<String> args) {
            this.port = port;
            this.args = args;
        }

        public int port() {
            return port;
        }

        /** host:port, an IPv6 host in brackets, as a node's configuration names Redis. */
        public String address() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }

        /** host:port without brackets, as redis-cli takes it. */
        String cliAddress() {
            return host + ":" + port;
        }

        void start() {
            try {
                Path work = dir.resolve("r" + port);
                Files.createDirectories(work);
                List<String> command = new ArrayList<>(args);
                process = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                        .redirectOutput(work.resolve("out.log").toFile()).start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            awaitPort(port, process);
        }

        /** Stops the process at once (SIGKILL); its data stays as last saved. */
        public void kill() {
            process.destroyForcibly();
            waitExit();
        }

        /** Shuts down saving the data set, as an operator's restart would. */
        public void shutdownSaving() {
            cli("SHUTDOWN", "SAVE");
            waitExit();
        }

        public void restart() {
            start();
        }

        /** Freezes the process (SIGSTOP): connections stay open but nothing answers. */
        public void pause() {
            Signals.send(process, "STOP");
        }

        public void resume() {
            Signals.send(process, "CONT");
        }

        public String cli(String... command) {
            List<String> line = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(port)));
            line.addAll(List.of(command));
            return run(line);
        }

        /** How many clients of this server are subscribed to a shard channel ({@code PUBSUB SHARDNUMSUB}). */
        public long shardSubscribers(String channel) {
            String[] reply = cli("PUBSUB", "SHARDNUMSUB", channel).trim().split("\\s+");
            return Long.parseLong(reply[reply.length - 1]);
        }

        private void waitExit() {
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private RedisServers() {
        this("127.0.0.1");
    }

    private RedisServers(String host) {
        this.host = host;
        try {
            dir = Files.createTempDirectory("sse-broker-redis");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static boolean available() {
        try {
            return new ProcessBuilder("redis-server", "--version").start().waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public static RedisServers standalone() {
        RedisServers servers = new RedisServers();
        servers.server(List.of("--appendonly", "yes", "--appendfsync", "always"));
        return servers;
    }

    /**
     * A standalone server persisted by snapshots only, taken when asked ({@code SAVE}): restarted, it comes back with
     * the data of the last snapshot, as a server without an append-only file does.
     */
    public static RedisServers standaloneWithSnapshots() {
        RedisServers servers = new RedisServers();
        servers.server(List.of("--appendonly", "no"));
        return servers;
    }

    /** A standalone master ({@link #first()}) and one replica of it, streaming to it before this returns. */
    public static RedisServers masterWithReplica() {
        RedisServers servers = new RedisServers();
        Server master = servers.server(List.of("--repl-diskless-sync-delay", "0"));
        servers.addReplicaOf(master);
        return servers;
    }

    /** A new replica of a standalone master, streaming from it before this returns. */
    public Server addReplicaOf(Server master) {
        Server replica = server(List.of("--replicaof", "127.0.0.1", Integer.toString(master.port)));
        awaitTrue("replica did not finish its first sync",
                () -> replica.cli("INFO", "replication").contains("master_link_status:up"));
        awaitStreaming(master);
        return replica;
    }

    /**
     * Waits until the master's replicas acknowledged a write made now. After a diskless sync a master holds back the
     * stream of writes until the replica's first acknowledgement, up to a second later: a {@code WAIT} meanwhile
     * finds no replica.
     */
    private static void awaitStreaming(Server master) {
        // PUBLISH goes into a standalone master's replication stream (a write to no key); a cluster's masters send it
        // over the cluster bus instead, and their replication streams start with the PING they send every 10 s
        master.cli("PUBLISH", "replication-probe", "1");
        long probed = replicationOffset(master.cli("INFO", "replication"));
        awaitTrue("replicas did not acknowledge a write", () -> replicasAcknowledged(master, probed));
    }

    private static long replicationOffset(String info) {
        Matcher offset = Pattern.compile("master_repl_offset:(\\d+)").matcher(info);
        return offset.find() ? Long.parseLong(offset.group(1)) : 0;
    }

    /**
     * Whether there is a replica and every replica of the master has acknowledged the master's writes up to
     * {@code offset} (others may have come since, under load), and something at least.
     */
    private static boolean replicasAcknowledged(Server master, long offset) {
        Matcher acked = Pattern.compile("slave\\d+:.*state=online,offset=(\\d+)").matcher(master.cli("INFO", "replication"));
        boolean any = false;
        while (acked.find()) {
            any = true;
            if (Long.parseLong(acked.group(1)) < Math.max(offset, 1)) {
                return false;
            }
        }
        return any;
    }

    /** The replicas of a master (by {@code ROLE}). */
    public List<Server> replicasOf(Server master) {
        return servers.stream().filter(s -> !s.args.contains("--sentinel"))
                .filter(s -> s.cli("ROLE").matches("(?s)slave\\s+\\S+\\s+" + master.port + "\\s.*")).toList();
    }

    /** A standalone server whose port is chosen now but which starts only when {@link #startAll()} is called. */
    public static RedisServers standaloneNotStarted() {
        RedisServers servers = new RedisServers();
        List<String> args = new ArrayList<>(List.of("redis-server", "--port", "0", "--bind", "127.0.0.1", "--save", "",
                "--protected-mode", "no"));
        int port = freePort();
        args.set(2, Integer.toString(port));
        servers.servers.add(servers.new Server(port, args));
        return servers;
    }

    /** Starts the servers not running yet. */
    public void startAll() {
        servers.stream().filter(server -> server.process == null).forEach(Server::start);
    }

    /** Three masters, all 16384 slots assigned, no replicas. */
    public static RedisServers cluster() {
        return cluster(0);
    }

    /** Three cluster-enabled servers that do not form a cluster yet (they answer CLUSTERDOWN) until {@link #formCluster()}. */
    public static RedisServers clusterNotFormed() {
        RedisServers servers = new RedisServers();
        for (int i = 0; i < 3; i++) {
            servers.clusterServer();
        }
        return servers;
    }

    /** Forms the cluster of {@link #clusterNotFormed()}: every slot assigned, state ok. */
    public void formCluster() {
        create(0);
    }

    private void create(int replicasPerMaster) {
        List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        servers.forEach(s -> create.add(s.cliAddress()));
        create.addAll(List.of("--cluster-replicas", Integer.toString(replicasPerMaster), "--cluster-yes"));
        String output = run(create);
        try {
            awaitClusterOk();
        } catch (IllegalStateException notOk) {
            throw new IllegalStateException(notOk.getMessage() + "\n" + clusterReport(output), notOk);
        }
    }

    /**
     * A new cluster of {@code 3 * (1 + replicasPerMaster)} servers, formed. A cluster that does not agree it is ok in
     * time is reported and formed once more from new servers: its servers' state goes to the test's output, and the
     * test runs on a cluster that formed rather than failing in its set-up.
     */
    private static RedisServers formedCluster(String host, int replicasPerMaster) {
        for (int attempt = 1; ; attempt++) {
            RedisServers servers = new RedisServers(host);
            try {
                for (int i = 0; i < 3 * (1 + replicasPerMaster); i++) {
                    servers.clusterServer();
                }
                servers.create(replicasPerMaster);
                return servers;
            } catch (IllegalStateException failed) {
                servers.close();
                if (attempt == 2) {
                    throw failed;
                }
                System.err.println("RedisServers: a new cluster did not form, forming another: " + failed.getMessage());
            }
        }
    }

    /** What each server says of the cluster, and what {@code redis-cli --cluster create} printed, for a failure. */
    private String clusterReport(String createOutput) {
        StringBuilder report = new StringBuilder("redis-cli --cluster create printed:\n").append(tail(createOutput, 15));
        for (Server server : servers) {
            report.append("\n--- ").append(server.port).append(server.process.isAlive() ? "" : " (exited)").append('\n');
            if (server.process.isAlive()) {
                report.append(server.cli("CLUSTER", "INFO").lines().filter(line -> line.startsWith("cluster_state")
                        || line.startsWith("cluster_slots") || line.startsWith("cluster_known_nodes"))
                        .reduce("", (a, b) -> a + b + "\n"));
                report.append(server.cli("CLUSTER", "NODES"));
            }
            try {
                report.append(tail(Files.readString(dir.resolve("r" + server.port).resolve("out.log")), 8));
            } catch (IOException e) {
                report.append("(no log: ").append(e.getMessage()).append(")\n");
            }
        }
        return report.toString();
    }

    private static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
    }

    /** Whether this machine has the IPv6 loopback address. */
    public static boolean ipv6Available() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Three masters with all 16384 slots that know each other by the IPv6 loopback address: Redis names them so in
     * its topology and redirections ({@code ::1:7001}, without brackets). The caller checks {@link #ipv6Available()}.
     */
    public static RedisServers clusterOverIpv6() {
        return formedCluster("::1", 0);
    }

    /** Three masters with all 16384 slots, each with this many replicas (fully synced before this returns). */
    public static RedisServers cluster(int replicasPerMaster) {
        RedisServers servers = formedCluster("127.0.0.1", replicasPerMaster);
        if (replicasPerMaster > 0) {
            awaitTrue("replicas did not finish their first sync", () -> servers.servers.stream()
                    .filter(s -> s.cli("ROLE").startsWith("slave"))
                    .allMatch(s -> s.cli("INFO", "replication").contains("master_link_status:up")));
            servers.servers.stream().filter(s -> s.cli("ROLE").startsWith("master")).forEach(RedisServers::awaitStreaming);
        }
        return servers;
    }

    private Server clusterServer() {
        return server(List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", "2000", "--repl-diskless-sync-delay", "0", "--appendonly", "yes"));
    }

    /** The cluster node id of a server. */
    public String nodeId(Server server) {
        return server.cli("CLUSTER", "MYID").trim();
    }

    /** The slot of a key or channel name. */
    public int slotOf(String key) {
        return Integer.parseInt(first().cli("CLUSTER", "KEYSLOT", key).trim());
    }

    /** The master that serves a slot now (asked of the live servers). */
    public Server ownerOf(int slot) {
        for (Server server : servers) {
            if (server.process.isAlive() && server.cli("ROLE").startsWith("master")) {
                String nodes = server.cli("CLUSTER", "NODES");
                for (String node : nodes.split("\n")) {
                    if (node.contains("myself") && node.contains("master") && servesSlot(node, slot)) {
                        return server;
                    }
                }
            }
        }
        throw new IllegalStateException("no live master serves slot " + slot);
    }

    private static boolean servesSlot(String nodesLine, int slot) {
        String[] fields = nodesLine.trim().split(" ");
        for (int i = 8; i < fields.length; i++) {
            if (fields[i].startsWith("[")) {
                continue;
            }
            String[] range = fields[i].split("-");
            int from = Integer.parseInt(range[0]);
            int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
            if (slot >= from && slot <= to) {
                return true;
            }
        }
        return false;
    }

    /**
     * Moves one slot with its keys to another master, step by step as {@code redis-cli --cluster reshard} does:
     * importing and migrating states, MIGRATE of the keys in batches, then the new owner announced to every master.
     */
    public void migrateSlot(int slot, Server to) {
        SlotMigration migration = beginMigration(slot, to);
        migration.moveKeys();
        migration.finish();
    }

    /**
     * Opens a slot's migration to another master (the new owner importing, the old one migrating) and leaves it open,
     * so that a test can act while the slot's keys are split or moved but the slot not yet handed over.
     */
    public SlotMigration beginMigration(int slot, Server to) {
        Server from = ownerOf(slot);
        String slotText = Integer.toString(slot);
        to.cli("CLUSTER", "SETSLOT", slotText, "IMPORTING", nodeId(from));
        from.cli("CLUSTER", "SETSLOT", slotText, "MIGRATING", nodeId(to));
        return new SlotMigration(slotText, from, to);
    }

    /** A slot's migration that {@link #beginMigration} opened. */
    public final class SlotMigration {
        private final String slot;
        private final Server from;
        private final Server to;

        private SlotMigration(String slot, Server from, Server to) {
            this.slot = slot;
            this.from = from;
            this.to = to;
        }

        /** MIGRATE of every key of the slot, in batches: the old owner then answers ASK for them. */
        public void moveKeys() {
            while (true) {
                String keys = from.cli("CLUSTER", "GETKEYSINSLOT", slot, "100").trim();
                if (keys.isEmpty()) {
                    return;
                }
                List<String> migrate = new ArrayList<>(List.of("MIGRATE", "127.0.0.1", Integer.toString(to.port), "", "0", "5000", "KEYS"));
                migrate.addAll(List.of(keys.split("\n")));
                String moved = from.cli(migrate.toArray(String[]::new)).trim();
                if (!moved.equals("OK") && !moved.equals("NOKEY")) {
                    // keys that do not move would be listed again, for ever
                    throw new IllegalStateException("MIGRATE of slot " + slot + " failed: " + moved);
                }
            }
        }

        /** The new owner announced to itself, the old owner and every other master. */
        public void finish() {
            to.cli("CLUSTER", "SETSLOT", slot, "NODE", nodeId(to));
            from.cli("CLUSTER", "SETSLOT", slot, "NODE", nodeId(to));
            for (Server other : servers) {
                if (other != to && other != from && other.process.isAlive() && other.cli("ROLE").startsWith("master")) {
                    other.cli("CLUSTER", "SETSLOT", slot, "NODE", nodeId(to));
                }
            }
        }
    }

    /** A fourth master joins the cluster (empty); returns it. */
    public Server addMaster() {
        Server added = clusterServer();
        run(List.of("redis-cli", "--cluster", "add-node", added.address(), first().address()));
        String id = nodeId(added);
        // Every node must know the newcomer before slots move to it, else redis-cli refuses to reshard.
        awaitTrue("new master did not join", () -> added.cli("CLUSTER", "INFO").contains("cluster_state:ok")
                && servers.stream().filter(s -> s.process.isAlive()).allMatch(s -> s.cli("CLUSTER", "NODES").contains(id))
                && run(List.of("redis-cli", "--cluster", "check", first().address())).contains("All nodes agree"));
        return added;
    }

    /** Moves slots with {@code redis-cli --cluster reshard}: {@code count} slots from one master to another. */
    public String reshard(Server from, Server to, int count) {
        return run(List.of("redis-cli", "--cluster", "reshard", first().address(), "--cluster-from", nodeId(from),
                "--cluster-to", nodeId(to), "--cluster-slots", Integer.toString(count), "--cluster-yes"));
    }

    /**
     * Puts a {@link TcpProxy} in front of every server of a cluster and makes each announce its proxy's port to clients
     * (its cluster bus keeps its own port), so that a test can cut or starve the clients' connections; returns them by
     * server once every master names the others by their proxies (a client that learnt a real port would reach that
     * server around its proxy). The caller closes the proxies.
     */
    public Map<Server, TcpProxy> behindProxies() {
        Map<Server, TcpProxy> proxies = new LinkedHashMap<>();
        for (Server server : servers) {
            TcpProxy proxy = TcpProxy.to(server.port);
            proxies.put(server, proxy);
            server.cli("CONFIG", "SET", "cluster-announce-bus-port", Integer.toString(server.port + 10000));
            server.cli("CONFIG", "SET", "cluster-announce-port", Integer.toString(proxy.port()));
        }
        awaitTrue("the servers did not announce their proxies", () -> servers.stream().allMatch(server -> proxies.values()
                .stream().allMatch(proxy -> server.cli("CLUSTER", "NODES").contains(":" + proxy.port() + "@"))));
        return proxies;
    }

    /** Waits until every live master agrees that the cluster is ok. */
    public void awaitClusterOk() {
        awaitTrue("cluster did not become ok again", () -> servers.stream().filter(s -> s.process.isAlive())
                .allMatch(s -> s.cli("CLUSTER", "INFO").contains("cluster_state:ok")));
    }

    /**
     * A master, one replica that has finished its first sync, and three sentinels watching master name
     * {@code mymaster}. Without the wait, a master killed in the first seconds leaves a replica that never got its
     * data (the master delays a diskless sync by five seconds by default), and a failover then loses everything.
     */
    public static RedisServers sentinel() {
        RedisServers servers = masterWithReplica();
        Server master = servers.first();
        for (int i = 0; i < 3; i++) {
            int port = freePort();
            Path config = servers.dir.resolve("sentinel-" + port + ".conf");
            try {
                Files.writeString(config, "port " + port + "\nsentinel monitor mymaster 127.0.0.1 " + master.port + " 2\n"
                        + "sentinel down-after-milliseconds mymaster 1000\nsentinel failover-timeout mymaster 5000\n"
                        + "sentinel parallel-syncs mymaster 1\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Server sentinel = servers.new Server(port, List.of("redis-server", config.toString(), "--sentinel"));
            servers.servers.add(sentinel);
            sentinel.start();
        }
        return servers;
    }

    private static void awaitTrue(String failure, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(failure);
            }
            sleep(100);
        }
    }

    /** The data server the sentinels name as {@code mymaster}'s master now. */
    public Server sentinelMaster() {
        Server sentinel = servers.stream().filter(s -> s.args.contains("--sentinel")).findFirst().orElseThrow();
        String[] address = sentinel.cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster").trim().split("\\s+");
        int port = Integer.parseInt(address[address.length - 1]);
        return servers.stream().filter(s -> s.port == port).findFirst().orElseThrow();
    }

    public List<Server> servers() {
        return servers;
    }

    public Server first() {
        return servers.get(0);
    }

    /** Addresses of the data nodes (not the sentinels). */
    public List<String> addresses() {
        return servers.stream().filter(s -> !s.args.contains("--sentinel")).map(Server::address).toList();
    }

    public List<String> sentinelAddresses() {
        return servers.stream().filter(s -> s.args.contains("--sentinel")).map(Server::address).toList();
    }

    /**
     * A new server on a free port. The port is free when picked but not reserved: a client socket of the same test run
     * may take it before redis-server binds it, and redis-server then exits at once; it is started again on another.
     */
    private Server server(List<String> extra) {
        for (int attempt = 1; ; attempt++) {
            int port = freePort();
            // IPv4 loopback always: the helpers' own commands (redis-cli -p) and port checks use it
            List<String> args = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port), "--bind",
                    "127.0.0.1"));
            if (!host.equals("127.0.0.1")) {
                args.add(host);
            }
            args.addAll(List.of("--save", "", "--protected-mode", "no"));
            args.addAll(extra);
            Server server = new Server(port, args);
            try {
                server.start();
            } catch (PortTakenException taken) {
                if (attempt == 3) {
                    throw taken;
                }
                continue;
            }
            servers.add(server);
            return server;
        }
    }

    /** redis-server exited before it listened: its port was taken in the meantime. */
    private static final class PortTakenException extends IllegalStateException {
        PortTakenException(int port) {
            super("redis-server exited before it listened on " + port + " (port taken?)");
        }
    }

    @Override
    public void close() {
        for (Server server : servers) {
            if (server.process != null) {
                server.process.destroyForcibly(); // SIGKILL ends a paused server too
            }
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // temp files only
        }
    }

    /**
     * A free port for a new server, with the port 10,000 above it (a cluster server's bus) free too, and below the
     * kernel's range of ephemeral ports where this machine allows: a port in that range can be taken by any client
     * socket of the test run between the pick and redis-server's bind, or while a killed server is down before its
     * restart on the same port; and a cluster server's port must be 55535 or less. A port is handed out once per run,
     * so that no new server takes the port of one that is down.
     */
    private static int freePort() {
        int highest = ephemeralPortsFrom() - 10_001;
        for (int attempt = 0; attempt < 200 && highest > LOWEST_PORT; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOWEST_PORT, highest + 1);
            if (bindable(port) && bindable(port + 10_000) && HANDED_OUT.add(port)) {
                return port;
            }
        }
        for (int attempt = 0; ; attempt++) { // a machine whose ephemeral range starts too low: any free port
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                int port = socket.getLocalPort();
                if ((port <= 55_535 || attempt > 20) && HANDED_OUT.add(port)) {
                    return port;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The first port of the kernel's ephemeral range (32768 by default on Linux). */
    private static int ephemeralPortsFrom() {
        try {
            return Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim()
                    .split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void awaitPort(int port, Process process) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                if (!process.isAlive()) {
                    throw new PortTakenException(port);
                }
                sleep(20);
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("redis-server did not listen on " + port);
    }

    /**
     * Runs a command and returns what it printed (an error answered by Redis is printed, not thrown). A command that
     * does not finish within a minute (a server paused with SIGSTOP, say) is killed and fails the caller, rather than
     * hanging the test until its own timeout.
     */
    private static String run(List<String> command) {
        Path output = null;
        try {
            output = Files.createTempFile("redis-cli", ".out");
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within a minute");
            }
            return Files.readString(output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // a file left in the temporary folder
                }
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
