package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The answer envelope: a count's answer, written without a JSON generator, reads like every other answer. */
class EnvelopeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode read(ByteBuf buf) throws Exception {
        try {
            return JSON.readTree(buf.toString(StandardCharsets.UTF_8));
        } finally {
            buf.release();
        }
    }

    @Test
    void countsOfEveryRangeAreWholeJsonAnswers() throws Exception {
        for (int count : new int[] {0, 1, 42, Integer.MAX_VALUE, -1}) {
            JsonNode answer = read(Envelope.success(UnpooledByteBufAllocator.DEFAULT, count, System.nanoTime()));
            assertThat(answer.get("code").intValue()).isEqualTo(1);
            assertThat(answer.get("msg").textValue()).isEqualTo("success");
            assertThat(answer.get("micro").isIntegralNumber()).isTrue();
            assertThat(answer.get("micro").longValue()).isGreaterThanOrEqualTo(0);
            assertThat(answer.get("result").isInt()).isTrue();
            assertThat(answer.get("result").intValue()).isEqualTo(count);
            assertThat(answer.fieldNames()).toIterable().containsExactly("code", "msg", "micro", "result");
        }
    }

    @Test
    void otherResultsAndFailuresKeepTheSameFields() throws Exception {
        JsonNode object = read(Envelope.success(UnpooledByteBufAllocator.DEFAULT, Map.of("online", true), System.nanoTime()));
        assertThat(object.fieldNames()).toIterable().containsExactly("code", "msg", "micro", "result");
        assertThat(object.get("result").get("online").booleanValue()).isTrue();
        JsonNode failure = read(Envelope.failure(UnpooledByteBufAllocator.DEFAULT, 400, "data: \"quoted\"\n", System.nanoTime()));
        assertThat(failure.get("code").intValue()).isEqualTo(400);
        assertThat(failure.get("msg").textValue()).isEqualTo("data: \"quoted\"\n");
        assertThat(failure.get("result").textValue()).isEmpty();
    }
}
