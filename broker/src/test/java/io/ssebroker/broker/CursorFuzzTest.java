package io.ssebroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Any Last-Event-ID a client sends: parsed or ignored, never an exception; a parsed one formats back to itself. */
class CursorFuzzTest {

    @FuzzTest(maxDuration = "5m")
    void parsesOrIgnoresAnyLastEventId(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        Optional<Cursor> cursor = Cursor.parse(text);
        cursor.ifPresent(c -> {
            assertThat(c.userOffset()).isNotNegative();
            assertThat(c.broadcastOffset()).isNotNegative();
            byte[] prefix = (c.epoch() + "." + c.uidTag() + "." + c.nonce() + ".").getBytes(StandardCharsets.US_ASCII);
            assertThat(Cursor.parse(Cursor.format(prefix, c.userOffset(), c.broadcastOffset()))).contains(c);
        });
    }
}
