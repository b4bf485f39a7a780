package io.ssebroker.bench;

import java.io.PrintWriter;
import java.util.Optional;

/**
 * Everything a scenario run works with: its settings, the system under test, the client side (subscribers and
 * publishers on loops of their own), the server probe, and the probe of the Redis server the system runs on, if it
 * does.
 *
 * @param transport  the subscribers' loops (and a connect storm's)
 * @param publishing the publishers' loop: a publication's answer is read as soon as it comes, not behind the
 *                   deliveries that the subscribers' loops are reading at that moment, as the publishing backend of a
 *                   real deployment, which holds no subscribers, reads it
 */
record RunContext(BenchSettings settings, Target target, ClientTransport transport, ClientTransport publishing,
                  Optional<ServerProbe> server, Optional<RedisProbe> redis, PrintWriter log) {
}
