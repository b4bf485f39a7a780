package io.ssebroker.engine.redis;

import io.ssebroker.config.BrokerConfig;
import io.ssebroker.engine.Position;
import io.ssebroker.engine.Publication;
import io.ssebroker.engine.Replay;
import io.ssebroker.engine.StreamMessage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The retained streams in Redis: one per user and one for broadcasts. Appends (idempotent by a publication id, and
 * published on the stream's channel in the same script), replays after a cursor, and the reads a
 * {@link StreamFollower} makes to fill a gap.
 */
final class RedisStreams {
    /**
     * How long a user stream's bookkeeping (last id, last trimmed id) outlives its last message at least: a cursor
     * that comes back within it is told exactly whether it missed something. Never less than the stream itself lives
     * ({@link #metaTtlMillis}). The broadcast stream's never expires.
     */
    private static final long META_TTL_MILLIS = TimeUnit.DAYS.toMillis(30);

    private final RedisScripts scripts;
    /** What runs the appends: the scripts' connection, or {@link ReplicatedSends} when sends wait for replicas. */
    private final ScriptRunner appends;
    private final RedisKeys keys;
    private final BrokerConfig config;

    RedisStreams(RedisScripts scripts, ScriptRunner appends, RedisKeys keys, BrokerConfig config) {
        this.scripts = scripts;
        this.appends = appends;
        this.keys = keys;
        this.config = config;
    }

    /** How long a stream, and a device's owner, outlive their last write. */
    long retentionMillis() {
        return config.sse().historyExpireSeconds() * 1000 + 60_000;
    }

    /**
     * How long a user stream's bookkeeping outlives its last write: gone before the stream, the stream's messages
     * would be read as expired (everything replayed again, with a reset) while they are all still there.
     */
    long metaTtlMillis() {
        return Math.max(META_TTL_MILLIS, retentionMillis() + TimeUnit.DAYS.toMillis(1));
    }

    /**
     * The id that makes a publication's appends idempotent, and how long it is remembered. Every publication has one:
     * Lettuce re-sends a command that was written but not answered when its connection dropped, and the re-sent
     * script must not append twice (a random id, remembered well past the command timeout). A send with an
     * idempotency key uses the key, remembered for the idempotency window, so a repeat on any node is answered
     * with the first result, and at least as long as a random id: a window shorter than a re-send may come must not
     * let the re-sent script append again.
     */
    record PublicationId(String id, long ttlMillis) {
    }

    PublicationId publicationId(Publication publication) {
        long resentWithinMillis = Math.max(60_000, 10_000L * config.redis().timeoutSeconds());
        if (publication.idempotencyKey() != null) {
            return new PublicationId("k:" + publication.idempotencyKey(),
                    Math.max(resentWithinMillis, config.sse().idempotencyWindowSeconds() * 1000));
        }
        // Unique, not secret: 63 random bits (a SecureRandom per publication cost more than the rest of this method).
        return new PublicationId("r:" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36), resentWithinMillis);
    }

    /**
     * Appends to one stream (a user's, or the broadcast stream when uid is null) and publishes on its channel, once
     * per id; completes with the stream's target devices online (0 for the broadcast stream).
     */
    CompletableFuture<Integer> append(String uid, Publication publication, String devices, long now, PublicationId id) {
        String[] scriptKeys = uid == null
                ? new String[] {keys.broadcastStream(), keys.broadcastMeta(), keys.broadcastChannel(), keys.broadcastMeta(),
                        keys.broadcastPublication(id.id())}
                : new String[] {keys.userStream(uid), keys.userMeta(uid), keys.userChannel(uid), keys.userPresence(uid),
                        keys.userPublication(uid, id.id())};
        long expireMillis = config.sse().historyExpireSeconds() * 1000;
        return appends.run(RedisScripts.Script.PUBLISH, scriptKeys,
                        publication.event() == null ? "" : publication.event(), publication.data(), devices,
                        Long.toString(now), Integer.toString(config.sse().historySize()),
                        Long.toString(expireMillis), Long.toString(retentionMillis()),
                        uid == null ? "0" : Long.toString(metaTtlMillis()), uid == null ? "none" : "user",
                        Long.toString(id.ttlMillis()))
                .thenApply(result -> ((Long) result.get(1)).intValue());
    }

    /** What a connection of this device must be sent after {@code from}, in history {@code epoch}. */
    CompletableFuture<Replay> replay(String uid, String device, Optional<Position> from, String epoch) {
        boolean sameHistory = from.map(p -> p.epoch().equals(epoch)).orElse(true);
        CompletableFuture<StreamSlice> user = slice(uid, from.map(Position::userOffset), sameHistory, device);
        CompletableFuture<StreamSlice> all = slice(null, from.map(Position::broadcastOffset), sameHistory, device);
        return user.thenCombine(all, (u, b) -> {
            List<StreamMessage> messages = new ArrayList<>(u.messages());
            messages.addAll(b.messages());
            messages.sort(Comparator.comparingLong(StreamMessage::offset));
            String reason = u.resetReason() != null ? u.resetReason() : b.resetReason();
            return new Replay(new Position(epoch, u.start(), b.start()), messages, reason);
        });
    }

    /** Reads a stream's entries after an offset, and where it was last trimmed (for a follower's gap). */
    CompletableFuture<StreamFollower.Missed> readAfter(String uid, long offset) {
        return read(uid, StreamIds.toId(offset)).thenApply(read -> new StreamFollower.Missed(read.cut(),
                read.lastId().isEmpty() ? -1 : read.last(), read.messages()));
    }

    /** One stream's part of a replay: where the connection starts, what it gets, why it is reset (or null). */
    private record StreamSlice(long start, List<StreamMessage> messages, String resetReason) {
    }

    private CompletableFuture<StreamSlice> slice(String uid, Optional<Long> cursor, boolean sameHistory, String device) {
        String cursorId = cursor.isEmpty() ? "" : !sameHistory ? "-" : StreamIds.toId(cursor.get());
        return read(uid, cursorId).thenCompose(read -> {
            long head = read.last();
            if (cursor.isEmpty()) {
                return CompletableFuture.completedFuture(new StreamSlice(head, List.of(), null));
            }
            String reason = !sameHistory ? Replay.HISTORY_LOST
                    : read.lastId().isEmpty() && cursor.get() > 0 ? Replay.EXPIRED
                    : cursor.get() > head ? Replay.UNKNOWN_CURSOR
                    : cursor.get() < read.cut() || cursor.get() < head && read.gone()
                            || cursor.get() > 0 && cursor.get() < read.born() ? Replay.EXPIRED : null;
            if (reason == null || reason.equals(Replay.HISTORY_LOST)) {
                return CompletableFuture.completedFuture(new StreamSlice(reason == null ? cursor.get() : read.cut(),
                        addressedTo(read.messages(), device), reason));
            }
            return read(uid, "-").thenApply(everything ->
                    new StreamSlice(everything.cut(), addressedTo(everything.messages(), device), reason));
        });
    }

    /**
     * A stream as read: its newest entry, its cut, the entries read, where its known history begins, and whether the
     * stream itself expired (its entries after the cut went with it; its meta hash, which outlives it, names them).
     */
    private record StreamRead(String lastId, long last, long cut, List<StreamMessage> messages, long born,
                              boolean gone) {
    }

    private CompletableFuture<StreamRead> read(String uid, String cursorId) {
        String[] scriptKeys = uid == null ? new String[] {keys.broadcastStream(), keys.broadcastMeta()}
                : new String[] {keys.userStream(uid), keys.userMeta(uid)};
        return scripts.run(RedisScripts.Script.REPLAY, scriptKeys, cursorId, Integer.toString(config.sse().historySize() + 16))
                .thenApply(result -> {
                    List<StreamMessage> messages = new ArrayList<>();
                    for (Object entry : (List<?>) result.get(2)) {
                        messages.add(ChannelMessage.fromEntry(uid, (List<?>) entry));
                    }
                    String lastId = (String) result.get(0);
                    return new StreamRead(lastId, StreamIds.toOffset(lastId), StreamIds.toOffset((String) result.get(1)),
                            messages, StreamIds.toOffset((String) result.get(3)), (Long) result.get(4) == 1);
                });
    }

    private static List<StreamMessage> addressedTo(List<StreamMessage> messages, String device) {
        return messages.stream().filter(message -> message.addressedTo(device)).toList();
    }
}
