package io.ssebroker.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sse-broker-loadgen}: the load generator. Opens SSE connections to sse-broker, Nchan or Pushpin, publishes
 * stamped messages and measures what arrives, end to end; prints progress on stderr and, with {@code --json}, one
 * line of JSON on stdout.
 */
@Command(name = "sse-broker-loadgen", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Load generator: SSE connections against sse-broker, Nchan or Pushpin on this machine.",
                "Scenarios: broadcast, unicast (random users), idle (memory per connection), connect (storm)."},
        subcommands = {TableCommand.class, PlotCommand.class})
public final class BenchCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--target", defaultValue = "sse-broker", paramLabel = "SYSTEM",
            description = "system under test: sse-broker, nchan or pushpin (default: ${DEFAULT-VALUE})")
    String target;

    @Option(names = "--url", defaultValue = "http://127.0.0.1:8080", split = ",", paramLabel = "URL",
            description = "where subscribers connect: sse-broker's API (several nodes of a cluster: URL,URL,...; "
                    + "subscribers and publishers are spread over them), nginx with Nchan, or Pushpin's HTTP port "
                    + "(default: ${DEFAULT-VALUE})")
    List<String> urls;

    @Option(names = "--control-url", defaultValue = "http://127.0.0.1:5561", paramLabel = "URL",
            description = "Pushpin's control (publish) port (default: ${DEFAULT-VALUE})")
    String controlUrl;

    @Option(names = "--origin-port", defaultValue = "0", paramLabel = "PORT",
            description = "Pushpin only: port of the GRIP origin the bench serves on 127.0.0.1 (the one Pushpin's routes name)")
    int originPort;

    @Option(names = "--api-key", paramLabel = "KEY", description = "sse-broker publisher API key, when it has auth.api_keys")
    String apiKey;

    @Option(names = "--scenario", defaultValue = "broadcast", paramLabel = "NAME",
            description = "broadcast, unicast, idle or connect (default: ${DEFAULT-VALUE})")
    String scenario;

    @Option(names = {"-n", "--connections"}, defaultValue = "1000", paramLabel = "N",
            description = "SSE connections (default: ${DEFAULT-VALUE})")
    int connections;

    @Option(names = "--rate", defaultValue = "0", paramLabel = "MSG/S",
            description = "messages published per second; 0 = as fast as --window allows (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--window", defaultValue = "8", paramLabel = "MESSAGES",
            description = "messages in flight at most (a broadcast counts until every connection has it); 0 = no limit "
                    + "(default: ${DEFAULT-VALUE})")
    int window;

    @Option(names = "--publishers", defaultValue = "4", paramLabel = "N",
            description = "keep-alive publisher connections, one request in flight on each (default: ${DEFAULT-VALUE})")
    int publishers;

    @Option(names = "--payload-bytes", defaultValue = "0", paramLabel = "BYTES",
            description = "padding added to each message after its stamp (default: ${DEFAULT-VALUE})")
    int paddingBytes;

    @Option(names = "--warmup", defaultValue = "3", paramLabel = "SECONDS",
            description = "publishing before measuring; connect: unmeasured storms, opened and closed again, for this "
                    + "long (at least one) (default: ${DEFAULT-VALUE})")
    int warmupSeconds;

    @Option(names = "--settle", defaultValue = "0", paramLabel = "SECONDS",
            description = "longest time the warm-up goes on past --warmup while a JVM server's JIT compiler is still "
                    + "busy or the server still touches memory for the first time (0 = never) (default: ${DEFAULT-VALUE})")
    int settleSeconds;

    @Option(names = "--duration", defaultValue = "10", paramLabel = "SECONDS",
            description = "measured publishing (default: ${DEFAULT-VALUE})")
    int durationSeconds;

    @Option(names = "--drain", defaultValue = "10", paramLabel = "SECONDS",
            description = "longest wait for messages in flight after publishing stops (default: ${DEFAULT-VALUE})")
    int drainSeconds;

    @Option(names = "--hold", defaultValue = "10", paramLabel = "SECONDS",
            description = "idle: how long connections are held before the server is sampled (default: ${DEFAULT-VALUE})")
    int holdSeconds;

    @Option(names = "--connect-concurrency", defaultValue = "100", paramLabel = "N",
            description = "connections being opened at once at most (default: ${DEFAULT-VALUE})")
    int connectConcurrency;

    @Option(names = "--open-timeout", defaultValue = "120", paramLabel = "SECONDS",
            description = "longest time to open all connections (default: ${DEFAULT-VALUE})")
    int openTimeoutSeconds;

    @Option(names = "--source-addresses", defaultValue = "8", paramLabel = "N",
            description = "connections to a loopback server leave from 127.0.0.1 to 127.0.0.N (default: ${DEFAULT-VALUE})")
    int sourceAddresses;

    @Option(names = "--client-threads", paramLabel = "N", description = "client event loops (default: one per core)")
    Integer clientThreads;

    @Option(names = "--server-pid", split = ",", paramLabel = "PID",
            description = "server process(es) to sample with their descendants: CPU, memory; jcmd for a JVM")
    List<Long> serverPids = List.of();

    @Option(names = "--redis", split = ",", paramLabel = "HOST:PORT",
            description = "the Redis server(s) the system under test runs on (every master of a Redis Cluster): "
                    + "their commands and CPU per delivery are reported, summed")
    List<String> redis = List.of();

    @Option(names = "--json", description = "print the summary as one line of JSON on stdout")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        requireAtLeast("--connections", connections, 1);
        requireAtLeast("--publishers", publishers, 1);
        requireAtLeast("--connect-concurrency", connectConcurrency, 1);
        requireAtLeast("--window", window, 0);
        requireAtLeast("--settle", settleSeconds, 0);
        if (sourceAddresses < 1 || sourceAddresses > 254) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--source-addresses must be 1 to 254");
        }
        Scenario chosen;
        try {
            chosen = Scenario.fromLabel(scenario);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        BenchSettings settings = new BenchSettings(connections, connectConcurrency, openTimeoutSeconds, rate, window,
                publishers, paddingBytes, warmupSeconds, durationSeconds, drainSeconds, holdSeconds,
                settleSeconds);
        Optional<RedisProbe> redisProbe = redis.isEmpty() ? Optional.empty() : Optional.of(redisProbe());
        Optional<ServerProbe> server = serverPids.isEmpty() ? Optional.empty()
                : Optional.of(new ServerProbe(new ServerProcesses(serverPids)));
        int threads = clientThreads != null ? clientThreads : Runtime.getRuntime().availableProcessors();
        try (ClientTransport transport = new ClientTransport(threads, sourceAddresses);
             ClientTransport publishing = new ClientTransport(1, sourceAddresses);
             Target system = target(transport, new Channels(chosen == Scenario.BROADCAST))) {
            RunContext context = new RunContext(settings, system, transport, publishing, server,
                    redisProbe, spec.commandLine().getErr());
            BenchResult result = switch (chosen) {
                case BROADCAST, UNICAST -> new DeliveryRun(context).run(chosen);
                case IDLE -> new IdleRun(context).run();
                case CONNECT -> new ConnectRun(context).run();
            };
            String summary = json ? JSON.writeValueAsString(result)
                    : JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result);
            spec.commandLine().getOut().println(summary);
            spec.commandLine().getOut().flush();
        }
        return 0;
    }

    private Target target(ClientTransport transport, Channels channels) throws InterruptedException {
        List<InetSocketAddress> servers = urls.stream().map(BenchCommand::address).toList();
        if (servers.size() > 1 && !target.equals("sse-broker")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "several --url are for sse-broker nodes only");
        }
        InetSocketAddress address = servers.get(0);
        return switch (target) {
            case "sse-broker" -> new BrokerTarget(servers, apiKey);
            case "nchan" -> new NchanTarget(address, channels);
            case "pushpin" -> {
                if (originPort <= 0) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "--origin-port is required with --target pushpin (the port Pushpin's routes send to)");
                }
                yield new PushpinTarget(address, address(controlUrl), channels, new GripOrigin(transport, originPort));
            }
            default -> throw new CommandLine.ParameterException(spec.commandLine(),
                    "unknown --target '" + target + "' (sse-broker, nchan or pushpin)");
        };
    }

    private RedisProbe redisProbe() {
        try {
            return new RedisProbe(redis);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private void requireAtLeast(String option, int value, int least) {
        if (value < least) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + " must be at least " + least);
        }
    }

    private static InetSocketAddress address(String url) {
        URI uri = URI.create(url);
        return new InetSocketAddress(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 80);
    }
}
