package io.ssebroker.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/** The JSON answer of every publisher endpoint: {@code {"code", "msg", "micro", "result"}}. */
final class Envelope {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Envelope() {
    }

    static ByteBuf success(ByteBufAllocator alloc, Object result, long startNanos) {
        return write(alloc, 1, "success", result, startNanos);
    }

    static ByteBuf failure(ByteBufAllocator alloc, int status, String message, long startNanos) {
        return write(alloc, status, message, "", startNanos);
    }

    /** Written straight into the answer's buffer: no map and no byte array per answer. */
    private static ByteBuf write(ByteBufAllocator alloc, int code, String message, Object result, long startNanos) {
        ByteBuf buf = alloc.buffer();
        OutputStream out = new ByteBufOutputStream(buf);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeNumberField("code", code);
            json.writeStringField("msg", message);
            json.writeNumberField("micro", Math.max(0, (System.nanoTime() - startNanos) / 1000));
            json.writeFieldName("result");
            writeResult(json, result);
            json.writeEndObject();
        } catch (IOException | RuntimeException e) {
            buf.release();
            throw new IllegalStateException("cannot encode answer", e);
        }
        return buf;
    }

    /** The counts and texts most answers carry are written directly, without the mapper's serializer lookup. */
    private static void writeResult(JsonGenerator json, Object result) throws IOException {
        if (result instanceof Integer count) {
            json.writeNumber(count);
        } else if (result instanceof String text) {
            json.writeString(text);
        } else {
            json.writeObject(result);
        }
    }
}
