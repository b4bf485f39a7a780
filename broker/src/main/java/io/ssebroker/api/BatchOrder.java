package io.ssebroker.api;

import io.ssebroker.engine.Publication;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The order in which a batch's messages are published, so that the messages of one stream are stored, and
 * delivered, in the batch's order: an engine may publish a message in steps (a look for the result of its idempotency
 * key, for the owners of its devices, a connection of its own), and a later message started at once could overtake
 * it. A message waits for the earlier ones that may share a stream with it, and only for those: the earlier
 * messages to one of its uids; a message to devices, whose users are not known before it is published, for every
 * earlier message with targets, and a message to uids for every earlier one to devices; a broadcast for the
 * earlier broadcasts. Messages to distinct users go at once. A message with the idempotency key of an earlier one
 * waits for that one too, whatever their targets: it then finds the key's result (a repeat delivers nothing more),
 * rather than looking for it at the same time and publishing as well. Used on one thread, the request's.
 */
final class BatchOrder {
    private static final CompletableFuture<Void> NOTHING = CompletableFuture.completedFuture(null);

    /** Every earlier message with targets, published or failed. */
    private CompletableFuture<Void> targeted = NOTHING;
    /** The latest message to devices (which waited for every earlier one with targets). */
    private CompletableFuture<Void> toDevices = NOTHING;
    private CompletableFuture<Void> broadcast = NOTHING;
    private final Map<String, CompletableFuture<Void>> byUid = new HashMap<>();
    private final Map<String, CompletableFuture<Void>> byKey = new HashMap<>();

    /**
     * Completes once the earlier messages that may share a stream with this one, or that have its idempotency key,
     * are published or failed.
     */
    CompletableFuture<Void> after(Publication publication) {
        CompletableFuture<Void> sameKey = publication.idempotencyKey() == null ? null : byKey.get(publication.idempotencyKey());
        return sameKey == null ? sameStream(publication) : sameStream(publication).thenCombine(sameKey, (stream, key) -> null);
    }

    private CompletableFuture<Void> sameStream(Publication publication) {
        if (publication.isBroadcast()) {
            return broadcast;
        }
        if (!publication.devices().isEmpty()) {
            return targeted;
        }
        CompletableFuture<?>[] earlier = publication.uids().stream().map(uid -> byUid.getOrDefault(uid, NOTHING))
                .toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(earlier).thenCombine(toDevices, (uids, devices) -> null);
    }

    /** Records a message started, with its outcome: the later ones that may share a stream or its key wait for it. */
    void published(Publication publication, CompletableFuture<?> outcome) {
        CompletableFuture<Void> done = outcome.handle((result, error) -> null);
        if (publication.idempotencyKey() != null) {
            byKey.put(publication.idempotencyKey(), done);
        }
        if (publication.isBroadcast()) {
            broadcast = done;
            return;
        }
        targeted = targeted.thenCombine(done, (all, one) -> null);
        if (!publication.devices().isEmpty()) {
            toDevices = done;
        }
        publication.uids().forEach(uid -> byUid.put(uid, done));
    }
}
