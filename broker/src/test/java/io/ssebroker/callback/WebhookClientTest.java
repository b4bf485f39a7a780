package io.ssebroker.callback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.ssebroker.testing.TcpProxy;
import io.ssebroker.testing.TestCertificate;
import io.ssebroker.testing.WebhookReceiver;
import io.ssebroker.testing.WebhookReceiver.Call;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The webhook's HTTP client against real servers on loopback: kept connections, silent servers, TLS, proxies. */
class WebhookClientTest {
    private static final byte[] BODY = "{\"uid\":\"u-1\"}".getBytes(StandardCharsets.UTF_8);

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final EventLoop loop = group.next();
    private WebhookClient client = new WebhookClient(loop, 2_000, WebhookClient.IDLE_MILLIS, WebhookClient::jvmTls, null);

    @AfterEach
    void stop() {
        loop.execute(() -> client.close());
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    @Test
    void postsGoOutWithTheirHeadersAndBodyOnOneKeptConnection() {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            String url = receiver.url("/hook?key=a%20b");
            for (int i = 0; i < 3; i++) {
                assertThat(post(url)).isEqualTo(new Outcome(200, null));
            }
            List<Call> calls = receiver.next(3);
            Call first = calls.get(0);
            assertThat(first.path()).isEqualTo("/hook");
            assertThat(first.body()).isEqualTo(BODY);
            assertThat(first.header("Content-Type")).isEqualTo("application/json");
            assertThat(first.header("X-SSE-Delivery")).isEqualTo("delivery-1");
            assertThat(first.header("Host")).isEqualTo(URI.create(url).getAuthority());
            assertThat(calls).extracting(Call::clientPort).as("one connection, kept").containsOnly(first.clientPort());
        }
    }

    @Test
    void aKeptConnectionTheServerClosedUnseenIsReplacedWithinTheAttempt() {
        AtomicInteger requests = new AtomicInteger();
        try (ScriptedServer server = new ScriptedServer((index, in, out) -> {
            if (index == 0) { // answers the first post, then reads the second and closes without a word
                assertThat(readRequest(in)).isNotNull();
                requests.incrementAndGet();
                out.write(answer("200 OK", "Content-Length: 0"));
                assertThat(readRequest(in)).isNotNull();
                requests.incrementAndGet();
                return;
            }
            while (readRequest(in) != null) {
                requests.incrementAndGet();
                out.write(answer("204 No Content", ""));
            }
        })) {
            assertThat(post(server.url())).isEqualTo(new Outcome(200, null));
            assertThat(post(server.url())).as("sent again on a new connection").isEqualTo(new Outcome(204, null));
            assertThat(requests).hasValue(3);
            assertThat(server.connections()).isEqualTo(2);
        }
    }

    @Test
    void aNewConnectionClosedBeforeAnAnswerFailsThePostWithoutSendingItAgain() {
        AtomicInteger requests = new AtomicInteger();
        try (ScriptedServer server = new ScriptedServer((index, in, out) -> {
            if (readRequest(in) != null) {
                requests.incrementAndGet();
            }
        })) {
            Outcome outcome = post(server.url());
            assertThat(outcome.status()).isZero();
            assertThat(outcome.failure()).isInstanceOf(IOException.class).hasMessageContaining("closed");
            assertThat(requests).hasValue(1);
        }
    }

    @Test
    void noAnswerWithinTheTimeoutFailsThePostAndClosesItsConnection() {
        client = new WebhookClient(loop, 300, WebhookClient.IDLE_MILLIS, WebhookClient::jvmTls, null);
        CompletableFuture<Boolean> closedByTheClient = new CompletableFuture<>();
        try (ScriptedServer server = new ScriptedServer((index, in, out) -> {
            readRequest(in);
            closedByTheClient.complete(in.read() == -1);
        })) {
            long start = System.nanoTime();
            Outcome outcome = post(server.url());
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(outcome.failure()).isInstanceOf(SocketTimeoutException.class).hasMessageContaining("300 ms");
            assertThat(tookMillis).isBetween(250L, 2_000L);
            assertThat(closedByTheClient.orTimeout(5, TimeUnit.SECONDS).join()).isTrue();
        }
    }

    @Test
    void theOutcomeIsTheAnswersHeadAndItsBodyIsStillReadBeforeTheConnectionServesAgain() {
        CompletableFuture<Boolean> closedByTheClient = new CompletableFuture<>();
        try (ScriptedServer server = new ScriptedServer((index, in, out) -> {
            readRequest(in);
            if (index == 0) { // half of the body, then nothing more
                out.write(answer("200 OK", "Content-Length: 10"));
                out.write("12345".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                closedByTheClient.complete(in.read() == -1);
                return;
            }
            out.write(answer("201 Created", "Content-Length: 0"));
        })) {
            long start = System.nanoTime();
            assertThat(post(server.url())).isEqualTo(new Outcome(200, null));
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("not held until the deadline")
                    .isLessThan(1_500);
            assertThat(post(server.url())).as("on a connection of its own").isEqualTo(new Outcome(201, null));
            assertThat(server.connections()).isEqualTo(2);
            assertThat(closedByTheClient).isNotDone();
        }
    }

    /** A server that answers and then sends its body for ever (a streaming endpoint) holds no connection past the timeout. */
    @Test
    void anAnswersBodyThatNeverEndsIsCutOffAfterTheTimeout() {
        client = new WebhookClient(loop, 500, WebhookClient.IDLE_MILLIS, WebhookClient::jvmTls, null);
        CompletableFuture<Long> cutOffAfterMillis = new CompletableFuture<>();
        try (ScriptedServer server = new ScriptedServer((index, in, out) -> {
            readRequest(in);
            out.write(answer("200 OK", "Transfer-Encoding: chunked"));
            long start = System.nanoTime();
            try {
                while (!cutOffAfterMillis.isDone()) {
                    out.write("1\r\nx\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    Thread.sleep(50);
                }
            } catch (IOException closed) {
                cutOffAfterMillis.complete(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })) {
            assertThat(post(server.url())).isEqualTo(new Outcome(200, null));
            assertThat(cutOffAfterMillis.orTimeout(10, TimeUnit.SECONDS).join()).isBetween(400L, 5_000L);
            assertThat(CompletableFuture.supplyAsync(client::openConnections, loop).join()).isZero();
        }
    }

    @Test
    void hostNamesAreResolved() {
        // a deadline past the C library's resolver timeouts: a machine whose DNS does not answer fails the lookup too
        client = new WebhookClient(loop, 60_000, WebhookClient.IDLE_MILLIS, WebhookClient::jvmTls, null);
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            String url = receiver.url("/hook").replace("127.0.0.1", "localhost");
            assertThat(post(url)).isEqualTo(new Outcome(200, null));
            assertThat(receiver.next().header("Host")).startsWith("localhost:");
        }
        Outcome unknown = post("http://no-such-host.invalid/hook");
        assertThat(unknown.failure()).isInstanceOf(UnknownHostException.class);
    }

    @Test
    void aConnectionUnusedForAWhileIsClosed() {
        client = new WebhookClient(loop, 2_000, 300, WebhookClient::jvmTls, null);
        CompletableFuture<Long> closedAfterMillis = new CompletableFuture<>();
        try (ScriptedServer server = new ScriptedServer((index, in, out) -> {
            readRequest(in);
            out.write(answer("200 OK", "Content-Length: 0"));
            long answered = System.nanoTime();
            if (in.read() == -1) {
                closedAfterMillis.complete(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - answered));
            }
        })) {
            assertThat(post(server.url())).isEqualTo(new Outcome(200, null));
            assertThat(closedAfterMillis.orTimeout(5, TimeUnit.SECONDS).join()).isBetween(200L, 2_000L);
            assertThat(post(server.url())).isEqualTo(new Outcome(200, null));
            assertThat(server.connections()).as("a new connection after the idle one closed").isEqualTo(2);
        }
    }

    @Test
    void aRefusedConnectionFailsThePost() throws IOException {
        int port;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }
        Outcome outcome = post("http://127.0.0.1:" + port + "/hook");
        assertThat(outcome.status()).isZero();
        assertThat(outcome.failure()).isInstanceOf(ConnectException.class);
    }

    @Test
    void interimAnswersAreSkippedAndAnAnswersBodyIsReadAndDropped() {
        String chunk = "x".repeat(100_000);
        try (ScriptedServer server = new ScriptedServer((index, in, out) -> {
            while (readRequest(in) != null) {
                out.write(("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n0\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
            }
        })) {
            assertThat(post(server.url())).isEqualTo(new Outcome(202, null));
            assertThat(post(server.url())).isEqualTo(new Outcome(202, null));
            assertThat(server.connections()).as("kept after a chunked answer").isEqualTo(1);
        }
    }

    @Test
    void aConnectionTheAnswerClosesIsNotUsedAgain() {
        List<Boolean> closedByTheClient = new CopyOnWriteArrayList<>();
        try (ScriptedServer server = new ScriptedServer((index, in, out) -> {
            readRequest(in);
            out.write(answer("500 Internal Server Error", "Connection: close\r\nContent-Length: 0"));
            closedByTheClient.add(in.read() == -1);
        })) {
            assertThat(post(server.url())).isEqualTo(new Outcome(500, null));
            assertThat(post(server.url())).isEqualTo(new Outcome(500, null));
            assertThat(server.connections()).isEqualTo(2);
            // the client closes each connection on its loop once it has the answer: not before post() returns
            await().atMost(Duration.ofSeconds(5)).until(() -> closedByTheClient.size() == 2);
        }
        assertThat(closedByTheClient).containsOnly(true);
    }

    @Test
    void httpsChecksTheCertificateAndTheHostAgainstIt() throws Exception {
        try (TestCertificate certificate = TestCertificate.forLoopback();
             WebhookReceiver trusted = WebhookReceiver.startTls(certificate, "127.0.0.1");
             WebhookReceiver otherHost = WebhookReceiver.startTls(certificate, "127.0.0.2")) {
            Outcome untrusted = post(trusted.url("/hook"));
            assertThat(untrusted.failure()).as("a certificate the JVM does not trust")
                    .isInstanceOf(SSLHandshakeException.class).hasMessageContaining("PKIX path building failed");

            client = new WebhookClient(loop, 2_000, WebhookClient.IDLE_MILLIS, () -> trusting(certificate), null);
            assertThat(post(trusted.url("/hook"))).isEqualTo(new Outcome(200, null));
            assertThat(trusted.next().body()).isEqualTo(BODY);
            Outcome wrongHost = post(otherHost.url("/hook"));
            assertThat(wrongHost.failure()).as("the certificate names 127.0.0.1, not 127.0.0.2")
                    .isInstanceOf(SSLHandshakeException.class).hasMessageContaining("127.0.0.2");
        }
    }

    @Test
    void httpsGoesThroughTheProxysTunnelWithTheHostStillChecked() throws Exception {
        try (TestCertificate certificate = TestCertificate.forLoopback();
             WebhookReceiver trusted = WebhookReceiver.startTls(certificate, "127.0.0.1");
             WebhookReceiver otherHost = WebhookReceiver.startTls(certificate, "127.0.0.2");
             TcpProxy proxy = TcpProxy.http()) {
            client = new WebhookClient(loop, 2_000, WebhookClient.IDLE_MILLIS, () -> trusting(certificate), through(proxy));
            String url = trusted.url("/hook?key=a");
            assertThat(post(url)).isEqualTo(new Outcome(200, null));
            assertThat(post(url)).isEqualTo(new Outcome(200, null));
            List<Call> calls = trusted.next(2);
            assertThat(calls.get(0).body()).isEqualTo(BODY);
            assertThat(calls.get(0).path()).isEqualTo("/hook");
            assertThat(proxy.requestLines()).as("one tunnel, kept").containsExactly(
                    "CONNECT " + URI.create(url).getAuthority() + " HTTP/1.1");
            Outcome wrongHost = post(otherHost.url("/hook"));
            assertThat(wrongHost.failure()).as("TLS to the receiver inside the tunnel: the certificate names 127.0.0.1")
                    .isInstanceOf(SSLHandshakeException.class).hasMessageContaining("127.0.0.2");
        }
    }

    @Test
    void httpGoesToTheProxyWithTheUrlInFull() {
        try (WebhookReceiver receiver = WebhookReceiver.start(); TcpProxy proxy = TcpProxy.http()) {
            client = new WebhookClient(loop, 2_000, WebhookClient.IDLE_MILLIS, WebhookClient::jvmTls, through(proxy));
            String url = receiver.url("/hook?key=a%20b");
            assertThat(post(url)).isEqualTo(new Outcome(200, null));
            Call call = receiver.next();
            assertThat(call.body()).isEqualTo(BODY);
            assertThat(call.header("Host")).isEqualTo(URI.create(url).getAuthority());
            assertThat(proxy.requestLines()).containsExactly("POST " + url + " HTTP/1.1");
        }
    }

    @Test
    void theEnvironmentsProxyIsUsedWithItsCredentials() throws Exception {
        try (TestCertificate certificate = TestCertificate.forLoopback();
             WebhookReceiver plain = WebhookReceiver.start();
             WebhookReceiver secure = WebhookReceiver.startTls(certificate, "127.0.0.1");
             TcpProxy proxy = TcpProxy.http()) {
            String proxyUrl = "http://hook%40user:s3cret+x@127.0.0.1:" + proxy.port();
            client = new WebhookClient(loop, 2_000, WebhookClient.IDLE_MILLIS, () -> trusting(certificate),
                    new WebhookProxies(null, Map.of("HTTP_PROXY", proxyUrl, "HTTPS_PROXY", proxyUrl)));
            String credentials = "Proxy-Authorization: Basic "
                    + Base64.getEncoder().encodeToString("hook@user:s3cret+x".getBytes(StandardCharsets.UTF_8));
            // a name, not loopback: the proxy takes it for the loopback address
            String url = "http://receiver.test:" + URI.create(plain.url("/hook")).getPort() + "/hook";
            assertThat(post(url)).isEqualTo(new Outcome(200, null));
            assertThat(plain.next().header("Host")).isEqualTo(URI.create(url).getAuthority());
            assertThat(proxy.requestHeads().get(0)).startsWith("POST " + url + " HTTP/1.1\r\n").containsIgnoringCase(credentials);

            String secureUrl = "https://receiver.test:" + URI.create(secure.url("/hook")).getPort() + "/hook";
            Outcome tunnelled = post(secureUrl);
            assertThat(proxy.requestHeads().get(1)).startsWith("CONNECT " + URI.create(secureUrl).getAuthority() + " HTTP/1.1\r\n")
                    .containsIgnoringCase(credentials);
            assertThat(tunnelled.failure()).as("TLS to the receiver through the tunnel: its certificate does not name receiver.test")
                    .isInstanceOf(SSLHandshakeException.class).hasMessageContaining("receiver.test");
            assertThat(secure.within(Duration.ofMillis(200))).isEmpty();
        }
    }

    @Test
    void aTunnelTheProxyRefusesFailsThePostWithItsAnswer() throws Exception {
        try (TestCertificate certificate = TestCertificate.forLoopback();
             WebhookReceiver receiver = WebhookReceiver.startTls(certificate, "127.0.0.1");
             TcpProxy proxy = TcpProxy.http()) {
            proxy.refuseTunnels();
            client = new WebhookClient(loop, 2_000, WebhookClient.IDLE_MILLIS, () -> trusting(certificate), through(proxy));
            Outcome refused = post(receiver.url("/hook"));
            assertThat(refused.status()).isZero();
            assertThat(refused.failure()).hasMessageContaining("403");
            assertThat(receiver.within(Duration.ofMillis(200))).isEmpty();
        }
    }

    @Test
    void aTunnelTheProxyDropsUnansweredFailsThePostAndLeavesNoConnectionBehind() throws Exception {
        try (TestCertificate certificate = TestCertificate.forLoopback();
             WebhookReceiver receiver = WebhookReceiver.startTls(certificate, "127.0.0.1");
             TcpProxy proxy = TcpProxy.http()) {
            proxy.dropTunnels();
            client = new WebhookClient(loop, 2_000, WebhookClient.IDLE_MILLIS, () -> trusting(certificate), through(proxy));
            for (int i = 0; i < 3; i++) {
                Outcome dropped = post(receiver.url("/hook"));
                assertThat(dropped.status()).isZero();
                assertThat(dropped.failure()).isNotNull();
            }
            assertThat(CompletableFuture.supplyAsync(client::openConnections, loop).join())
                    .as("connections the proxy closed are forgotten").isZero();
        }
    }

    /** A client TLS context that trusts the test's certificate and asks for no host check: the client makes its own. */
    private static SslContext trusting(TestCertificate certificate) {
        try {
            return SslContextBuilder.forClient().trustManager(certificate.certificateFile().toFile())
                    .endpointIdentificationAlgorithm(null).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every URL through the proxy, as {@code https.proxyHost} and {@code http.proxyHost} would name it. */
    private static WebhookProxies through(TcpProxy proxy) {
        return new WebhookProxies(ProxySelector.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.port())),
                Map.of());
    }

    private Outcome post(String url) {
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        loop.execute(() -> client.post(new WebhookPost(URI.create(url),
                Map.of("Content-Type", "application/json", "X-SSE-Delivery", "delivery-1"), BODY,
                (status, failure) -> outcome.complete(new Outcome(status, failure)))));
        return outcome.orTimeout(70, TimeUnit.SECONDS).join();
    }

    private record Outcome(int status, Throwable failure) {
    }

    private static byte[] answer(String status, String headers) {
        return ("HTTP/1.1 " + status + "\r\n" + (headers.isEmpty() ? "" : headers + "\r\n") + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** Reads one request, its body included; null at the end of the stream. */
    private static String readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
        }
        String text = head.toString(StandardCharsets.US_ASCII);
        int length = 0;
        for (String line : text.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring("content-length:".length()).trim());
            }
        }
        return in.readNBytes(length).length == length ? text : null;
    }

    /** Plays a script on each connection it accepts (numbered from 0), then closes it. */
    private static final class ScriptedServer implements AutoCloseable {
        interface Script {
            void play(int index, InputStream in, OutputStream out) throws IOException;
        }

        private final ServerSocket socket;
        private final AtomicInteger accepted = new AtomicInteger();

        ScriptedServer(Script script) {
            try {
                socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Thread acceptor = new Thread(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket connection = socket.accept();
                        int index = accepted.getAndIncrement();
                        Thread played = new Thread(() -> {
                            try (connection) {
                                script.play(index, connection.getInputStream(), connection.getOutputStream());
                            } catch (IOException e) {
                                // the client closed its side: the script ends
                            }
                        });
                        played.setDaemon(true);
                        played.start();
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
        }

        String url() {
            return "http://127.0.0.1:" + socket.getLocalPort() + "/hook";
        }

        int connections() {
            return accepted.get();
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
