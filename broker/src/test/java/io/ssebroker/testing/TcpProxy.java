package io.ssebroker.testing;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A TCP proxy on a loopback port that a test can cut like a network failure: {@link #cut()} ends every
 * connection through it and drops new ones until {@link #restore()}. Neither side gets a goodbye, as when a
 * mobile network or a NAT drops a connection. {@link #dropReplies()} before a cut loses what the server answered
 * in between: commands carried out whose answers never arrive.
 */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int targetPort;
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

    public int port() {
        return server.getLocalPort();
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
            try {
                connect(client);
            } catch (IOException e) {
                quietlyClose(client);
            }
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
        upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5_000);
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
