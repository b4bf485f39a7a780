package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.codec.StringCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.ssebroker.testing.RedisServers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** The codec of the node's Redis connections: exact sizes, the same bytes as UTF-8, and the same cluster slots. */
class Utf8CodecTest {
    private static final List<String> SAMPLES = List.of("", "user-1", "é", "ユーザー", "😀 emoji", "{\"k\":\"a\\nb\"}",
            "x".repeat(10_000) + "ü");

    /** Lettuce writes the size it is told, then the bytes: they must agree for any string, or the protocol breaks. */
    @Property
    void theSizeIsExactlyWhatIsWritten(@ForAll String text) {
        ByteBuf target = Unpooled.buffer();
        try {
            Utf8Codec.INSTANCE.encodeValue(text, target);
            assertThat(target.readableBytes()).isEqualTo(Utf8Codec.INSTANCE.estimateSize(text));
            assertThat(Utf8Codec.INSTANCE.encodeValue(text).remaining()).isEqualTo(target.readableBytes());
        } finally {
            target.release();
        }
    }

    @Property
    void wellFormedTextComesBackAsItWent(@ForAll String text) {
        String wellFormed = new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        ByteBuf target = Unpooled.directBuffer();
        try {
            Utf8Codec.INSTANCE.encodeValue(wellFormed, target);
            assertThat(Utf8Codec.INSTANCE.decodeValue(target.nioBuffer())).isEqualTo(wellFormed);
        } finally {
            target.release();
        }
    }

    @Test
    void keysHashToTheSameClusterSlotsAsWithLettucesCodec() {
        for (String key : SAMPLES) {
            assertThat(SlotHash.getSlot(Utf8Codec.INSTANCE.encodeKey(key)))
                    .isEqualTo(SlotHash.getSlot(StringCodec.UTF8.encodeKey(key)));
        }
        assertThat(SlotHash.getSlot(Utf8Codec.INSTANCE.encodeKey("sse:{u:ユーザー}:presence")))
                .isEqualTo(SlotHash.getSlot(ByteBuffer.wrap("u:ユーザー".getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void redisStoresAndReturnsTheUtf8Bytes() {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone()) {
            RedisClient client = RedisClient.create(RedisURI.create("redis://" + redis.first().address()));
            try (StatefulRedisConnection<String, String> connection = client.connect(Utf8Codec.INSTANCE)) {
                RedisCommands<String, String> commands = connection.sync();
                for (String text : SAMPLES) {
                    String key = "k:" + text;
                    commands.hset(key, text, text);
                    assertThat(commands.hget(key, text)).isEqualTo(text);
                    assertThat(commands.hstrlen(key, text)).isEqualTo(text.getBytes(StandardCharsets.UTF_8).length);
                    assertThat(commands.keys("k:*")).contains(key);
                }
                String joined = commands.eval("return ARGV[1] .. '|' .. KEYS[1]", ScriptOutputType.VALUE,
                        new String[] {"ключ"}, "значение");
                assertThat(joined).isEqualTo("значение|ключ");
            } finally {
                client.shutdown();
            }
        }
    }
}
