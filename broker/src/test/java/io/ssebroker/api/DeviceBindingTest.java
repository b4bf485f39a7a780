package io.ssebroker.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.ssebroker.testing.Api;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What a connect token bound to no device allows (docs/SECURITY.md): its holder picks the device, another uid's
 * included; with {@code jwt.require_device} such tokens are neither minted nor accepted.
 */
class DeviceBindingTest {
    private static final String SECRET = "a-secret-of-thirty-two-bytes-or-more!";

    @Test
    void aTokenBoundToNoDeviceTakesOverAnotherUsersDevice() throws Exception {
        try (TestNode node = TestNode.start(Map.of("jwt.secret", SECRET));
             SseClient alice = node.connect("alice", "alice-phone")) {
            alice.nextOfType("sys_connected");
            try (SseClient mallory = SseClient.open(node, "/events?device=alice-phone",
                    Map.of("X-SSE-TOKEN", node.token("mallory", null)))) {
                assertThat(mallory.status()).isEqualTo(200);
                mallory.nextOfType("sys_connected");
                assertThat(alice.nextOfType("sys_extrude_offline").event()).isEqualTo("sys_extrude_offline");
                node.api().send(Map.of("device", "alice-phone", "data", "for the phone"));
                assertThat(mallory.next(Duration.ofSeconds(5)).data()).isEqualTo("for the phone");
            }
        }
    }

    @Test
    void withRequireDeviceATokenMustNameItsDevice() throws Exception {
        try (TestNode minter = TestNode.start(Map.of("jwt.secret", SECRET));
             TestNode node = TestNode.start(Map.of("jwt.secret", SECRET, "jwt.require_device", "true"))) {
            Api.Answer unbound = node.api().get("/token", Map.of("uid", "mallory"));
            assertThat(unbound.status()).isEqualTo(400);
            assertThat(unbound.msg()).contains("jwt.require_device");
            try (SseClient refused = SseClient.open(node, "/events?device=alice-phone",
                    Map.of("X-SSE-TOKEN", minter.token("mallory", null)))) {
                assertThat(refused.status()).as("a token minted elsewhere without a device").isEqualTo(403);
                assertThat(refused.body()).contains("not bound to a device");
            }
            try (SseClient bound = node.connect("alice", "alice-phone")) {
                assertThat(bound.status()).isEqualTo(200);
                bound.nextOfType("sys_connected");
            }
        }
    }
}
