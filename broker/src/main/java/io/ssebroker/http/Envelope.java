package io.ssebroker.http;

import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.ByteBufUtil;
import io.ssebroker.json.JsonValues;
import java.io.IOException;
import java.io.OutputStream;

/** The JSON answer of every publisher endpoint: {@code {"code", "msg", "micro", "result"}}. */
final class Envelope {
    /** Everything of a count's answer up to the time it took: a send's answer, the most frequent of all. */
    private static final String COUNT_HEAD = "{\"code\":1,\"msg\":\"success\",\"micro\":";

    private Envelope() {
    }

    static ByteBuf success(ByteBufAllocator alloc, Object result, long startNanos) {
        if (result instanceof Integer count) {
            return count(alloc, count, startNanos);
        }
        return write(alloc, 1, "success", result, startNanos);
    }

    /** A count's answer, written as ASCII without a JSON generator (one per answer otherwise): only numbers vary. */
    private static ByteBuf count(ByteBufAllocator alloc, int count, long startNanos) {
        ByteBuf buf = alloc.buffer(COUNT_HEAD.length() + 40);
        ByteBufUtil.writeAscii(buf, COUNT_HEAD);
        writeDecimal(buf, micros(startNanos));
        ByteBufUtil.writeAscii(buf, ",\"result\":");
        writeDecimal(buf, count);
        buf.writeByte('}');
        return buf;
    }

    /** A number (an int's range or a non-negative long) in decimal digits, without a string in between. */
    private static void writeDecimal(ByteBuf buf, long value) {
        if (value < 0) {
            buf.writeByte('-');
            value = -value;
        }
        if (value >= 10) {
            writeDecimal(buf, value / 10);
        }
        buf.writeByte('0' + (int) (value % 10));
    }

    private static long micros(long startNanos) {
        return Math.max(0, (System.nanoTime() - startNanos) / 1000);
    }

    static ByteBuf failure(ByteBufAllocator alloc, int status, String message, long startNanos) {
        return write(alloc, status, message, "", startNanos);
    }

    /** Written straight into the answer's buffer: no map and no byte array per answer. */
    private static ByteBuf write(ByteBufAllocator alloc, int code, String message, Object result, long startNanos) {
        ByteBuf buf = alloc.buffer();
        OutputStream out = new ByteBufOutputStream(buf);
        try (JsonGenerator json = JsonValues.factory().createGenerator(out)) {
            json.writeStartObject();
            json.writeNumberField("code", code);
            json.writeStringField("msg", message);
            json.writeNumberField("micro", micros(startNanos));
            json.writeFieldName("result");
            JsonValues.write(json, result);
            json.writeEndObject();
        } catch (IOException | RuntimeException e) {
            buf.release();
            throw new IllegalStateException("cannot encode answer", e);
        }
        return buf;
    }
}
