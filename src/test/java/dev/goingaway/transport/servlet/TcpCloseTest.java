package dev.goingaway.transport.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.WebConnection;

import org.junit.jupiter.api.Test;

/**
 * The walk to the socket under an upgraded connection, on stand-ins shaped like Liberty's
 * classes (the real ones are exercised by every servlet-transport IT), and what the shutdown
 * does to a real TCP connection.
 */
class TcpCloseTest {

    /** Shaped like Liberty's {@code SocketIOChannel}. */
    public static final class IoChannel {
        private final Socket socket;

        IoChannel(Socket socket) {
            this.socket = socket;
        }

        public Socket getSocket() {
            return socket;
        }
    }

    /** Shaped like Liberty's {@code TCPConnLink}. */
    public static final class TcpLink {
        private final IoChannel io;

        TcpLink(IoChannel io) {
            this.io = io;
        }

        public IoChannel getSocketIOChannel() {
            return io;
        }
    }

    /** The Servlet API part of a connection, which the walk never touches. */
    abstract static class StubConnection implements WebConnection {
        @Override
        public ServletInputStream getInputStream() {
            throw new UnsupportedOperationException();
        }

        @Override
        public ServletOutputStream getOutputStream() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {
        }
    }

    /** Shaped like Liberty's {@code UpgradedWebConnectionImpl}. */
    public static final class Upgraded extends StubConnection {
        private final Object tcp;

        Upgraded(Object tcp) {
            this.tcp = tcp;
        }

        public Object getTCPConnectionContext() {
            return tcp;
        }
    }

    /** A connection of another container: no accessor at all. */
    public static final class Plain extends StubConnection {
    }

    @Test
    void findsTheSocketAndShutsItSoThePeerSeesTheEndAfterWhatWasSent() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
             Socket server = listener.accept()) {
            Upgraded connection = new Upgraded(new TcpLink(new IoChannel(server)));
            assertSame(server, TcpClose.socket(connection));

            server.getOutputStream().write("last words".getBytes());
            TcpClose.shutdown(TcpClose.socket(connection));
            TcpClose.shutdown(TcpClose.socket(connection)); // twice does no harm

            InputStream in = client.getInputStream();
            assertEquals("last words", new String(in.readAllBytes()), "what was queued, then the end of the stream");
            assertTrue(server.isInputShutdown() && server.isOutputShutdown(), "both directions are shut");
        }
    }

    @Test
    void aConnectionWithoutTheWayToItsSocketIsLeftAlone() {
        assertNull(TcpClose.socket(new Plain()), "no accessor on the connection");
        assertNull(TcpClose.socket(new Upgraded("not a TCP link")), "no accessor on what it returns");
        assertNull(TcpClose.socket(new Upgraded(null)), "no TCP context");
        assertNull(TcpClose.socket(null));
        TcpClose.shutdown(null);
        TcpClose.shutdownOutput(null);
    }
}
