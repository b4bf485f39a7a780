package io.ssebroker.engine.redis;

import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.ToByteBufEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Keys and values as UTF-8 strings, written straight into the command's buffer. Lettuce's own UTF-8 codec only
 * estimates a string's size, so Lettuce encodes every argument into a temporary pooled buffer first and copies it
 * over (an allocation, a leak-detector sample and a copy per argument, a tenth of a node's CPU in a connect storm);
 * with the exact size known, it writes the length prefix and then the string in place. A null is written as an
 * empty string, as Lettuce's codec does.
 */
final class Utf8Codec implements RedisCodec<String, String>, ToByteBufEncoder<String, String> {
    static final Utf8Codec INSTANCE = new Utf8Codec();

    private Utf8Codec() {
    }

    @Override
    public boolean isEstimateExact() {
        return true;
    }

    /** The exact number of bytes {@link ByteBufUtil#writeUtf8} writes for the string (a lone surrogate as one '?'). */
    @Override
    public int estimateSize(Object keyOrValue) {
        return keyOrValue instanceof CharSequence text ? ByteBufUtil.utf8Bytes(text) : 0;
    }

    @Override
    public void encodeKey(String key, ByteBuf target) {
        write(key, target);
    }

    @Override
    public void encodeValue(String value, ByteBuf target) {
        write(value, target);
    }

    private static void write(String text, ByteBuf target) {
        if (text != null) {
            ByteBufUtil.writeUtf8(target, text);
        }
    }

    /** Used where Lettuce needs the bytes apart from a command: a key's cluster slot, chiefly. */
    @Override
    public ByteBuffer encodeKey(String key) {
        return bytes(key);
    }

    @Override
    public ByteBuffer encodeValue(String value) {
        return bytes(value);
    }

    private static ByteBuffer bytes(String text) {
        return ByteBuffer.wrap(text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String decodeKey(ByteBuffer bytes) {
        return read(bytes);
    }

    @Override
    public String decodeValue(ByteBuffer bytes) {
        return read(bytes);
    }

    private static String read(ByteBuffer bytes) {
        if (bytes.hasArray()) {
            return new String(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining(), StandardCharsets.UTF_8);
        }
        byte[] copy = new byte[bytes.remaining()];
        bytes.duplicate().get(copy);
        return new String(copy, StandardCharsets.UTF_8);
    }
}
