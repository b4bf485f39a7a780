package io.ssebroker.engine.memory;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The connections of each user that were kicked or extruded lately, so that their reconnects are refused. Bounded
 * per user (the most recent ones) and in time (the longest token lifetime), so that no token can grow it without
 * end by churning device ids.
 */
final class RecentlyEnded {
    private record Ended(String nonce, long expiresAtMillis) {
    }

    private final int perUser;
    private final long ttlMillis;
    private final ConcurrentHashMap<String, Deque<Ended>> byUid = new ConcurrentHashMap<>();

    RecentlyEnded(int perUser, long ttlMillis) {
        this.perUser = perUser;
        this.ttlMillis = ttlMillis;
    }

    void mark(String uid, String nonce, long now) {
        byUid.compute(uid, (key, ended) -> {
            Deque<Ended> list = ended != null ? ended : new ArrayDeque<>();
            list.addFirst(new Ended(nonce, now + ttlMillis));
            while (list.size() > perUser) {
                list.removeLast();
            }
            return list;
        });
    }

    /**
     * Takes back the newest mark of this connection: the one a replacement made, which is taken back when that
     * replacement never went live. A kick's mark of the same connection, made before, stays: its cursor is still
     * refused.
     */
    void unmark(String uid, String nonce) {
        byUid.computeIfPresent(uid, (key, list) -> {
            for (Iterator<Ended> newestFirst = list.iterator(); newestFirst.hasNext(); ) {
                if (newestFirst.next().nonce().equals(nonce)) {
                    newestFirst.remove();
                    break;
                }
            }
            return list.isEmpty() ? null : list;
        });
    }

    boolean contains(String uid, String nonce, long now) {
        boolean[] found = {false};
        byUid.computeIfPresent(uid, (key, list) -> {
            found[0] = list.stream().anyMatch(ended -> ended.nonce().equals(nonce) && ended.expiresAtMillis() >= now);
            return list;
        });
        return found[0];
    }

    /**
     * Drops the expired marks, each user's under the map's lock for that user, as every other change of the user's
     * list is made: the event loops mark while the janitor purges.
     */
    void purge(long now) {
        for (String uid : byUid.keySet()) {
            removeIf(uid, ended -> ended.expiresAtMillis() < now);
        }
    }

    /** Removes the user's marks that match, under the map's lock for the user; the user goes with the last one. */
    private void removeIf(String uid, Predicate<Ended> match) {
        byUid.computeIfPresent(uid, (key, list) -> {
            list.removeIf(match);
            return list.isEmpty() ? null : list;
        });
    }
}
