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
 *
 * <p>A string is sized and written through {@link String#getBytes}, which the JVM compiles to a vectorised check and
 * copy for the usual text of one byte per character (identifiers, JSON): Lettuce asks for the size, then for the
 * bytes, and two such copies cost a third of stepping over the characters one by one twice (once to count, once to
 * write).
 */
final class Utf8Codec implements RedisCodec<String, String>, ToByteBufEncoder<String, String> {
    static final Utf8Codec INSTANCE = new Utf8Codec();

    private Utf8Codec() {
    }

    @Override
    public boolean isEstimateExact() {
        return true;
    }

    /** The exact number of bytes {@link #write} writes for the text (a lone surrogate as one '?'). */
    @Override
    public int estimateSize(Object keyOrValue) {
        if (keyOrValue instanceof String text) {
            return text.getBytes(StandardCharsets.UTF_8).length;
        }
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
            target.writeBytes(text.getBytes(StandardCharsets.UTF_8));
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
