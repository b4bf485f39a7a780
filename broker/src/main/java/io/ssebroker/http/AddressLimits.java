package io.ssebroker.http;

import io.ssebroker.broker.RetryDelays;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Connections held and connects per second, per client address: one client cannot take every slot of a node nor
 * make it verify tokens without end. IPv6 clients count by their /64 (one subscriber's network: a host picks any
 * address in it); a client whose address is unknown (a forwarding chain that cannot be read) counts as one. Called
 * from every event loop; each address's counts change atomically, and an address that holds nothing and has its
 * full allowance is forgotten by {@link #sweep()}.
 */
final class AddressLimits {
    private static final String UNKNOWN = "unknown";

    /** Why a client was refused, and when it may try again. */
    record Refusal(boolean tooFast, String message, int retryAfterMillis) {
    }

    private final int maxConnections;
    private final double connectsPerSecond;
    private final RetryDelays retryDelays;
    private final ConcurrentHashMap<String, Counts> byAddress = new ConcurrentHashMap<>();

    /** Zero turns a limit off; a refused client is told to come back after one of {@code retryDelays}. */
    AddressLimits(int maxConnections, int connectsPerSecond, RetryDelays retryDelays) {
        this.maxConnections = maxConnections;
        this.connectsPerSecond = connectsPerSecond;
        this.retryDelays = retryDelays;
    }

    boolean enabled() {
        return maxConnections > 0 || connectsPerSecond > 0;
    }

    /** Takes a connection for the address, or says why not; a taken one must be {@link #release released}. */
    Refusal acquire(InetAddress address) {
        long now = System.nanoTime();
        Refusal[] refusal = new Refusal[1];
        byAddress.compute(key(address), (key, held) -> {
            Counts counts = held != null ? held : new Counts(connectsPerSecond, now);
            counts.refill(connectsPerSecond, now);
            if (maxConnections > 0 && counts.open >= maxConnections) {
                refusal[0] = new Refusal(false, "client address " + key + " holds the maximum of " + maxConnections
                        + " connections (limits.max_connections_per_address)", retryDelays.refusalMillis(3));
            } else if (connectsPerSecond > 0 && counts.allowance < 1) {
                // Never sooner than the next token, nor than any other refused client: a client told to come back
                // in the milliseconds before its next token would only make the flood this limit is against.
                int nextToken = (int) Math.ceil((1 - counts.allowance) / connectsPerSecond * 1000);
                refusal[0] = new Refusal(true, "client address " + key + " connects faster than "
                        + (long) connectsPerSecond + " per second (limits.connects_per_second_per_address)",
                        retryDelays.refusalMillis(1, nextToken));
            } else {
                counts.open++;
                counts.allowance -= connectsPerSecond > 0 ? 1 : 0;
            }
            return counts;
        });
        return refusal[0];
    }

    void release(InetAddress address) {
        byAddress.computeIfPresent(key(address), (key, counts) -> {
            counts.open--;
            return counts;
        });
    }

    /** Forgets addresses that hold nothing and have their whole allowance back: the map holds only active clients. */
    void sweep() {
        long now = System.nanoTime();
        for (String key : byAddress.keySet()) {
            byAddress.computeIfPresent(key, (k, counts) -> {
                counts.refill(connectsPerSecond, now);
                return counts.open <= 0 && counts.allowance >= connectsPerSecond ? null : counts;
            });
        }
    }

    int trackedAddresses() {
        return byAddress.size();
    }

    static String key(InetAddress address) {
        if (address == null) {
            return UNKNOWN;
        }
        if (address instanceof Inet6Address) {
            byte[] network = Arrays.copyOf(address.getAddress(), 16);
            Arrays.fill(network, 8, 16, (byte) 0);
            try {
                return InetAddress.getByAddress(network).getHostAddress() + "/64";
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e); // sixteen bytes are always an address
            }
        }
        return address.getHostAddress();
    }

    /** Open connections and a token bucket of connects that refills at the configured rate up to one second's worth. */
    private static final class Counts {
        int open;
        double allowance;
        long refilledNanos;

        Counts(double perSecond, long now) {
            allowance = perSecond;
            refilledNanos = now;
        }

        void refill(double perSecond, long now) {
            double earned = (now - refilledNanos) * perSecond / TimeUnit.SECONDS.toNanos(1);
            allowance = Math.min(perSecond, allowance + earned);
            refilledNanos = now;
        }
    }
}
