package io.ssebroker.bench;

import io.netty.handler.codec.http.FullHttpRequest;
import java.net.InetSocketAddress;
import java.util.List;

/** A system under test: how a subscriber opens its stream and how a message is published to it. */
interface Target extends AutoCloseable {
    /** Publication address meaning every subscriber. */
    int EVERYONE = -1;

    String name();

    /** Where subscriber {@code subscriber} connects. */
    InetSocketAddress subscribeAddress(int subscriber);

    /** Where messages are published (publisher connections take them in turn): the subscribers' servers, unless the
     * system publishes on a port of its own. */
    List<InetSocketAddress> publishAddresses();

    /** Whatever subscriptions need before they open (tokens); called once, outside the measured phases. */
    default void prepare(HttpRequester publisher, int subscribers) throws Exception {
    }

    /** The request that opens the stream of subscriber {@code subscriber} (which is also its user). */
    FullHttpRequest subscription(int subscriber);

    /** The request that publishes {@code payload} to subscriber {@code subscriber}'s user, or to {@link #EVERYONE}. */
    FullHttpRequest publication(int subscriber, String payload);

    @Override
    default void close() {
    }
}
