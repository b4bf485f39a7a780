package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.ssebroker.config.AddressRange;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Any forwarding headers from a trusted proxy: the client address is read without an exception, and whatever the
 * headers say, a chain whose nearest untrusted hop is remote never yields a loopback client.
 */
class ForwardedHeadersFuzzTest {
    private static final InetSocketAddress PROXY = new InetSocketAddress("127.0.0.1", 1234);
    private static final ClientAddress ADDRESS = new ClientAddress(
            List.of(AddressRange.parse("127.0.0.1"), AddressRange.parse("10.0.0.0/8")), ClientAddress.Source.AUTO);

    @FuzzTest(maxDuration = "5m")
    void readsAnyChainAndNeverBelievesAForgedLocalEntry(FuzzedDataProvider data) {
        HttpHeaders headers = new DefaultHttpHeaders(false);
        String[] names = {"X-Forwarded-For", "Forwarded", "X-Real-IP"};
        headers.add(data.pickValue(names), data.consumeString(200));
        if (data.consumeBoolean()) {
            headers.add(data.pickValue(names), data.consumeString(200));
        }
        // what nginx's $proxy_add_x_forwarded_for does: the real peer appended on the right of whatever came
        boolean appended = data.consumeBoolean();
        if (appended) {
            headers.add("X-Forwarded-For", "203.0.113.7");
        }
        InetSocketAddress client = ADDRESS.resolve(PROXY, headers);
        if (appended && headers.getAll("Forwarded").isEmpty()) {
            assertThat(client).isNotNull();
            assertThat(client.getAddress().getHostAddress()).isEqualTo("203.0.113.7");
        }
    }
}
