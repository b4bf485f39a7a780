package io.ssebroker.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A TCP connection that writes whatever bytes a test makes up and reads what comes back, as an attacker's would. */
public final class RawConnection implements AutoCloseable {
    private final Socket socket;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private boolean closedByServer;

    public RawConnection(int port) {
        try {
            socket = new Socket("127.0.0.1", port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public RawConnection write(String text) {
        try {
            socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
        } catch (IOException e) {
            closedByServer = true; // a reset: the server closed first
        }
        return this;
    }

    /** Reads until the server closes the connection or {@code quiet} passes without a byte; returns all read so far. */
    public String read(Duration quiet) {
        try {
            socket.setSoTimeout((int) quiet.toMillis());
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            while (true) {
                int n = in.read(buffer);
                if (n < 0) {
                    closedByServer = true;
                    break;
                }
                received.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            // quiet for that long: the connection is still open
        } catch (IOException e) {
            closedByServer = true;
        }
        return received.toString(StandardCharsets.ISO_8859_1);
    }

    /** The client's port: what names this connection on the machine. */
    public int localPort() {
        return socket.getLocalPort();
    }

    public boolean closedByServer() {
        return closedByServer;
    }

    /** The status code of the first answer read, or -1. */
    public int status() {
        String text = received.toString(StandardCharsets.ISO_8859_1);
        return text.startsWith("HTTP/1.1 ") && text.length() >= 12 ? Integer.parseInt(text.substring(9, 12)) : -1;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }
}
