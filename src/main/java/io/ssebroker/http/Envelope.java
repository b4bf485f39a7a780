package io.ssebroker.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.LinkedHashMap;
import java.util.Map;

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

    private static ByteBuf write(ByteBufAllocator alloc, int code, String message, Object result, long startNanos) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", code);
        body.put("msg", message);
        body.put("micro", Math.max(0, (System.nanoTime() - startNanos) / 1000));
        body.put("result", result);
        try {
            return alloc.buffer().writeBytes(JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode answer", e);
        }
    }
}
