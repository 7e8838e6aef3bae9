package dev.goingaway.websocket;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.Socket;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.servlet.http.WebConnection;

/**
 * Ends the TCP connection under an upgraded request, which Liberty's
 * {@link WebConnection#close()} does not do. Measured (docs/LIBERTY-FACTS.md): after a clean
 * close Liberty's HTTP channel treats the socket as an idle keep-alive connection and reads it
 * for "another request" until its persist timeout (30 s here); a client that never hangs up
 * (one that stopped reading, or that ignores the close handshake) keeps it that long, and
 * whatever it sends meanwhile is parsed as HTTP. RFC 6455 wants the server to close the TCP
 * connection first.
 *
 * <p>So after Liberty's close this shuts down both directions of the socket: the client gets
 * what is queued, then the end of the stream; Liberty's keep-alive read sees the end at once
 * and Liberty closes the socket on its own thread, through its own error path. (Closing
 * Liberty's channel link from here instead raced with that read: FFDCs for released buffers
 * and cancelled selection keys, measured with the fuzz IT.)
 *
 * <p>The only place the application reaches below the Servlet API: the public
 * {@code getTCPConnectionContext()} of Liberty's {@code UpgradedWebConnectionImpl}, then the TCP
 * link's {@code getSocketIOChannel().getSocket()}, by reflection. If any of that is missing
 * (another Liberty), it logs once and does nothing: the connection then ends when the client
 * hangs up or at Liberty's timeouts.
 */
final class TcpClose {

    private static final Logger LOG = Logger.getLogger(TcpClose.class.getName());
    private static volatile boolean unavailable;
    /** Looked up once per class: every connection of a Liberty is of the same classes. */
    private static volatile Lookup lookup;

    private record Lookup(Class<?> connectionType, Method tcpContext, Class<?> tcpType, Method ioChannel,
                          Class<?> ioType, Method socket) {
    }

    private TcpClose() {
    }

    /** The socket under an upgraded connection, or null where it cannot be reached. */
    static Socket socket(WebConnection connection) {
        if (unavailable || connection == null) {
            return null;
        }
        try {
            Lookup l = lookup;
            Class<?> type = connection.getClass();
            if (l == null || l.connectionType() != type) {
                l = new Lookup(type, type.getMethod("getTCPConnectionContext"), null, null, null, null);
            }
            Object tcp = l.tcpContext().invoke(connection);
            if (tcp == null) {
                return null;
            }
            if (l.tcpType() != tcp.getClass()) {
                l = new Lookup(type, l.tcpContext(), tcp.getClass(), tcp.getClass().getMethod("getSocketIOChannel"), null, null);
            }
            Object io = l.ioChannel().invoke(tcp);
            if (io == null) {
                return null;
            }
            if (l.ioType() != io.getClass()) {
                l = new Lookup(type, l.tcpContext(), l.tcpType(), l.ioChannel(), io.getClass(), io.getClass().getMethod("getSocket"));
            }
            lookup = l;
            return l.socket().invoke(io) instanceof Socket s ? s : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            unavailable = true;
            LOG.log(Level.WARNING, "cannot reach the socket of upgraded connections on this Liberty ({0}); they end when "
                    + "the client hangs up or at Liberty's timeouts", e.toString());
            return null;
        }
    }

    /**
     * Shuts the sending side: queued bytes go out, then FIN. Under a write blocked on a client
     * that does not read, the kernel reports the socket writable and Liberty's pending write fails
     * at once, releasing the thread blocked in {@code flush()} (closing the link instead left that
     * thread parked for good, measured).
     */
    static void shutdownOutput(Socket socket) {
        if (socket == null) {
            return;
        }
        try {
            socket.shutdownOutput();
        } catch (IOException e) {
            // already shut or closed: nothing left to end
        }
    }

    /** Shuts both directions, after Liberty's close; Liberty then closes the socket itself. */
    static void shutdown(Socket socket) {
        shutdownOutput(socket);
        if (socket == null) {
            return;
        }
        try {
            socket.shutdownInput();
        } catch (IOException e) {
            // already shut or closed
        }
    }
}
