package io.ssebroker.auth;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tokens verified recently, so that a reconnect storm (every client of a lost node coming back with the token it
 * had) verifies no signature twice. Bounded: two generations of at most {@code generationSize} entries each; when
 * the young one is full it becomes the old one and the old one is dropped, so a token used again stays and one
 * used once leaves after two generations. An entry counts only until its token expires (with the leeway already
 * in {@code validUntilMillis}); revocation by a kick is checked after verification, so a cached token is still
 * refused once kicked. Called from every event loop.
 */
final class VerifiedTokenCache {
    private record Entry(VerifiedToken token, long validUntilMillis) {
    }

    private final int generationSize;
    private volatile Map<String, Entry> young = new ConcurrentHashMap<>();
    private volatile Map<String, Entry> old = new ConcurrentHashMap<>();
    /** How many times the cache was cleared; counted before the maps are replaced (see {@link #get}). */
    private volatile int clears;

    VerifiedTokenCache(int generationSize) {
        this.generationSize = generationSize;
    }

    /** The verified token, or null when it is not known or has expired. */
    VerifiedToken get(String token, long nowMillis) {
        Entry entry = young.get(token);
        if (entry == null) {
            int clearsBefore = clears;
            entry = old.get(token);
            if (entry != null) {
                Map<String, Entry> into = put(token, entry); // used again: it stays another generation
                if (clears != clearsBefore) {
                    // Cleared since it was read (the keys changed): the entry may have gone into the young map that
                    // replaced the cleared ones, where it would outlive the clear. Counted before the maps are
                    // replaced, so a clear not seen here replaced them after this put, which went to the old ones.
                    into.remove(token, entry);
                    return null;
                }
            }
        }
        return entry == null || nowMillis > entry.validUntilMillis() ? null : entry.token();
    }

    void put(String token, VerifiedToken verified, long validUntilMillis) {
        put(token, new Entry(verified, validUntilMillis));
    }

    /** Returns the map the entry was put in. */
    private Map<String, Entry> put(String token, Entry entry) {
        Map<String, Entry> current = young;
        current.put(token, entry);
        if (current.size() > generationSize) {
            synchronized (this) {
                if (young == current) {
                    old = current;
                    young = new ConcurrentHashMap<>();
                }
            }
        }
        return current;
    }

    /** Forgets everything: the keys that verified these tokens changed. */
    synchronized void clear() {
        clears++;
        young = new ConcurrentHashMap<>();
        old = new ConcurrentHashMap<>();
    }

    int size() {
        return young.size() + old.size();
    }
}
