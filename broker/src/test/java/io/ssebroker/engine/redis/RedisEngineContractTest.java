package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.config.BrokerConfig;
import io.ssebroker.engine.Engine;
import io.ssebroker.engine.EngineContractTest;
import io.ssebroker.engine.Position;
import io.ssebroker.engine.Publication;
import io.ssebroker.engine.Registration;
import io.ssebroker.engine.Replay;
import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.engine.StreamMessage;
import io.ssebroker.testing.RedisServers;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The engine contract against a real standalone redis-server. */
class RedisEngineContractTest extends EngineContractTest {
    private static RedisServers redis;

    @BeforeAll
    static void startRedis() {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        redis = RedisServers.standalone();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @Override
    protected Map<String, String> engineSettings() {
        return Map.of("redis.addrs", redis.first().address());
    }

    @Override
    protected Engine newEngine(BrokerConfig config, StateChangeListener stateChanges) {
        return new RedisEngine(config, NODE, "test", stateChanges);
    }

    /**
     * A connection that starts where this node has handed its streams on to (its registration's position, nothing
     * published since) needs nothing from Redis: its replay is answered while Redis does not answer at all.
     */
    @Test
    void aConnectionStartingWhereThisNodeStandsReadsNothingFromRedis() {
        String uid = id("u");
        Registration registration = engine.register(session(uid, id("d")), 10, System.currentTimeMillis()).join();
        redis.first().pause();
        try {
            Replay replay = engine.replay(uid, id("d"), Optional.of(registration.start())).orTimeout(2, TimeUnit.SECONDS).join();
            assertThat(replay.messages()).isEmpty();
            assertThat(replay.resetReason()).isNull();
            assertThat(replay.start()).isEqualTo(registration.start());
        } finally {
            redis.first().resume();
        }
    }

    /**
     * The publish script keeps the id of a stream's oldest entry in its meta hash, to see without reading the stream
     * whether anything has aged out. Bookkeeping without it (written by an earlier version) or with an older one
     * than the stream's (entries removed by hand) still trims exactly what has aged out.
     */
    @Test
    void trimmingByAgeNeedsNoExactRecordOfTheOldestEntry() throws InterruptedException {
        Engine shortLived = startedEngine(Map.of("sse.device_frame_cache_expire", "1"));
        try {
            String uid = id("u");
            String meta = new RedisKeys("sse").userMeta(uid);
            Position start = shortLived.replay(uid, "d", Optional.empty()).join().start();
            shortLived.publish(new Publication(null, "m1", Set.of(uid), Set.of())).join();
            redis.first().cli("HDEL", meta, "first");
            Thread.sleep(1_100);
            shortLived.publish(new Publication(null, "m2", Set.of(uid), Set.of())).join();
            Replay fromStart = shortLived.replay(uid, "d", Optional.of(start)).join();
            assertThat(fromStart.resetReason()).isEqualTo(Replay.EXPIRED);
            assertThat(fromStart.messages()).extracting(StreamMessage::data).containsExactly("m2");

            redis.first().cli("HSET", meta, "first", "1-0");
            shortLived.publish(new Publication(null, "m3", Set.of(uid), Set.of())).join();
            Position afterM2 = after(fromStart, fromStart.start(), "m2");
            Replay fromM2 = shortLived.replay(uid, "d", Optional.of(afterM2)).join();
            assertThat(fromM2.resetReason()).isNull();
            assertThat(fromM2.messages()).extracting(StreamMessage::data).containsExactly("m3");
            assertThat(redis.first().cli("HGET", meta, "first").trim()).isEqualTo(StreamIds.toId(afterM2.userOffset()));
        } finally {
            shortLived.close();
        }
    }

    /**
     * A stream keeps its window of the newest messages by its cut, and Redis removes what lies behind the cut in
     * whole blocks (its stream nodes, of up to 100 entries): however many blocks have gone or are still there, a
     * replay sees exactly the window, a cursor at the cut (its client saw the newest message outside the window)
     * resumes without a reset, one before it is reset, and the stream holds at most a block more than its window.
     */
    @Test
    void theWindowIsExactWhileRedisRemovesWholeBlocksBehindIt() {
        String uid = id("u");
        String stream = new RedisKeys("sse").userStream(uid);
        Position start = publishFromStart(engine, uid, 345);
        Replay at345 = engine.replay(uid, "d", Optional.of(start)).join();
        assertThat(at345.resetReason()).isEqualTo(Replay.EXPIRED);
        assertThat(at345.messages()).extracting(StreamMessage::data).containsExactly("m341", "m342", "m343", "m344", "m345");
        Position afterM344 = after(at345, at345.start(), "m344");
        Position afterM345 = after(at345, at345.start(), "m345");
        for (int i = 346; i <= 350; i++) {
            engine.publish(new Publication(null, "m" + i, Set.of(uid), Set.of())).join();
        }
        long length = Long.parseLong(redis.first().cli("XLEN", stream).trim());
        assertThat(length).as("entries Redis still holds").isBetween(5L, 5L + 100);

        List<String> window = List.of("m346", "m347", "m348", "m349", "m350");
        Replay fromStart = engine.replay(uid, "d", Optional.of(start)).join();
        assertThat(fromStart.resetReason()).isEqualTo(Replay.EXPIRED);
        assertThat(fromStart.messages()).extracting(StreamMessage::data).containsExactlyElementsOf(window);
        Replay fromCut = engine.replay(uid, "d", Optional.of(afterM345)).join();
        assertThat(fromCut.resetReason()).isNull();
        assertThat(fromCut.messages()).extracting(StreamMessage::data).containsExactlyElementsOf(window);
        Replay beforeCut = engine.replay(uid, "d", Optional.of(afterM344)).join();
        assertThat(beforeCut.resetReason()).isEqualTo(Replay.EXPIRED);
        assertThat(beforeCut.messages()).extracting(StreamMessage::data).containsExactlyElementsOf(window);
    }

    /**
     * The history size made smaller (a restart with another setting, or nodes that differ in it during a rolling
     * deploy): the next append cuts the window to the new length at once, Redis removes none of the window's entries,
     * and a cursor inside what was cut is reset, never left with a silent gap. Made larger, the window grows to it.
     */
    @Test
    void aChangedHistorySizeCutsOrGrowsTheWindowAndEveryReplayStaysWhole() {
        String uid = id("u");
        Engine large = startedEngine(Map.of("sse.device_frame_cache_size", "150"));
        Engine small = startedEngine(Map.of("sse.device_frame_cache_size", "100"));
        try {
            Position start = publishFromStart(large, uid, 300);
            Replay all = large.replay(uid, "d", Optional.of(start)).join();
            assertThat(all.messages()).hasSize(150);
            Position afterM200 = after(all, all.start(), "m200");
            Position afterM201 = after(all, all.start(), "m201");
            small.publish(new Publication(null, "m301", Set.of(uid), Set.of())).join();
            List<String> window = IntStream.rangeClosed(202, 301).mapToObj(i -> "m" + i).toList();

            Replay fromM200 = small.replay(uid, "d", Optional.of(afterM200)).join();
            assertThat(fromM200.resetReason()).as("m201 was cut").isEqualTo(Replay.EXPIRED);
            assertThat(fromM200.messages()).extracting(StreamMessage::data).containsExactlyElementsOf(window);
            Replay fromM201 = small.replay(uid, "d", Optional.of(afterM201)).join();
            assertThat(fromM201.resetReason()).isNull();
            assertThat(fromM201.messages()).extracting(StreamMessage::data).containsExactlyElementsOf(window);

            for (int i = 302; i <= 340; i++) {
                large.publish(new Publication(null, "m" + i, Set.of(uid), Set.of())).join();
            }
            Replay grown = small.replay(uid, "d", Optional.of(afterM201)).join();
            assertThat(grown.resetReason()).as("the larger size keeps what the smaller one cut to").isNull();
            assertThat(grown.messages()).as("all of the window, longer than the reading node's history size")
                    .extracting(StreamMessage::data)
                    .containsExactlyElementsOf(IntStream.rangeClosed(202, 340).mapToObj(i -> "m" + i).toList());
        } finally {
            large.close();
            small.close();
        }
    }

    /** Bookkeeping of an earlier version, without the window's count: the next append counts it, and cuts it. */
    @Test
    void bookkeepingWithoutTheWindowsCountIsCountedOnce() {
        String uid = id("u");
        Engine longer = startedEngine(Map.of("sse.device_frame_cache_size", "8"));
        try {
            Position start = publishFromStart(longer, uid, 8);
            redis.first().cli("HDEL", new RedisKeys("sse").userMeta(uid), "n");
            engine.publish(new Publication(null, "m9", Set.of(uid), Set.of())).join(); // this node keeps 5
            Replay fromStart = engine.replay(uid, "d", Optional.of(start)).join();
            assertThat(fromStart.resetReason()).isEqualTo(Replay.EXPIRED);
            assertThat(fromStart.messages()).extracting(StreamMessage::data).containsExactly("m5", "m6", "m7", "m8", "m9");
            assertThat(redis.first().cli("HGET", new RedisKeys("sse").userMeta(uid), "n").trim()).isEqualTo("5");
        } finally {
            longer.close();
        }
    }

    /**
     * A stream that expired entirely (Redis deleted it; its bookkeeping lives on): a cursor behind its last message
     * missed what expired with it and is reset; one at its last message saw everything and continues.
     */
    @Test
    void aCursorBehindAStreamThatExpiredIsResetAndOneAtItsEndIsNot() {
        String uid = id("u");
        Position start = publishFromStart(engine, uid, 2);
        Replay both = engine.replay(uid, "d", Optional.of(start)).join();
        Position afterM1 = after(both, both.start(), "m1");
        Position afterM2 = after(both, both.start(), "m2");
        redis.first().cli("DEL", new RedisKeys("sse").userStream(uid)); // as Redis does when the stream's time is up
        Replay fromM1 = engine.replay(uid, "d", Optional.of(afterM1)).join();
        assertThat(fromM1.resetReason()).as("m2 went with the stream").isEqualTo(Replay.EXPIRED);
        assertThat(fromM1.messages()).isEmpty();
        Replay fromM2 = engine.replay(uid, "d", Optional.of(afterM2)).join();
        assertThat(fromM2.resetReason()).isNull();
        assertThat(fromM2.messages()).isEmpty();
    }

    /**
     * The bookkeeping of a stream outlives the stream itself, whatever the retention: when a stream is still there,
     * a cursor at its last message resumes without a reset.
     */
    @Test
    void aStreamsBookkeepingLivesAtLeastAsLongAsItsMessages() {
        String uid = id("u");
        Engine longKept = startedEngine(Map.of("sse.device_frame_cache_expire", Long.toString(TimeUnit.DAYS.toSeconds(60))));
        try {
            longKept.publish(new Publication(null, "m1", Set.of(uid), Set.of())).join();
            RedisKeys keys = new RedisKeys("sse");
            long streamTtl = Long.parseLong(redis.first().cli("PTTL", keys.userStream(uid)).trim());
            long metaTtl = Long.parseLong(redis.first().cli("PTTL", keys.userMeta(uid)).trim());
            assertThat(streamTtl).isGreaterThan(TimeUnit.DAYS.toMillis(59));
            assertThat(metaTtl).isGreaterThan(streamTtl);
        } finally {
            longKept.close();
        }
    }

    /**
     * Messages behind the window by count may still be in the stream when others age out: trimming by age removes
     * them too, and the cut moves on to the newest message removed, never back.
     */
    @Test
    void trimmingByAgeMovesTheCutOnlyForward() throws InterruptedException {
        Engine shortLived = startedEngine(Map.of("sse.device_frame_cache_expire", "1"));
        try {
            String uid = id("u");
            Position start = publishFromStart(shortLived, uid, 8);
            Replay window = shortLived.replay(uid, "d", Optional.of(start)).join();
            assertThat(window.messages()).extracting(StreamMessage::data).containsExactly("m4", "m5", "m6", "m7", "m8");
            Position afterM7 = after(window, window.start(), "m7");
            Position afterM8 = after(window, window.start(), "m8");
            Thread.sleep(1_100);
            shortLived.publish(new Publication(null, "m9", Set.of(uid), Set.of())).join();

            Replay fromM8 = shortLived.replay(uid, "d", Optional.of(afterM8)).join();
            assertThat(fromM8.resetReason()).isNull();
            assertThat(fromM8.messages()).extracting(StreamMessage::data).containsExactly("m9");
            Replay fromM7 = shortLived.replay(uid, "d", Optional.of(afterM7)).join();
            assertThat(fromM7.resetReason()).isEqualTo(Replay.EXPIRED);
            assertThat(fromM7.messages()).extracting(StreamMessage::data).containsExactly("m9");
            assertThat(redis.first().cli("XLEN", new RedisKeys("sse").userStream(uid)).trim()).isEqualTo("1");
        } finally {
            shortLived.close();
        }
    }

    /** A full stream whose bookkeeping has no record of its oldest entry still trims what has aged out. */
    @Test
    void aFullStreamWithoutARecordOfItsOldestEntryStillTrimsByAge() throws InterruptedException {
        Engine shortLived = startedEngine(Map.of("sse.device_frame_cache_expire", "1"));
        try {
            String uid = id("u");
            Position start = publishFromStart(shortLived, uid, 8);
            redis.first().cli("HDEL", new RedisKeys("sse").userMeta(uid), "first");
            Thread.sleep(1_100);
            shortLived.publish(new Publication(null, "m9", Set.of(uid), Set.of())).join();
            Replay fromStart = shortLived.replay(uid, "d", Optional.of(start)).join();
            assertThat(fromStart.resetReason()).isEqualTo(Replay.EXPIRED);
            assertThat(fromStart.messages()).extracting(StreamMessage::data).containsExactly("m9");
        } finally {
            shortLived.close();
        }
    }

    /** Reads where the user's stream starts, then publishes m1 to m{count} to the user; returns that start. */
    private static Position publishFromStart(Engine publisher, String uid, int count) {
        Position start = publisher.replay(uid, "d", Optional.empty()).join().start();
        for (int i = 1; i <= count; i++) {
            publisher.publish(new Publication(null, "m" + i, Set.of(uid), Set.of())).join();
        }
        return start;
    }

    /** A cursor of this node's position but of another history (Redis restarted empty) is still read: it is reset. */
    @Test
    void aCursorOfAnotherHistoryIsReadEvenAtThisNodesPosition() {
        String uid = id("u");
        Registration registration = engine.register(session(uid, id("d")), 10, System.currentTimeMillis()).join();
        Position elsewhere = new Position("another-epoch", registration.start().userOffset(),
                registration.start().broadcastOffset());
        assertThat(engine.replay(uid, id("d"), Optional.of(elsewhere)).join().resetReason()).isEqualTo(Replay.HISTORY_LOST);
    }

    /**
     * This engine queues presence changes (it has a listener); a node without a webhook does not. Each finds the
     * other among the live nodes that differ from it (the node warns of them when it starts).
     */
    @Test
    void nodesThatDifferInQueuingChangesFindEachOther() {
        RedisEngine withoutWebhook = new RedisEngine(config(Map.of()), "127.0.0.1:7002", "test", StateChangeListener.NONE);
        withoutWebhook.start(listener);
        try {
            List<String> seenByThisEngine = ((RedisEngine) engine).nodesQueuingOtherwise().join();
            assertThat(seenByThisEngine).singleElement().asString().startsWith("127.0.0.1:7002~");
            assertThat(withoutWebhook.nodesQueuingOtherwise().join()).singleElement().asString().startsWith(NODE + "~");
        } finally {
            withoutWebhook.close();
        }
        assertThat(((RedisEngine) engine).nodesQueuingOtherwise().join()).isEmpty();
    }

    /**
     * A device online in presence whose node never reports it ended (that node died, its presence not cleared yet)
     * holds a kick up for a bounded time only: the kick still answers, counting it.
     */
    @Test
    void aKickDoesNotWaitForeverForANodeThatNeverReports() {
        String uid = id("u");
        engine.register(session(uid, id("held-by-a-dead-node")), 10, System.currentTimeMillis()).join();
        long started = System.nanoTime();
        assertThat(engine.kick(Set.of(uid), Set.of(), "bye").orTimeout(3 * ControlChannel.KICK_REPORT_MILLIS,
                TimeUnit.MILLISECONDS).join()).isEqualTo(1);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
                .as("it waited for the report").isGreaterThanOrEqualTo(ControlChannel.KICK_REPORT_MILLIS - 100);
    }
}
