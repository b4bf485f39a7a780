package io.ssebroker.bench;

import java.io.PrintWriter;
import java.util.Optional;

/**
 * Everything a scenario run works with: its settings, the system under test, the client side, the server probe,
 * and the probe of the Redis server the system runs on, if it does.
 */
record RunContext(BenchSettings settings, Target target, ClientTransport transport, Optional<ServerProbe> server,
                  Optional<RedisProbe> redis, PrintWriter log) {
}
