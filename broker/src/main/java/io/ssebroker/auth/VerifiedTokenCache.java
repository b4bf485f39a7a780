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

    /**
     * The two generations, replaced together: a reader that took them before a clear puts what it promotes into maps
     * that the clear has dropped, where it does no harm (two maps read and written apart could let an entry read
     * from the old generation before a clear be promoted into the young one after it, to outlive the clear).
     */
    private record Generations(Map<String, Entry> young, Map<String, Entry> old) {
    }

    private final int generationSize;
    private volatile Generations generations = new Generations(new ConcurrentHashMap<>(), new ConcurrentHashMap<>());

    VerifiedTokenCache(int generationSize) {
        this.generationSize = generationSize;
    }

    /** The verified token, or null when it is not known or has expired. */
    VerifiedToken get(String token, long nowMillis) {
        Generations current = generations;
        Entry entry = current.young().get(token);
        if (entry == null) {
            entry = current.old().get(token);
            if (entry != null) {
                put(current, token, entry); // used again: it stays another generation
            }
        }
        return entry == null || nowMillis > entry.validUntilMillis() ? null : entry.token();
    }

    void put(String token, VerifiedToken verified, long validUntilMillis) {
        put(generations, token, new Entry(verified, validUntilMillis));
    }

    private void put(Generations current, String token, Entry entry) {
        current.young().put(token, entry);
        if (current.young().size() > generationSize) {
            synchronized (this) {
                if (generations == current) {
                    generations = new Generations(new ConcurrentHashMap<>(), current.young());
                }
            }
        }
    }

    /** Forgets everything: the keys that verified these tokens changed. */
    synchronized void clear() {
        generations = new Generations(new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
    }

    int size() {
        Generations current = generations;
        return current.young().size() + current.old().size();
    }
}
