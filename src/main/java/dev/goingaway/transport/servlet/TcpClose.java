package dev.goingaway.transport.servlet;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
 * link's {@code getSocketIOChannel().getSocket()}, by reflection, looked up once per class. Where
 * any of that is missing (another Liberty, another channel under the connection) it logs once per
 * class and does nothing: that connection then ends when the client hangs up or at Liberty's
 * timeouts.
 */
final class TcpClose {

    private static final Logger LOG = Logger.getLogger(TcpClose.class.getName());
    /** The public no-argument accessors on the way to the socket, looked up once per class. */
    private static final ClassValue<Method> TCP_CONTEXT = accessor("getTCPConnectionContext");
    private static final ClassValue<Method> IO_CHANNEL = accessor("getSocketIOChannel");
    private static final ClassValue<Method> SOCKET = accessor("getSocket");
    /** Classes already reported as having no way to the socket (logged once each). */
    private static final Set<Class<?>> REPORTED = ConcurrentHashMap.newKeySet();

    private TcpClose() {
    }

    private static ClassValue<Method> accessor(String name) {
        return new ClassValue<>() {
            @Override
            protected Method computeValue(Class<?> type) {
                try {
                    return type.getMethod(name);
                } catch (NoSuchMethodException | SecurityException e) {
                    return null;
                }
            }
        };
    }

    /** The socket under an upgraded connection, or null where it cannot be reached. */
    static Socket socket(WebConnection connection) {
        if (connection == null) {
            return null;
        }
        Object tcp = call(TCP_CONTEXT, connection);
        Object io = tcp == null ? null : call(IO_CHANNEL, tcp);
        Object socket = io == null ? null : call(SOCKET, io);
        return socket instanceof Socket s ? s : null;
    }

    /** Calls the accessor of {@code target}'s class; null (reported once per class) if it has none. */
    private static Object call(ClassValue<Method> accessor, Object target) {
        Method m = accessor.get(target.getClass());
        try {
            if (m != null) {
                return m.invoke(target);
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            // reported below
        }
        if (REPORTED.add(target.getClass())) {
            LOG.log(Level.WARNING, "cannot reach the socket of upgraded connections through {0} on this Liberty; they end when "
                    + "the client hangs up or at Liberty''s timeouts (docs/LIBERTY-FACTS.md)", target.getClass().getName());
        }
        return null;
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

    /**
     * Liberty's close of an upgraded connection, then the socket's own shutdown (Liberty's close
     * leaves it open). Liberty's close flushes what its stream still buffers, which can block on a
     * client that stopped reading (until the upgrade write timeout), so it runs as a managed block.
     */
    static void closeUpgraded(WebConnection connection) {
        Socket socket = socket(connection);
        try {
            Blocking.run(connection::close);
        } catch (Exception e) {
            LOG.log(Level.FINEST, "close of an upgraded connection: {0}", e.toString());
        }
        shutdown(socket);
    }
}
