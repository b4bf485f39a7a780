package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ssebroker.engine.DeviceSession;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** The presence entries in Redis: any session is written as JSON that reads back the same. */
class SessionJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Property
    void anySessionReadsBackTheSame(@ForAll String uid, @ForAll String device, @ForAll String nonce,
                                    @ForAll String client, @ForAll long login) throws Exception {
        DeviceSession session = new DeviceSession(uid, device, nonce, "10.0.0.7:8080", client, login);
        String json = SessionJson.write(session, "node-\"1\"");
        assertThat(SessionJson.read(json)).isEqualTo(session);
        assertThat(SessionJson.nodeId(json)).isEqualTo("node-\"1\"");
        // Valid JSON to any reader (the scripts decode it with cjson).
        JsonNode tree = JSON.readTree(json);
        assertThat(tree.path("nonce").asText()).isEqualTo(nonce);
        assertThat(tree.path("login").asLong()).isEqualTo(login);
    }

    @Test
    void readsEntriesInAnyOrderWithFieldsItDoesNotKnowAndWithoutTheNodeId() {
        String json = "{\"login\":17,\"extra\":{\"a\":[1,2]},\"device\":\"d\",\"uid\":\"u\",\"nonce\":\"n\",\"node\":\"h:1\","
                + "\"client\":\"c\"}";
        assertThat(SessionJson.read(json)).isEqualTo(new DeviceSession("u", "d", "n", "h:1", "c", 17));
        assertThat(SessionJson.nodeId(json)).isEmpty();
    }

    @Test
    void refusesWhatIsNotAnEntry() {
        assertThatThrownBy(() -> SessionJson.read("[1]")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SessionJson.read("{\"uid\":")).isInstanceOf(IllegalArgumentException.class);
    }
}
