package io.ssebroker.browser;

import static io.ssebroker.testing.BrowserTab.literal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ssebroker.testing.BrowserTab;
import io.ssebroker.testing.Chromium;
import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.TcpProxy;
import io.ssebroker.testing.TestNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Chromium's own EventSource against refusals that pass: while Redis is down, and while the node is at its
 * connection limit, the browser is told {@code sys_unavailable} with a 200 and keeps trying (an EventSource stops
 * for good on any other status); once the cause is gone it connects, resumes from its cursor, and gets every
 * message once.
 */
class RefusedForNowBrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(40);
    /** Opens a named EventSource and logs what it sees, the readyState after every error included. */
    private static final String OPEN = """
            (() => {
              window.sources = window.sources || {};
              const log = [];
              const source = new EventSource(%s);
              for (const type of ['sys_connected', 'sys_unavailable', 'sys_reset', 'message']) {
                source.addEventListener(type, e => log.push(type + ':' + (type === 'message' ? e.data : '')));
              }
              source.onerror = () => log.push('error:' + source.readyState);
              sources[%s] = { source, log };
              return true;
            })()""";

    private static Chromium chromium;

    @BeforeAll
    static void startBrowser() throws IOException, InterruptedException {
        chromium = Chromium.launchOrSkip();
    }

    @AfterAll
    static void stopBrowser() {
        if (chromium != null) {
            chromium.close();
        }
    }

    private static void open(BrowserTab tab, String name, String url) {
        tab.evaluate(OPEN.formatted(literal(url), literal(name)));
    }

    private static List<String> log(BrowserTab tab, String name) {
        List<String> lines = new ArrayList<>();
        tab.evaluate("sources[" + literal(name) + "].log").forEach(line -> lines.add(line.asText()));
        return lines;
    }

    private static long count(List<String> log, String line) {
        return log.stream().filter(line::equals).count();
    }

    @Test
    void aBrowserStaysThroughARedisOutageAndResumesWhenRedisIsBack() throws Exception {
        Assumptions.assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.timeout", "1",
                     "sse.retry_ms", "300"));
             TcpProxy network = TcpProxy.to(node.port())) {
            String base = "http://127.0.0.1:" + network.port();
            BrowserTab tab = chromium.open(base + "/healthz");
            try {
                open(tab, "a", "/events?device=laptop&token=" + node.token("erin", "laptop"));
                await().atMost(WAIT).until(() -> log(tab, "a").contains("sys_connected:"));
                node.api().send(Map.of("uid", "erin", "data", "before"));
                await().atMost(WAIT).until(() -> log(tab, "a").contains("message:before"));

                redis.first().shutdownSaving();
                network.cut(); // the browser's connection drops while Redis is gone: it must come back by itself
                network.restore();
                await().atMost(WAIT).until(() -> count(log(tab, "a"), "sys_unavailable:") >= 2);
                assertThat(log(tab, "a")).doesNotContain("error:2");

                redis.first().restart();
                await().atMost(WAIT).until(() -> count(log(tab, "a"), "sys_connected:") >= 2);
                node.api().send(Map.of("uid", "erin", "data", "after"));
                await().atMost(WAIT).until(() -> log(tab, "a").contains("message:after"));
                List<String> seen = log(tab, "a");
                assertThat(count(seen, "message:before")).isEqualTo(1);
                assertThat(seen).doesNotContain("error:2", "sys_reset:");
            } finally {
                tab.close();
            }
        }
    }

    @Test
    void aBrowserRefusedAtTheConnectionLimitGetsInOnceASlotIsFree() throws Exception {
        try (TestNode node = TestNode.start(Map.of("limits.max_connections", "1", "sse.retry_ms", "300"))) {
            BrowserTab tab = chromium.open(node.baseUrl() + "/healthz");
            try {
                open(tab, "first", "/events?device=one&token=" + node.token("finn", "one"));
                await().atMost(WAIT).until(() -> log(tab, "first").contains("sys_connected:"));
                open(tab, "second", "/events?device=two&token=" + node.token("finn", "two"));
                await().atMost(WAIT).until(() -> count(log(tab, "second"), "sys_unavailable:") >= 1);
                assertThat(log(tab, "second")).doesNotContain("error:2");

                tab.evaluate("sources.first.source.close(), true");
                await().atMost(WAIT).until(() -> log(tab, "second").contains("sys_connected:"));
                node.api().send(Map.of("uid", "finn", "data", "welcome"));
                await().atMost(WAIT).until(() -> log(tab, "second").contains("message:welcome"));
                assertThat(log(tab, "second")).doesNotContain("error:2");
            } finally {
                tab.close();
            }
        }
    }
}
