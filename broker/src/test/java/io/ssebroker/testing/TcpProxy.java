package io.ssebroker.testing;

import io.netty.util.NetUtil;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on a loopback port that a test can cut like a network failure: {@link #cut()} ends every
 * connection through it and drops new ones until {@link #restore()}. Neither side gets a goodbye, as when a
 * mobile network or a NAT drops a connection. {@link #dropReplies()} before a cut loses what the server answered
 * in between: commands carried out whose answers never arrive.
 *
 * <p>{@link #http()} makes it an HTTP proxy instead: each connection's first request names where it goes, a tunnel
 * for {@code CONNECT host:port}, or a request with a URL in full, passed on as it is to the host it names; the
 * connection is then piped both ways. A host name is taken for the loopback address, where the tests' servers
 * listen.
 */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    /** Where every connection goes; {@code HTTP_PROXY}: where its first request says. */
    private final int targetPort;
    private static final int HTTP_PROXY = -1;
    /** The first request head of each connection, as an HTTP proxy. */
    private final List<String> requestHeads = new CopyOnWriteArrayList<>();
    /** What an HTTP proxy does with a {@code CONNECT}. */
    private enum Tunnels { OPENED, REFUSED, DROPPED }

    private volatile Tunnels tunnels = Tunnels.OPENED;
    private final Set<Socket> sockets = new HashSet<>();
    private boolean cut;
    /** Whether what the server sends is dropped instead of forwarded (until the next cut). */
    private volatile boolean droppingReplies;

    private TcpProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "tcp-proxy-accept-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A proxy to {@code port} on the loopback address. */
    public static TcpProxy to(int port) {
        try {
            return new TcpProxy(port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An HTTP proxy on the loopback address. */
    public static TcpProxy http() {
        return to(HTTP_PROXY);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** As an HTTP proxy: the first request line of each connection so far. */
    public List<String> requestLines() {
        return requestHeads.stream().map(head -> head.substring(0, head.indexOf("\r\n"))).toList();
    }

    /** As an HTTP proxy: the first request head of each connection so far, its lines CRLF-separated. */
    public List<String> requestHeads() {
        return List.copyOf(requestHeads);
    }

    /** As an HTTP proxy: answers every {@code CONNECT} from now on 403, as a proxy's rules may. */
    public void refuseTunnels() {
        tunnels = Tunnels.REFUSED;
    }

    /** As an HTTP proxy: closes every connection that asks for a tunnel from now on, without an answer. */
    public void dropTunnels() {
        tunnels = Tunnels.DROPPED;
    }

    /** Ends every connection through the proxy and drops new ones, until {@link #restore()}. */
    public synchronized void cut() {
        cut = true;
        closeAll();
        droppingReplies = false;
    }

    /**
     * From now until the next {@link #cut()}, drops what the server sends on every connection while still passing on
     * what the clients send: the server carries out their commands, and the answers are lost with the cut.
     */
    public void dropReplies() {
        droppingReplies = true;
    }

    /** Forwards new connections again. */
    public synchronized void restore() {
        cut = false;
    }

    @Override
    public synchronized void close() {
        cut = true;
        closeAll();
        quietlyClose(server);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            if (targetPort == HTTP_PROXY) { // the first request may be slow to come: read off the acceptor
                Thread reader = new Thread(() -> connectOrClose(client), "tcp-proxy-http-" + client.getPort());
                reader.setDaemon(true);
                reader.start();
            } else {
                connectOrClose(client);
            }
        }
    }

    private void connectOrClose(Socket client) {
        try {
            connect(client);
        } catch (IOException | RuntimeException e) {
            quietlyClose(client);
        }
    }

    private void connect(Socket client) throws IOException {
        synchronized (this) {
            if (cut) {
                quietlyClose(client);
                return;
            }
        }
        Socket upstream = new Socket();
        if (targetPort != HTTP_PROXY) {
            upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5_000);
        } else if (!connectAsHttpProxy(client, upstream)) {
            return;
        }
        synchronized (this) {
            if (cut) {
                quietlyClose(client);
                quietlyClose(upstream);
                return;
            }
            sockets.add(client);
            sockets.add(upstream);
        }
        pump(client, upstream, false);
        pump(upstream, client, true);
    }

    /**
     * Reads the client's first request head and connects {@code upstream} where it says: for {@code CONNECT}, answers
     * 200 (or refuses with 403, or drops the connection, and closes it: false); otherwise passes the head on.
     */
    private boolean connectAsHttpProxy(Socket client, Socket upstream) throws IOException {
        String head = readHead(client.getInputStream());
        requestHeads.add(head);
        String[] parts = head.substring(0, head.indexOf("\r\n")).split(" ");
        if (parts[0].equals("CONNECT")) {
            if (tunnels != Tunnels.OPENED) {
                if (tunnels == Tunnels.REFUSED) {
                    client.getOutputStream().write("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                }
                quietlyClose(client);
                return false;
            }
            URI target = URI.create("tunnel://" + parts[1]);
            upstream.connect(loopbackUnlessAddress(target.getHost(), target.getPort()), 5_000);
            client.getOutputStream().write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        } else {
            URI target = URI.create(parts[1]);
            upstream.connect(loopbackUnlessAddress(target.getHost(), target.getPort() < 0 ? 80 : target.getPort()), 5_000);
            upstream.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
        }
        return true;
    }

    /** Where a request's host is: its address, or the loopback address for a name. */
    private static InetSocketAddress loopbackUnlessAddress(String host, int port) {
        String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        return NetUtil.isValidIpV4Address(bare) || NetUtil.isValidIpV6Address(bare) ? new InetSocketAddress(bare, port)
                : new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    /** A request's head, up to and with its empty line, read byte by byte so that nothing after it is taken. */
    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
            int next = in.read();
            if (next < 0 || head.length() > 65536) {
                throw new IOException("no request head");
            }
            head.append((char) next);
        }
        return head.toString();
    }

    /** Copies bytes from one socket to the other until either ends, then closes both. */
    private void pump(Socket from, Socket to, boolean replies) {
        Thread thread = new Thread(() -> {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                byte[] buffer = new byte[8192];
                for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
                    if (!(replies && droppingReplies)) {
                        out.write(buffer, 0, read);
                    }
                }
            } catch (IOException e) {
                // the connection ended: cut, or closed by one side
            } finally {
                forget(from);
                forget(to);
            }
        }, "tcp-proxy-pump-" + from.getPort());
        thread.setDaemon(true);
        thread.start();
    }

    private synchronized void forget(Socket socket) {
        sockets.remove(socket);
        quietlyClose(socket);
    }

    private void closeAll() {
        List.copyOf(sockets).forEach(TcpProxy::quietlyClose);
        sockets.clear();
    }

    private static void quietlyClose(Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException e) {
            // already closed
        }
    }
}
